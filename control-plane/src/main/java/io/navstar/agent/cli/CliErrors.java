package io.navstar.agent.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;
import java.util.List;

/**
 * How the command line reports what went wrong: one line on stderr, {@code navstar <command>: <what>}, never a
 * stack trace. Bad usage (exit code 2) adds the command's usage: its synopsis and a pointer to {@code --help} for a
 * command that runs, the whole help (which lists the subcommands) for a group run without one. A command that
 * fails at run time throws {@link CommandFailure} with its exit code. Stateless; picocli calls it on the thread
 * that runs the command.
 */
public final class CliErrors implements CommandLine.IParameterExceptionHandler, CommandLine.IExecutionExceptionHandler {
    /** Exit code of a compare-and-set write whose key moved on ({@code kv put --if-clock}). */
    static final int EXIT_CONFLICT = 3;

    /** A command that could not do its job: the message is the one line shown, {@code exitCode} the status. */
    public static final class CommandFailure extends RuntimeException {
        private final int exitCode;

        CommandFailure(int exitCode, String message) {
            super(message, null, false, false);
            this.exitCode = exitCode;
        }

        int exitCode() {
            return exitCode;
        }
    }

    /** Bad input found after parsing (a file, a value that only makes sense with another): exit code 2. */
    public static CommandFailure badInput(String message) {
        return new CommandFailure(CommandLine.ExitCode.USAGE, message);
    }

    /** A failure to do the job (the agent unreachable, the kernel refusing): exit code 1. */
    static CommandFailure failed(String message) {
        return new CommandFailure(CommandLine.ExitCode.SOFTWARE, message);
    }

    @Override
    public int handleParseException(ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        err.println(command.getCommandSpec().qualifiedName() + ": " + describe(e));
        if (command.getCommandSpec().subcommands().isEmpty()) {
            CommandLine.Help help = command.getHelp();
            err.print(help.synopsisHeading() + help.synopsis(help.synopsisHeadingLength()));
            err.println("Try '" + command.getCommandSpec().qualifiedName() + " --help' for more information.");
        } else {
            command.usage(err);
        }
        err.flush();
        return CommandLine.ExitCode.USAGE;
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine command, ParseResult parseResult) {
        PrintWriter err = command.getErr();
        int exitCode;
        String message;
        if (e instanceof CommandFailure failure) {
            exitCode = failure.exitCode();
            message = failure.getMessage();
        } else {
            exitCode = CommandLine.ExitCode.SOFTWARE;
            message = e.getMessage() == null ? e.toString() : e.getMessage();
        }
        err.println(command.getCommandSpec().qualifiedName() + ": " + firstLine(message));
        err.flush();
        return exitCode;
    }

    /** The parse error in one line, naming the option or argument. */
    public static String describe(ParameterException e) {
        if (e instanceof CommandLine.UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            String first = unmatched.getUnmatched().getFirst();
            return (first.startsWith("-") ? "unknown option " : "unexpected argument ") + first;
        }
        if (e instanceof CommandLine.MissingParameterException missing && missing.getMissing().size() == 1
                && missing.getMissing().getFirst() instanceof OptionSpec option
                && e.getMessage().startsWith("Missing required parameter for option")) {
            return option.longestName() + " needs a value";
        }
        if (e.getMessage().startsWith("Missing required subcommand")) {
            return "missing a command";
        }
        ArgSpec spec = e.getArgSpec();
        Throwable cause = e.getCause();
        if (spec != null && cause != null && cause.getMessage() != null) { // a value that does not convert
            return name(spec) + ": " + firstLine(cause.getMessage());
        }
        String message = firstLine(e.getMessage());
        // picocli's sentences start with a capital ("Missing required option"); names such as VIP keep theirs
        boolean sentence = message.length() > 1 && Character.isUpperCase(message.charAt(0))
                && Character.isLowerCase(message.charAt(1));
        return sentence ? Character.toLowerCase(message.charAt(0)) + message.substring(1) : message;
    }

    private static String name(ArgSpec spec) {
        return spec instanceof OptionSpec option ? option.longestName() : spec.paramLabel();
    }

    static String firstLine(String text) {
        List<String> lines = text.lines().toList();
        return lines.isEmpty() ? "" : lines.getFirst();
    }
}
