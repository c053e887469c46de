package io.navstar.agent.support;

import io.navstar.agent.cli.NavstarCommand;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.agent.lb.support.LbTopology;
import io.navstar.sys.NetworkNamespace;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * One {@code navstar agent} process in a network namespace of its own ({@code nsm<pid>-<tag>}, loopback only), in
 * sock mode on a child cgroup, its maps pinned in a test pin directory, its API on 127.0.0.1:{@link #API_PORT}
 * inside the namespace; {@link #navstar} runs the command line in-process on a thread that entered that namespace,
 * so its HTTP client (and the selector thread the client starts) talk to the agent without any traffic leaving the
 * namespace. {@link #close} stops the agent and removes the namespace, the cgroup, the pins and the files, also
 * after a start that failed. Threading: one test class's threads.
 */
public final class AgentInNamespace implements AutoCloseable {
    /** Not the production port: a command that leaked into the root namespace finds nothing there. */
    public static final int API_PORT = 62091;
    public static final String API = "http://127.0.0.1:" + API_PORT;
    /** Spartan inside the namespace. */
    public static final String DNS = "127.0.0.1:5353";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final String name;
    private final Path directory;
    private final Path cgroup;
    private final Path pins;
    private final Path log;
    private NetworkNamespace namespace;
    private Process process;

    /** What one run of the command line printed, and its exit code. */
    public record Result(int code, String out, String err) {
        public List<String> outLines() {
            return out.lines().toList();
        }

        public List<String> errLines() {
            return err.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private AgentInNamespace(String tag, Path directory) throws IOException {
        this.name = LbTestSupport.PREFIX + "-" + tag;
        this.directory = directory;
        this.cgroup = LbTopology.cgroup2Mount().resolve(name);
        this.pins = LbTestSupport.pinDirectory(tag);
        this.log = directory.resolve("agent.log");
    }

    /** Starts the agent with {@code extraArgs} after its config, and waits until its API answers. */
    public static AgentInNamespace start(String tag, Path directory, String... extraArgs) throws Exception {
        AgentInNamespace agent = new AgentInNamespace(tag, directory);
        try {
            agent.startAgent(extraArgs);
            return agent;
        } catch (Exception | Error e) {
            agent.close();
            throw e;
        }
    }

    private void startAgent(String... extraArgs) throws Exception {
        LbTopology.sh("ip", "netns", "add", name);
        namespace = NetworkNamespace.named(name);
        LbTopology.sh("ip", "-n", name, "link", "set", "lo", "up");
        Files.createDirectories(cgroup);
        Path config = Files.writeString(directory.resolve("agent.yaml"), """
                node: {address: 127.0.0.1}
                data_dir: %s
                lb: {mode: sock, cgroup: %s, pin_dir: %s, max_vips: 1024, max_backends: 4096, max_flows: 65536}
                dns: {listen: ["%s"], interface: "", upstreams: [], event_loops: 1}
                api: {listen: "127.0.0.1:%d"}
                """.formatted(directory.resolve("data"), cgroup, pins, DNS, API_PORT));
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        // nsenter, not ip netns exec, which remounts /sys and hides the bpffs and the cgroup hierarchy
        List<String> command = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + name,
                ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
                "-Xmx192m", "-XX:TieredStopAtLevel=1", "-Dnavstar.bpf.dir=" + System.getProperty("navstar.bpf.dir"),
                "-cp", classpath, "io.navstar.agent.Main", "agent", "--config", config.toString()));
        command.addAll(List.of(extraArgs));
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!answers()) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the agent exited with " + process.exitValue() + ":\n" + log());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the agent's API did not answer within " + START_TIMEOUT + ":\n" + log());
            }
            Thread.sleep(100);
        }
    }

    /** Whether the API answers {@code GET /v1/version}, asked from inside the namespace. */
    private boolean answers() {
        return run(() -> {
            try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build()) {
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(API + "/v1/version"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                return response.statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** Runs {@code task} on a thread inside the agent's namespace. */
    public <T> T run(Callable<T> task) {
        return namespace.run(task);
    }

    /** Runs {@code navstar args} in-process inside the namespace, capturing what it prints. */
    public Result navstar(String... args) {
        return navstar(new StringWriter(), args);
    }

    /** As {@link #navstar(String...)}, printing to {@code out}, which the caller may read meanwhile. */
    public Result navstar(StringWriter out, String... args) {
        return run(() -> {
            StringWriter err = new StringWriter();
            int code = NavstarCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
            return new Result(code, out.toString(), err.toString());
        });
    }

    /** As {@link #navstar(String...)}, with {@code --api} pointing at this agent appended. */
    public Result api(String... args) {
        return navstar(withApi(args));
    }

    /** {@code args} with {@code --api} pointing at this agent appended. */
    public static String[] withApi(String... args) {
        List<String> withApi = new ArrayList<>(List.of(args));
        withApi.addAll(List.of("--api", API));
        return withApi.toArray(String[]::new);
    }

    public String namespaceName() {
        return name;
    }

    public Path pins() {
        return pins;
    }

    public String log() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** Stops the agent, then removes its pins, cgroup and namespace; each step runs even when one before failed. */
    @Override
    public void close() throws Exception {
        Exception failure = null;
        try {
            if (process != null && process.isAlive()) {
                process.destroy();
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            failure = e;
        }
        LbTestSupport.deleteTree(pins); // links unpinned with no holder left detach their programs
        try {
            Files.deleteIfExists(cgroup);
        } catch (IOException e) {
            failure = failure == null ? e : failure;
        }
        try {
            if (Files.exists(Path.of("/run/netns", name))) {
                LbTopology.sh("ip", "netns", "del", name);
            }
        } catch (IOException | InterruptedException e) {
            failure = failure == null ? e : failure;
        }
        if (failure != null) {
            throw failure;
        }
    }
}
