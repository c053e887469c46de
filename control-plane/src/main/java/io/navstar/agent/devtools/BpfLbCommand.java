package io.navstar.agent.devtools;

import io.navstar.agent.lb.LbMode;
import io.navstar.agent.lb.LbOptions;
import io.navstar.agent.lb.LoadBalancer;
import io.navstar.agent.lb.kernel.LbSettings;
import io.navstar.agent.lb.model.DesiredState;
import io.navstar.agent.lb.model.DesiredStateJson;
import io.navstar.agent.lb.plan.Reconciler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the load balancer agent alone (the lead hooks it into the navstar CLI later):
 * <pre>
 * BpfLbCommand --mode sock|tc|xdp [--pin-dir /sys/fs/bpf/navstar] [--state vips.json] [--api-port 62081]
 *             [--cgroup /sys/fs/cgroup/...] [--netns NAME] [--interfaces 'veth*,eth0'] [--diag-netns NAME,...]
 *             [--max-vips N] [--max-backends N] [--max-flows N] [--maglev-cells N]
 *             [--tcp-timeout SECONDS] [--tcp-closing SECONDS] [--udp-timeout SECONDS]
 * </pre>
 * Stops on SIGTERM leaving everything pinned (traffic flows on; the next start resumes).
 */
public final class BpfLbCommand {
    private BpfLbCommand() {
    }

    static final String USAGE = """
            usage: navstar lb --mode sock|tc|xdp [options]
              --mode sock|tc|xdp        data plane mode (required)
              --state FILE              desired state (JSON), read at start and rewritten on every change
              --api-port PORT           local HTTP API on 127.0.0.1 (0: none)
              --pin-dir DIR             bpffs directory of the pinned maps and links (default /sys/fs/bpf/navstar)
              --cgroup DIR              sock mode: the cgroup v2 directory whose sockets are balanced
              --netns NAME              tc/xdp mode: the /run/netns namespace of the interfaces
              --interfaces LIST         tc/xdp mode: interface names or globs, comma-separated (veth*,eth0)
              --diag-netns LIST         namespaces whose connected UDP sockets to removed backends are destroyed
              --max-vips N, --max-backends N, --max-flows N, --maglev-cells N   map sizes
              --tcp-timeout S, --tcp-closing S, --udp-timeout S                 flow timeouts in seconds
            """;

    public static void main(String[] args) throws Exception {
        System.exit(run(args));
    }

    /**
     * Runs the agent until SIGTERM and returns the exit code: 0 after a stop or {@code --help}, 2 for bad
     * arguments or input files (one line on stderr naming the flag or file, nothing left in the kernel), 1 when
     * the kernel refuses the data plane.
     */
    static int run(String[] args) throws InterruptedException {
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.print(USAGE);
            return 0;
        }
        LoadBalancer balancer;
        Arguments arguments;
        DesiredState initial;
        try {
            arguments = parse(args);
            initial = arguments.stateFile() != null && Files.exists(arguments.stateFile())
                    ? DesiredStateJson.read(arguments.stateFile()) : null;
            balancer = LoadBalancer.open(arguments.options());
        } catch (IllegalArgumentException e) { // NumberFormatException included
            System.err.println("navstar lb: " + e.getMessage());
            return 2;
        } catch (IOException | RuntimeException e) {
            System.err.println("navstar lb: cannot start: " + e.getMessage());
            return 1;
        }
        LbApiServer api = null;
        try {
            if (initial != null) {
                Reconciler.Report report = balancer.apply(initial);
                System.out.println("reconciled " + initial.vips().size() + " VIPs from " + arguments.stateFile() + ": " + report);
            }
            if (arguments.apiPort() > 0) {
                api = LbApiServer.start(balancer, arguments.stateFile(), arguments.apiPort());
            }
        } catch (IOException | RuntimeException e) {
            balancer.close();
            System.err.println("navstar lb: cannot start: " + e.getMessage());
            return 1;
        }
        LbApiServer server = api;
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (server != null) {
                server.close();
            }
            balancer.close();
            stop.countDown();
        }));
        LbOptions options = arguments.options();
        System.out.println("lb agent ready: mode " + options.mode().name().toLowerCase() + ", pins " + options.settings().pinDirectory());
        System.out.flush();
        stop.await();
        return 0;
    }

    /**
     * The parsed command line.
     *
     * @param stateFile JSON desired state read at start and rewritten on every change through the API; null for none
     * @param apiPort   port of the local HTTP API on 127.0.0.1; 0 for none
     */
    record Arguments(LbOptions options, Path stateFile, int apiPort) {
    }

    static Arguments parse(String[] args) {
        LbMode mode = null;
        LbSettings settings = LbSettings.defaults();
        Path state = null;
        int apiPort = 0;
        Path cgroup = null;
        String netns = null;
        List<String> interfaces = new ArrayList<>();
        List<String> diag = new ArrayList<>();
        int vips = settings.maxVips();
        int backends = settings.maxBackends();
        int flows = settings.maxFlows();
        int cells = settings.maglevCells();
        java.time.Duration tcp = settings.tcpTimeout();
        java.time.Duration closing = settings.tcpClosing();
        java.time.Duration udp = settings.udpTimeout();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (!flag.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + flag + " (options start with --; see --help)");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value (see --help)");
            }
            String value = args[++i];
            switch (flag) {
                case "--mode" -> mode = LbMode.parse(value);
                case "--pin-dir" -> settings = settings.withPinDirectory(Path.of(value));
                case "--state" -> state = Path.of(value);
                case "--api-port" -> apiPort = integer(flag, value, 0, 65535);
                case "--cgroup" -> cgroup = Path.of(value);
                case "--netns" -> netns = value;
                case "--interfaces" -> interfaces.addAll(Arrays.asList(value.split(",")));
                case "--diag-netns" -> diag.addAll(Arrays.asList(value.split(",", -1)));
                case "--max-vips" -> vips = integer(flag, value, 1, 1 << 24);
                case "--max-backends" -> backends = integer(flag, value, 1, 1 << 24);
                case "--max-flows" -> flows = integer(flag, value, 1, 1 << 28);
                case "--maglev-cells" -> cells = integer(flag, value, 1, 1 << 28);
                case "--tcp-timeout" -> tcp = seconds(flag, value);
                case "--tcp-closing" -> closing = seconds(flag, value);
                case "--udp-timeout" -> udp = seconds(flag, value);
                default -> throw new IllegalArgumentException("unknown option " + flag + " (see --help)");
            }
        }
        if (mode == null) {
            throw new IllegalArgumentException("--mode sock|tc|xdp is required");
        }
        LbOptions options = new LbOptions(mode,
                settings.withSizes(vips, backends, flows, cells).withTimeouts(tcp, closing, udp), cgroup, netns,
                interfaces, diag);
        return new Arguments(options, state, apiPort);
    }

    /** A whole number in [min, max], or an error naming the flag. */
    private static int integer(String flag, String value, int min, int max) {
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(flag + " takes a whole number from " + min + " to " + max + ", not \"" + value + "\"");
    }

    private static java.time.Duration seconds(String flag, String value) {
        try {
            long s = Long.parseLong(value);
            if (s <= 0) {
                throw new IllegalArgumentException(flag + " must be positive, not " + value);
            }
            return java.time.Duration.ofSeconds(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " takes whole seconds, not " + value, e);
        }
    }
}
