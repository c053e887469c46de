package io.navstar.agent.devtools;

import io.navstar.agent.cli.CliErrors;
import io.navstar.agent.cli.NavstarCommand;
import io.navstar.agent.lb.LbMode;
import io.navstar.agent.lb.LbOptions;
import io.navstar.agent.lb.LoadBalancer;
import io.navstar.agent.lb.kernel.LbSettings;
import io.navstar.agent.lb.model.DesiredState;
import io.navstar.agent.lb.model.DesiredStateJson;
import io.navstar.agent.lb.plan.Reconciler;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
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
import java.util.concurrent.Callable;
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
@Command(name = "lb", sortOptions = false,
        description = {"Run the load balancer alone, driven by a state file; print \"applied <report>\" after each apply.",
                "A developer tool: the node agent drives the same component from the cluster state."})
public final class BpfLbCommand implements Callable<Integer> {
    private static final String NAME = "navstar bpf lb";

    @Option(names = "--mode", required = true, paramLabel = "sock|tc|xdp", description = "Data plane mode.")
    String mode;

    @Option(names = "--state", paramLabel = "FILE", description = {"Desired state (JSON), applied at start and "
            + "whenever the file is replaced", "(write a new state elsewhere, then rename it to FILE)."})
    Path state;

    @Option(names = "--pin-dir", paramLabel = "DIR",
            description = "bpffs directory of the pinned maps and links (default /sys/fs/bpf/navstar).")
    Path pinDirectory;

    @Option(names = "--cgroup", paramLabel = "DIR", description = "sock mode: the cgroup v2 directory whose sockets are balanced.")
    Path cgroup;

    @Option(names = "--netns", paramLabel = "NAME", description = "tc/xdp mode: the /run/netns namespace of the interfaces.")
    String netns;

    @Option(names = "--interfaces", paramLabel = "LIST",
            description = "tc/xdp mode: interface names or globs, comma-separated (veth*,eth0).")
    List<String> interfaces = new ArrayList<>();

    @Option(names = "--diag-netns", paramLabel = "LIST",
            description = "Namespaces whose connected UDP sockets to removed backends are destroyed (\"\" for this one).")
    List<String> diagNamespaces = new ArrayList<>();

    @Option(names = "--max-vips", paramLabel = "N", description = "Map size.")
    String maxVips;
    @Option(names = "--max-backends", paramLabel = "N", description = "Map size.")
    String maxBackends;
    @Option(names = "--max-flows", paramLabel = "N", description = "Map size.")
    String maxFlows;
    /** Retired: each VIP's Maglev table is sized to it. Still checked and accepted, so older scripts run. */
    @Option(names = "--maglev-cells", paramLabel = "N", hidden = true, description = "Retired; ignored.")
    String maglevCells;
    @Option(names = "--tcp-timeout", paramLabel = "S", description = "Flow timeout in seconds.")
    String tcpTimeout;
    @Option(names = "--tcp-closing", paramLabel = "S", description = "Flow timeout in seconds.")
    String tcpClosing;
    @Option(names = "--udp-timeout", paramLabel = "S", description = "Flow timeout in seconds.")
    String udpTimeout;

    /** Runs {@code navstar bpf lb args} and exits with its code (the class is also run as a main class by tests). */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** {@code navstar bpf lb args} on this process's stdout and stderr; returns the exit code. */
    static int run(String[] args) {
        String[] full = new String[args.length + 2];
        full[0] = "bpf";
        full[1] = "lb";
        System.arraycopy(args, 0, full, 2, args.length);
        return NavstarCommand.execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), full);
    }

    @Override
    public Integer call() throws InterruptedException {
        Arguments arguments;
        try {
            arguments = arguments();
        } catch (IllegalArgumentException e) { // a value that only the combination of flags makes wrong
            throw CliErrors.badInput(e.getMessage());
        }
        return serve(arguments);
    }

    /**
     * Runs until SIGTERM and returns the exit code: 2 for a bad state file or a cgroup or namespace that does not
     * exist at start (one line on stderr naming it, nothing left in the kernel), 1 when the kernel refuses the data
     * plane or the first state.
     */
    private static int serve(Arguments arguments) throws InterruptedException {
        WatchService watch = null;
        DesiredState initial;
        LoadBalancer balancer;
        try {
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

    /** Parses a command line as {@code navstar bpf lb} would; throws with the one line it would print. */
    static Arguments parse(String[] args) {
        BpfLbCommand command = new BpfLbCommand();
        try {
            new CommandLine(command).parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException(CliErrors.describe(e), e);
        }
        return command.arguments();
    }

    /** The options checked and combined; throws naming the flag of the first bad value. */
    Arguments arguments() {
        LbMode parsedMode = LbMode.parse(mode);
        LbSettings settings = LbSettings.defaults();
        if (pinDirectory != null) {
            settings = settings.withPinDirectory(pinDirectory);
        }
        List<String> patterns = new ArrayList<>();
        interfaces.forEach(list -> patterns.addAll(Arrays.asList(list.split(","))));
        List<String> diag = new ArrayList<>();
        diagNamespaces.forEach(list -> diag.addAll(Arrays.asList(list.split(",", -1))));
        int vips = maxVips == null ? settings.maxVips() : integer("--max-vips", maxVips, 1, 1 << 24);
        int backends = maxBackends == null ? settings.maxBackends() : integer("--max-backends", maxBackends, 1, 1 << 24);
        int flows = maxFlows == null ? settings.maxFlows() : integer("--max-flows", maxFlows, 1, 1 << 28);
        if (maglevCells != null) {
            integer("--maglev-cells", maglevCells, 1, 1 << 28);
        }
        Duration tcp = tcpTimeout == null ? settings.tcpTimeout() : seconds("--tcp-timeout", tcpTimeout);
        Duration closing = tcpClosing == null ? settings.tcpClosing() : seconds("--tcp-closing", tcpClosing);
        Duration udp = udpTimeout == null ? settings.udpTimeout() : seconds("--udp-timeout", udpTimeout);
        LbOptions options = new LbOptions(parsedMode,
                settings.withSizes(vips, backends, flows).withTimeouts(tcp, closing, udp), cgroup, netns,
                patterns, diag);
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
