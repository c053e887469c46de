package io.navstar.agent.cli;

import io.navstar.agent.api.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

import java.io.PrintWriter;

/**
 * {@code navstar}: the command line, one tree of picocli commands.
 * <pre>
 * navstar agent                      run this node's agent
 * navstar vip ls|add|rm              VIPs (add and rm register a task carrying the VIP on this node)
 * navstar task ls|add|rm             this node's tasks
 * navstar members                    gossip membership as this node sees it
 * navstar route                      this node's routes to every member
 * navstar kv get|put|watch           the replicated key-value store
 * navstar dns [server flags]         the Spartan server alone;  navstar dns query NAME: ask a DNS server
 * navstar bpf maps|uninstall|tour|lb the pinned data plane, and developer tools
 * navstar completion bash            the shell completion script
 * </pre>
 * Every command and subcommand takes {@code --help} (exit code 0). Bad usage is exit code 2 with one line and the
 * usage; a command that fails says why in one line, exit code 1 (see {@link CliErrors}). The commands that talk to
 * the agent take {@code --api URL} and {@code -o table|json} ({@link ApiOptions}).
 *
 * <p>Threading: a tree is built, run once and dropped by one thread ({@link #execute}).
 */
@Command(name = "navstar", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        versionProvider = NavstarCommand.VersionProvider.class,
        description = "A cluster network stack: Lashup (membership and replicated state), Minuteman (eBPF load "
                + "balancing) and Spartan (DNS) on every node.",
        subcommands = {AgentCommand.class, VipCommand.class, TaskCommand.class, MembersCommand.class,
                RouteCommand.class, KvCommand.class, DnsCommand.class, BpfCommand.class, CompletionCommand.class,
                CommandLine.HelpCommand.class})
public final class NavstarCommand {

    /** {@code --version}: navstar's version as the build recorded it. */
    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"navstar " + Version.current()};
        }
    }

    /** The command tree, printing to {@code out} and {@code err}, with navstar's error reporting. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CliErrors errors = new CliErrors();
        return new CommandLine(new NavstarCommand())
                .setOut(out)
                .setErr(err)
                .setParameterExceptionHandler(errors)
                .setExecutionExceptionHandler(errors);
    }

    /** Runs {@code args} and returns the exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        return commandLine(out, err).execute(args);
    }
}
