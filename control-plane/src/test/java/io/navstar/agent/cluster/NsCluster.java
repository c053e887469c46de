package io.navstar.agent.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A cluster of navstar agents on this machine, made by {@code scripts/nscluster} (the one implementation of the test
 * topology: node {@code nI} is namespace {@code NAME-nI} at 10.77.0.I, container {@code cJ} on it is
 * {@code NAME-nI-cJ} at 10.(200+I).J.2, all behind a bridge in {@code NAME-fabric}, no default route anywhere).
 * Each method runs one nscluster command and returns its exit code and output; the agents run the classes of this
 * test run. {@link #close()} removes the cluster, also after a failed {@link #up}, so a test holds one in
 * try-with-resources; a JVM that exits first (Ctrl-C) removes it in a shutdown hook. Threading: one test thread;
 * nscluster commands for different nodes may run in parallel.
 */
public final class NsCluster implements AutoCloseable {
    /** Bounds one nscluster command; {@code up} waits for every agent's API within nscluster's own limit. */
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);

    private final String name;
    /** Removes the cluster when the test JVM exits before {@link #close()} (Ctrl-C, a runner's timeout). */
    private final Thread downOnExit;

    private NsCluster(String name) {
        this.name = name;
        this.downOnExit = Thread.ofPlatform().name("nscluster-down-" + name).unstarted(this::down);
    }

    /** What an nscluster command (or the demo) ended with: its exit code and its stdout and stderr together. */
    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** The output, or an AssertionError naming the command's exit code and output. */
        public String orThrow(String what) {
            if (!ok()) {
                throw new AssertionError(what + " exited with " + exitCode + ":\n" + output);
            }
            return output;
        }
    }

    /**
     * Makes cluster {@code name} (1-8 lower-case letters or digits) of {@code nodes} nodes in {@code mode} (sock, tc
     * or xdp), and waits until every agent answers; removes whatever an earlier run left under the same name first.
     *
     * @throws AssertionError when nscluster fails, with its output (the agents' last log lines)
     */
    public static NsCluster up(String name, int nodes, String mode) {
        return up(name, nodes, mode, "128m");
    }

    public static NsCluster up(String name, int nodes, String mode, String heap) {
        return up(name, nodes, mode, heap, new UpOption[0]);
    }

    /** What {@code up} may add to each node. */
    public enum UpOption {
        /** Each agent runs under packaging/navstar-launch, which holds Spartan's sockets and restarts it. */
        LAUNCH("--launch"),
        /** Each node gets a cluster secret of its own, {@code nI/secret} in the work directory. */
        SECRET_PER_NODE("--secret-per-node");

        private final String flag;

        UpOption(String flag) {
            this.flag = flag;
        }
    }

    public static NsCluster up(String name, int nodes, String mode, UpOption... options) {
        return up(name, nodes, mode, "128m", options);
    }

    public static NsCluster up(String name, int nodes, String mode, String heap, UpOption... options) {
        NsCluster cluster = new NsCluster(name);
        cluster.down();
        Runtime.getRuntime().addShutdownHook(cluster.downOnExit);
        List<String> args = new ArrayList<>(List.of("up", name, "--nodes", String.valueOf(nodes), "--mode", mode,
                "--heap", heap));
        for (UpOption option : options) {
            args.add(option.flag);
        }
        Result up = run(COMMAND_TIMEOUT, args.toArray(String[]::new));
        if (!up.ok()) {
            Runtime.getRuntime().removeShutdownHook(cluster.downOnExit);
            cluster.down();
            up.orThrow("nscluster up " + name);
        }
        return cluster;
    }

    /**
     * A cluster name no other test JVM on this machine uses at the same time: {@code prefix} (one letter) and this
     * process's id, 7 characters at most, leaving one for the caller.
     */
    public static String uniqueName(String prefix) {
        return prefix + ProcessHandle.current().pid() % 1_000_000;
    }

    public String name() {
        return name;
    }

    /** Makes container {@code cJ} on node {@code nI}; the output is its address. */
    public Result container(int node, int container) {
        return command("container", name, node(node), container(container));
    }

    /** Runs {@code command} in the container's namespace and cgroup (names resolve through the node's Spartan). */
    public Result exec(int node, int container, String... command) {
        List<String> args = new ArrayList<>(List.of("exec", name, node(node), container(container), "--"));
        args.addAll(List.of(command));
        return command(args.toArray(String[]::new));
    }

    /**
     * Starts {@code command} in the container's namespace and cgroup and returns at once; the process is the
     * command itself (nscluster and ip-netns-exec exec into it), so its pid takes signals. Its output goes to
     * {@code output}. {@link #close()} ends it if the caller did not.
     */
    public Process spawn(Path output, int node, int container, String... command) {
        List<String> args = new ArrayList<>(List.of(repository().resolve("scripts/nscluster").toString(), "exec", name,
                node(node), container(container), "--"));
        args.addAll(List.of(command));
        try {
            return new ProcessBuilder(args).directory(repository().toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs {@code command} in the node's namespace. */
    public Result nodeExec(int node, String... command) {
        List<String> args = new ArrayList<>(List.of("node-exec", name, node(node), "--"));
        args.addAll(List.of(command));
        return command(args.toArray(String[]::new));
    }

    /** Runs {@code command} in the fabric's namespace, where the bridge joins the nodes (nftables rules between them). */
    public Result fabricExec(String... command) {
        List<String> args = new ArrayList<>(List.of("fabric-exec", name, "--"));
        args.addAll(List.of(command));
        return command(args.toArray(String[]::new));
    }

    /** Starts an HTTP server in the container answering {@code text} on {@code port}; returns once it answers. */
    public Result serve(int node, int container, int port, String text) {
        return command("serve", name, node(node), container(container), String.valueOf(port), text);
    }

    /** Registers task {@code id} (the container's address and {@code port}, label VIP_0={@code vip}) on the node. */
    public Result register(int node, int container, String id, String vip, int port) {
        return command("register", name, node(node), container(container), id, vip, String.valueOf(port));
    }

    public Result unregister(int node, String id) {
        return command("unregister", name, node(node), id);
    }

    /** GET {@code path} from the node's API; the output is the body. */
    public Result api(int node, String path) {
        return command("api", name, node(node), path);
    }

    /** Takes the node's fabric link down ({@code up} false) or brings it back. */
    public Result link(int node, boolean up) {
        return command("link", name, node(node), up ? "up" : "down");
    }

    /** Stops the node's agent: SIGTERM (SIGKILL after 15 s), or SIGKILL at once when {@code hard}. */
    public Result kill(int node, boolean hard) {
        return hard ? command("kill", name, node(node), "-9") : command("kill", name, node(node));
    }

    /**
     * SIGKILLs the node's agent process alone; the output is its pid. Under {@link UpOption#LAUNCH} the launcher
     * starts it again; this does not wait for that.
     */
    public Result crash(int node) {
        return command("crash", name, node(node));
    }

    /** Starts the node's agent again with its config and waits for its API. */
    public Result start(int node) {
        return command("start", name, node(node));
    }

    /** The container's address, 10.(200+node).container.2. */
    public static String containerAddress(int node, int container) {
        return "10." + (200 + node) + "." + container + ".2";
    }

    /** The node's fabric address, 10.77.0.node, where its agent gossips. */
    public static String nodeAddress(int node) {
        return "10.77.0." + node;
    }

    /** The node's agent log. */
    public Path agentLog(int node) {
        return nodeDir(node).resolve("agent.log");
    }

    /** The cluster's work directory: configs, secrets, logs, each node's data in {@code nI/}. */
    public Path workDir() {
        return Path.of(System.getenv().getOrDefault("NSCLUSTER_ROOT", "/tmp/nscluster"), name);
    }

    /** The node's part of the work directory: its config.yaml, agent.log, data/ and its containers' files. */
    public Path nodeDir(int node) {
        return workDir().resolve(node(node));
    }

    /** Removes every namespace, cgroup, pin, process and file of the cluster; safe to repeat. */
    public Result down() {
        return command("down", name);
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(downOnExit);
        } catch (IllegalStateException exiting) {
            // the hook runs down itself
        }
        down().orThrow("nscluster down " + name);
    }

    private Result command(String... args) {
        return run(COMMAND_TIMEOUT, args);
    }

    private static String node(int node) {
        return "n" + node;
    }

    private static String container(int container) {
        return "c" + container;
    }

    /** Runs {@code scripts/nscluster args...}. */
    public static Result run(Duration timeout, String... args) {
        List<String> command = new ArrayList<>();
        command.add(repository().resolve("scripts/nscluster").toString());
        command.addAll(List.of(args));
        return runProcess(command, Map.of(), timeout);
    }

    /**
     * Runs {@code command} with the agents set to this test run's classes ({@code NAVSTAR_CLASSPATH}), its output
     * in a file rather than a pipe, so a process it leaves running cannot hold the caller. A command that outlives
     * {@code timeout} gets SIGTERM (a script's traps still clean up), then SIGKILL after 20 s.
     */
    static Result runProcess(List<String> command, Map<String, String> environment, Duration timeout) {
        Path output = null;
        try {
            output = Files.createTempFile("nscluster-", ".out");
            ProcessBuilder builder = new ProcessBuilder(command).directory(repository().toFile())
                    .redirectErrorStream(true).redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            builder.environment().put("NAVSTAR_CLASSPATH", testClassPath());
            builder.environment().putAll(environment);
            Process process = builder.start();
            int exitCode;
            if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                exitCode = process.exitValue();
            } else {
                process.destroy();
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
                exitCode = -1;
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            return new Result(exitCode, exitCode == -1 ? text + "\n(timed out after " + timeout + ")" : text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + command, e);
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // a temp file
                }
            }
        }
    }

    /** The classes and dependencies of this test run, which the agents run with. */
    private static String testClassPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    /** The repository root: the nearest directory above the working directory that holds scripts/nscluster. */
    static Path repository() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isExecutable(dir.resolve("scripts/nscluster"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no scripts/nscluster above " + Path.of("").toAbsolutePath());
    }
}
