package io.navstar.gossip.cli;

import io.navstar.gossip.NodeId;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * A cluster of {@link GossipNodeMain} OS processes on 127.0.0.1..127.0.0.n, one port, for tests and
 * benchmarks of real processes: start, read each node's own status, kill, partition by blocking
 * peers, heal. {@link #close()} kills every process it started.
 *
 * <p>Not thread-safe: one thread drives it.
 */
public final class ProcessCluster implements AutoCloseable {

    /** One node's view of the cluster as it last wrote it. */
    public record Status(NodeId self, long epoch, long timeMillis, Set<NodeId> active, Set<NodeId> reachable,
                         Set<NodeId> unreachable, Set<NodeId> members) {
    }

    /** A reachability change a node logged. */
    public record Event(boolean reachable, NodeId node, long timeMillis) {
    }

    private final Path dir;
    private final int port;
    private final List<String> javaCommand;
    private final String secret;
    private final Map<NodeId, Process> processes = new LinkedHashMap<>();
    private final List<NodeId> nodes = new ArrayList<>();

    /**
     * @param javaCommand the java launcher and JVM flags, with a classpath holding this module
     */
    public ProcessCluster(Path dir, int size, int port, List<String> javaCommand, String secret) {
        this.dir = dir;
        this.port = port;
        this.javaCommand = List.copyOf(javaCommand);
        this.secret = secret;
        for (int i = 1; i <= size; i++) {
            nodes.add(NodeId.of("127.0.0." + i, port));
        }
    }

    /** The java command of this JVM with small-heap flags and this JVM's classpath. */
    public static List<String> javaCommandOfThisJvm() {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx40m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"));
    }

    public List<NodeId> nodes() {
        return nodes;
    }

    /** Starts every node; each joins through the first two. */
    public void start() throws IOException {
        for (NodeId node : nodes) {
            start(node);
        }
    }

    private void start(NodeId node) throws IOException {
        List<String> command = new ArrayList<>(javaCommand);
        command.add(GossipNodeMain.class.getName());
        command.add(node.toString());
        command.add(dir.toString());
        command.add(nodes.get(0) + "," + nodes.get(1));
        if (secret != null) {
            command.add("--secret");
            command.add(secret);
        }
        Path log = dir.resolve(node.toString().replace(':', '_') + ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        processes.put(node, process);
    }

    /** Kills a node's process at once (SIGKILL) and returns the wall-clock time it was killed. */
    public long kill(NodeId node) {
        Process process = processes.remove(node);
        long now = System.currentTimeMillis();
        if (process != null) {
            process.destroyForcibly();
        }
        return now;
    }

    /** Starts a new incarnation of a killed node (its epoch file makes it supersede the old one). */
    public void restart(NodeId node) throws IOException {
        if (processes.containsKey(node)) {
            throw new IllegalStateException(node + " is running");
        }
        start(node);
    }

    /** Running nodes. */
    public Set<NodeId> live() {
        return processes.keySet();
    }

    /** Makes {@code node} drop all traffic with {@code peers} (a test partition). */
    public void block(NodeId node, Collection<NodeId> peers) {
        command(node, "block " + peers.stream().map(NodeId::toString).collect(Collectors.joining(",")));
    }

    public void unblock(NodeId node) {
        command(node, "unblock");
    }

    private void command(NodeId node, String line) {
        try {
            OutputStream in = processes.get(node).getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot command " + node, e);
        }
    }

    /** The node's last status, or null when it has written none yet. */
    public Status status(NodeId node) {
        Path file = dir.resolve(node.toString().replace(':', '_') + ".status");
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : lines) {
            int space = line.indexOf(' ');
            fields.put(space < 0 ? line : line.substring(0, space), space < 0 ? "" : line.substring(space + 1));
        }
        if (!fields.containsKey("members")) {
            return null;
        }
        return new Status(NodeId.parse(fields.get("self")), Long.parseLong(fields.get("epoch")),
                Long.parseLong(fields.get("time")), parse(fields.get("active")), parse(fields.get("reachable")),
                parse(fields.get("unreachable")), parse(fields.get("members")));
    }

    private static Set<NodeId> parse(String list) {
        if (list == null || list.isBlank()) {
            return Set.of();
        }
        return Arrays.stream(list.split(",")).map(NodeId::parse).collect(Collectors.toCollection(HashSet::new));
    }

    /** The reachability changes a node logged so far. */
    public List<Event> events(NodeId node) {
        Path file = dir.resolve(node.toString().replace(':', '_') + ".events");
        List<Event> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                String[] parts = line.split(" ");
                if (parts.length == 3) {
                    out.add(new Event(parts[0].equals("REACHABLE"), NodeId.parse(parts[1]), Long.parseLong(parts[2])));
                }
            }
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * Waits until every live node's own status satisfies {@code condition}; returns the
     * milliseconds it took, or -1 at the timeout.
     */
    public long awaitEveryNode(Predicate<Status> condition, long timeoutMillis) throws InterruptedException {
        long start = System.currentTimeMillis();
        while (System.currentTimeMillis() - start < timeoutMillis) {
            boolean all = true;
            for (NodeId node : live()) {
                Status status = status(node);
                if (status == null || !condition.test(status)) {
                    all = false;
                    break;
                }
            }
            if (all) {
                return System.currentTimeMillis() - start;
            }
            Thread.sleep(50);
        }
        return -1;
    }

    /** Describes every live node's status, for failure messages. */
    public String describe() {
        StringBuilder text = new StringBuilder();
        for (NodeId node : live()) {
            Status status = status(node);
            text.append(node).append(": ").append(status == null ? "no status"
                    : "reachable=" + status.reachable().size() + " members=" + status.members().size()
                    + " active=" + new java.util.TreeSet<>(status.active())).append('\n');
        }
        return text.toString();
    }

    @Override
    public void close() {
        for (Process process : processes.values()) {
            process.destroyForcibly();
        }
        for (Process process : processes.values()) {
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
    }
}
