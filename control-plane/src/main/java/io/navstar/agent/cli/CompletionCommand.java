package io.navstar.agent.cli;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/**
 * {@code navstar completion bash}: the completion script picocli generates for the whole command tree (it also
 * serves zsh after {@code autoload -U bashcompinit; bashcompinit}). Stateless.
 */
@Command(name = "completion", description = {"Print the shell completion script: source <(navstar completion bash).",
        "zsh: autoload -U +X compinit && compinit; autoload -U +X bashcompinit && bashcompinit; then the same."})
final class CompletionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SHELL", description = "bash (or zsh, which runs the bash script).")
    String shell;

    @Override
    public Integer call() {
        if (!shell.equals("bash") && !shell.equals("zsh")) {
            throw new ParameterException(spec.commandLine(), "SHELL: expected bash or zsh, got \"" + shell + "\"");
        }
        spec.commandLine().getOut().print(AutoComplete.bash(spec.root().name(), spec.root().commandLine()));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
