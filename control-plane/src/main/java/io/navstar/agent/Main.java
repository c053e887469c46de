package io.navstar.agent;

import io.navstar.agent.cli.AgentCommand;
import io.navstar.agent.devtools.BpfLbCommand;
import io.navstar.agent.devtools.LoaderTour;
import io.navstar.dns.server.DnsServerMain;

import java.util.Arrays;

/**
 * The navstar command line: a dispatcher to the command named by the first arguments. {@code agent} runs the node
 * agent; the {@code bpf} commands are
 * developer tools that run one part of the data plane alone ({@code make run} is {@code bpf tour}); {@code dns}
 * runs the Spartan server alone.
 */
public final class Main {
    static final String USAGE = """
            usage: navstar <command> [options]
              agent      run this node's agent: Lashup, Minuteman and Spartan (agent --config FILE; agent --help)
              bpf tour   load every bundled eBPF program into a sandbox, print what was loaded, clean up
              bpf lb     the Minuteman load balancer alone, following a state file (bpf lb --help)
              dns        the Spartan DNS server alone (--listen ip:port --upstream ip:port --records file ...)
            """;

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.print(USAGE);
            System.exit(2);
        }
        boolean bpf = args[0].equals("bpf") && args.length > 1;
        String command = bpf ? "bpf " + args[1] : args[0];
        String[] rest = Arrays.copyOfRange(args, bpf ? 2 : 1, args.length);
        switch (command) {
            case "agent" -> System.exit(AgentCommand.run(rest));
            case "bpf tour" -> System.exit(rest.length == 0 ? LoaderTour.run(System.out)
                    : refuse("bpf tour takes no arguments, not " + String.join(" ", rest)));
            case "bpf lb" -> BpfLbCommand.main(rest);
            case "dns" -> DnsServerMain.main(rest);
            case "-h", "--help", "help" -> System.out.print(USAGE);
            default -> System.exit(refuse("unknown command '" + String.join(" ", Arrays.copyOf(args, bpf ? 2 : 1))
                    + "' (navstar --help lists them)"));
        }
    }

    /** One line on stderr; the exit code of bad arguments. */
    private static int refuse(String message) {
        System.err.println("navstar: " + message);
        return 2;
    }
}
