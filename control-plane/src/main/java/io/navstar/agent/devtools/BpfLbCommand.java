package io.navstar.agent.devtools;

import io.navstar.agent.lb.LbMode;
import io.navstar.agent.lb.LbOptions;
import io.navstar.agent.lb.LoadBalancer;
import io.navstar.agent.lb.kernel.LbSettings;
import io.navstar.agent.lb.model.DesiredState;
import io.navstar.agent.lb.model.DesiredStateJson;
import io.navstar.agent.lb.plan.Reconciler;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * {@code navstar bpf lb}: the load balancer component ({@link LoadBalancer}) run alone and driven by a JSON state
 * file ({@link DesiredStateJson}), for the data-plane benchmarks (jmh/scripts/lb-wrk.sh) and the load balancer's
 * end-to-end tests; the node agent drives the same component from the cluster state. The file is applied at start
 * and again whenever it is replaced or written (a {@link WatchService} on its directory: write it elsewhere and
 * rename it into place, so no half-written file is read), and each apply prints one line on stdout,
 * {@code applied <report>}. A state file with an error gets one line on stderr and changes nothing. SIGTERM stops
 * the command and leaves everything pinned (traffic flows on; the next start resumes).
 *
 * <p>Threading: the main thread follows the file and applies; a shutdown hook closes the load balancer.
 */
public final class BpfLbCommand {
    private BpfLbCommand() {
    }

    static final String USAGE = """
            usage: navstar bpf lb --mode sock|tc|xdp [options]
            Runs the load balancer alone, driven by a state file; prints "applied <report>" after each apply.
              --mode sock|tc|xdp        data plane mode (required)
              --state FILE              desired state (JSON), applied at start and whenever the file is replaced
                                        (write a new state elsewhere, then rename it to FILE)
              --pin-dir DIR             bpffs directory of the pinned maps and links (default /sys/fs/bpf/navstar)
              --cgroup DIR              sock mode: the cgroup v2 directory whose sockets are balanced
              --netns NAME              tc/xdp mode: the /run/netns namespace of the interfaces
              --interfaces LIST         tc/xdp mode: interface names or globs, comma-separated (veth*,eth0)
              --diag-netns LIST         namespaces whose connected UDP sockets to removed backends are destroyed
              --max-vips N, --max-backends N, --max-flows N, --maglev-cells N   map sizes
              --tcp-timeout S, --tcp-closing S, --udp-timeout S                 flow timeouts in seconds
            """;
    private static final String NAME = "navstar bpf lb";

    public static void main(String[] args) throws InterruptedException {
        System.exit(run(args));
    }

