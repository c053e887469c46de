package io.navstar.agent;

import io.navstar.agent.devtools.BpfLbCommand;
import io.navstar.agent.devtools.LoaderTour;
import io.navstar.dns.server.DnsServerMain;
import io.navstar.gossip.cli.GossipNodeMain;

import java.util.Arrays;

/**
 * The navstar command line. With no command (and so {@code make run}) it runs the loader tour: it loads the
 * bundled eBPF programs into a sandbox namespace and cgroup, prints what it loaded, and cleans up. The other
 * commands run one part of navstar alone until the agent that ties them together exists.
 */
public final class Main {
    private static final String USAGE = """
            usage: navstar [command] [options]
              tour      load every bundled eBPF program into a sandbox, print what was loaded, clean up (default)
              lb        the Minuteman load balancer agent (--mode sock|tc|xdp --state vips.json ...; see BpfLbCommand)
              dns       the Spartan DNS server alone (--listen ip:port --upstream ip:port --records file ...)
              gossip    one Lashup gossip node (see GossipNodeMain)
            """;

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        String command = args.length == 0 ? "tour" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        switch (command) {
            case "tour" -> System.exit(LoaderTour.run(System.out));
            case "lb" -> BpfLbCommand.main(rest);
            case "dns" -> DnsServerMain.main(rest);
            case "gossip" -> GossipNodeMain.main(rest);
            case "-h", "--help", "help" -> System.out.print(USAGE);
            default -> {
                System.err.print(USAGE);
                System.exit(2);
            }
        }
    }
}