    /**
     * Runs until SIGTERM and returns the exit code: 0 after {@code --help}, 2 for bad arguments or a bad state
     * file at start (one line on stderr naming the flag or file, nothing left in the kernel), 1 when the kernel
     * refuses the data plane or the first state.
     */
    static int run(String[] args) throws InterruptedException {
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.print(USAGE);
            return 0;
        }
        Arguments arguments;
        WatchService watch = null;
        DesiredState initial;
        LoadBalancer balancer;
        try {
            arguments = parse(args);
            // watched before the first read, so a state renamed into place meanwhile is not missed
            watch = arguments.stateFile() == null ? null : watchDirectoryOf(arguments.stateFile());
            initial = arguments.stateFile() != null && Files.exists(arguments.stateFile())
                    ? DesiredStateJson.read(arguments.stateFile()) : null;
            balancer = LoadBalancer.open(arguments.options());
        } catch (IllegalArgumentException e) { // NumberFormatException included
            closeQuietly(watch);
            System.err.println(NAME + ": " + e.getMessage());
            return 2;
        } catch (IOException | RuntimeException e) {
            closeQuietly(watch);
            System.err.println(NAME + ": cannot start: " + e.getMessage());
            return 1;
        }
        if (initial != null) {
            try {
                printApplied(balancer.apply(initial));
            } catch (RuntimeException e) {
                closeQuietly(watch);
                balancer.close();
                System.err.println(NAME + ": cannot apply " + arguments.stateFile() + ": " + e.getMessage());
                return 1;
            }
        }
        Stop stop = new Stop(watch, balancer);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::run, "lb-stop"));
        LbOptions options = arguments.options();
        System.out.println("lb ready: mode " + options.mode().name().toLowerCase(Locale.ROOT) + ", pins "
                + options.settings().pinDirectory() + (arguments.stateFile() == null ? ""
                : ", following " + arguments.stateFile()));
        System.out.flush();
        if (watch != null) {
            follow(watch, arguments.stateFile(), balancer, stop);
        }
        new CountDownLatch(1).await(); // until the shutdown hook ends the JVM
        return 0;
    }

    /** The shutdown hook: stops following the file, then closes the load balancer (its pins stay). */
    private static final class Stop implements Runnable {
        private final WatchService watch;
        private final LoadBalancer balancer;
        private volatile boolean stopping;

        Stop(WatchService watch, LoadBalancer balancer) {
            this.watch = watch;
            this.balancer = balancer;
        }

        @Override
        public void run() {
            stopping = true;
            closeQuietly(watch);
            balancer.close();
        }
    }

    private static WatchService watchDirectoryOf(Path stateFile) throws IOException {
        Path directory = stateFile.getParent();
        if (!Files.isDirectory(directory)) {
            throw new IllegalArgumentException("--state " + stateFile + ": no such directory " + directory);
        }
        WatchService watch = directory.getFileSystem().newWatchService();
        try {
            directory.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            return watch;
        } catch (IOException | RuntimeException e) {
            watch.close();
            throw e;
        }
    }

    /** Applies the state file each time it is created, renamed into place or written, until the stop. */
    private static void follow(WatchService watch, Path stateFile, LoadBalancer balancer, Stop stop) {
        Path name = stateFile.getFileName();
        while (!stop.stopping) {
            WatchKey key;
            try {
                key = watch.take();
            } catch (ClosedWatchServiceException | InterruptedException stopped) {
                return;
            }
            boolean changed = false;
            for (WatchEvent<?> event : key.pollEvents()) {
                changed |= event.kind() == StandardWatchEventKinds.OVERFLOW || name.equals(event.context());
            }
            if (!key.reset()) {
                System.err.println(NAME + ": " + stateFile.getParent() + " is gone; no longer following " + name);
                return;
            }
            if (changed) {
                applyFile(stateFile, balancer, stop);
            }
        }
    }

    private static void applyFile(Path stateFile, LoadBalancer balancer, Stop stop) {
        DesiredState state;
        try {
            state = DesiredStateJson.read(stateFile);
        } catch (NoSuchFileException gone) {
            return; // renamed away or deleted: the state applied last stays
        } catch (IOException e) {
            System.err.println(NAME + ": " + stateFile + ": " + e + "; the state applied before stays");
            return;
        } catch (IllegalArgumentException e) {
            System.err.println(NAME + ": " + e.getMessage() + "; the state applied before stays");
            return;
        }
        try {
            printApplied(balancer.apply(state));
        } catch (RuntimeException e) {
            if (!stop.stopping) {
                System.err.println(NAME + ": cannot apply " + stateFile + ": " + e.getMessage());
            }
        }
    }

    private static void printApplied(Reconciler.Report report) {
        System.out.println("applied " + report);
        System.out.flush();
    }

    private static void closeQuietly(WatchService watch) {
        if (watch != null) {
            try {
                watch.close();
            } catch (IOException e) {
                // closing an inotify descriptor cannot usefully fail; the command is ending anyway
            }
        }
    }

    /**
     * The parsed command line.
     *
     * @param stateFile the JSON desired state to follow; null for none (the pins' state serves on)
     */
    record Arguments(LbOptions options, Path stateFile) {
    }

    static Arguments parse(String[] args) {
        LbMode mode = null;
        LbSettings settings = LbSettings.defaults();
        Path state = null;
        Path cgroup = null;
        String netns = null;
        List<String> interfaces = new ArrayList<>();
        List<String> diag = new ArrayList<>();
        int vips = settings.maxVips();
        int backends = settings.maxBackends();
        int flows = settings.maxFlows();
        int cells = settings.maglevCells();
        Duration tcp = settings.tcpTimeout();
        Duration closing = settings.tcpClosing();
        Duration udp = settings.udpTimeout();
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
        return new Arguments(options, state == null ? null : state.toAbsolutePath());
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

    private static Duration seconds(String flag, String value) {
        try {
            long s = Long.parseLong(value);
            if (s <= 0) {
                throw new IllegalArgumentException(flag + " must be positive, not " + value);
            }
            return Duration.ofSeconds(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " takes whole seconds, not " + value, e);
        }
    }
}
