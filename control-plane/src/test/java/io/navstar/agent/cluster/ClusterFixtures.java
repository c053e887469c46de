package io.navstar.agent.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What the cluster tests share besides {@link NsCluster}: waiting for a command's output, the test backend and
 * probe scripts (backend.py, probe.py beside this class) and reading what they print, and the download pattern.
 * Threading: the test's thread; a {@link Probe} is read from any thread while its process writes.
 */
public final class ClusterFixtures {
    static final ObjectMapper JSON = new ObjectMapper();

    private ClusterFixtures() {
    }

    /** A script beside this class in the test resources (backend.py, probe.py). */
    static String script(String name) {
        try {
            return Path.of(ClusterFixtures.class.getResource(name).toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Repeats {@code command} every 100 ms for up to {@code limit} until it succeeds with an output that
     * {@code accepted} takes; returns that output, or throws naming {@code what} and the last output.
     */
    static String awaitOutput(Duration limit, String what, Supplier<NsCluster.Result> command,
                              Predicate<String> accepted) {
        long deadline = System.nanoTime() + limit.toNanos();
        NsCluster.Result last;
        do {
            last = command.get();
            if (last.ok() && accepted.test(last.output())) {
                return last.output();
            }
            sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("no " + what + " within " + limit.toSeconds() + " s; last output (exit "
                + last.exitCode() + "):\n" + last.output());
    }

    /** Waits for {@code condition} for up to {@code limit}, checking every 50 ms; false when it never held. */
    public static boolean awaitTrue(Duration limit, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(50);
        }
        return true;
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The first {@code size} bytes backend.py streams for /big: its 64 KiB pattern, repeated. */
    static String bigBodySha256(long size) {
        byte[] pattern = new byte[65536];
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = (byte) ((i * 7 + 13) % 251);
        }
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (long left = size; left > 0; left -= pattern.length) {
                digest.update(pattern, 0, (int) Math.min(pattern.length, left));
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The SHA-256 of a file, in hex. */
    static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The lines a spawned process wrote so far. */
    public static List<String> lines(Path output) {
        try {
            return Files.exists(output) ? Files.readAllLines(output) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Ends a spawned process: SIGTERM, then SIGKILL after 5 s. */
    public static void stop(Process process) {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sends {@code signal} (USR1, USR2, ...) to a process. */
    public static void signal(Process process, String signal) {
        NsCluster.Result kill = NsCluster.runProcess(List.of("kill", "-s", signal, String.valueOf(process.pid())),
                java.util.Map.of(), Duration.ofSeconds(5));
        kill.orThrow("kill -s " + signal + " " + process.pid());
    }

    /** backend.py running in a container; the constructor returns once it listens. */
    public static final class Backend implements AutoCloseable {
        private final Process process;
        private final Path output;

        /**
         * @param bigBytes what /big streams
         * @param bigRate  its pace, bytes per second
         */
        public Backend(NsCluster cluster, int node, int container, String name, int port, long bigBytes, long bigRate) {
            this.output = cluster.nodeDir(node).resolve("backend-c" + container + ".out");
            this.process = cluster.spawn(output, node, container, "python3", script("backend.py"), name,
                    String.valueOf(port), String.valueOf(bigBytes), String.valueOf(bigRate));
            if (!awaitTrue(Duration.ofSeconds(10), () -> lines().contains("listening"))) {
                close();
                throw new AssertionError("backend " + name + " on n" + node + " c" + container + " did not listen: "
                        + lines());
            }
        }

        /** What it printed so far: listening, stopped, one line per request and per /big done. */
        public List<String> lines() {
            return ClusterFixtures.lines(output);
        }

        /** Whether a /big request reached it. */
        boolean servesBig() {
            return lines().stream().anyMatch(l -> l.endsWith(" /big"));
        }

        /** SIGUSR1: stop accepting; SIGUSR2: accept again. */
        public void signal(String signal) {
            ClusterFixtures.signal(process, signal);
        }

        @Override
        public void close() {
            stop(process);
        }
    }

    /** curl fetching backend.py's /big in a container, into a file. */
    static final class Download implements AutoCloseable {
        private final Process process;
        private final Path file;
        private final Path output;

        Download(NsCluster cluster, int node, int container, String url) {
            this.file = cluster.nodeDir(node).resolve("download-c" + container);
            this.output = cluster.nodeDir(node).resolve("download-c" + container + ".out");
            this.process = cluster.spawn(output, node, container, "curl", "-sS", "--max-time", "60", "-o",
                    file.toString(), url);
        }

        boolean isAlive() {
            return process.isAlive();
        }

        /** Waits up to {@code limit} for it to end; asserts that curl succeeded and the body is whole. */
        void assertWhole(long bytes, Duration limit) throws IOException, InterruptedException {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("the download did not end within " + limit.toSeconds() + " s");
            }
            if (process.exitValue() != 0) {
                throw new AssertionError("curl exited with " + process.exitValue() + ": " + lines(output));
            }
            if (Files.size(file) != bytes) {
                throw new AssertionError("the download has " + Files.size(file) + " bytes, not " + bytes);
            }
            if (!bigBodySha256(bytes).equals(sha256(file))) {
                throw new AssertionError("the download's bytes differ from what the backend sent");
            }
        }

        @Override
        public void close() {
            stop(process);
        }
    }

    /** One answer of probe.py: when the connection was started (epoch ms) and what came back. */
    public record Answer(long atMillis, String text) {
        public boolean isError() {
            return text.startsWith("error");
        }
    }

    /** probe.py running in a container: a new connection every interval, each answer a line. */
    public static final class Probe implements AutoCloseable {
        private final Process process;
        private final Path output;

        public Probe(NsCluster cluster, int node, int container, String host, int port, int intervalMillis,
              int timeoutMillis) {
            this.output = cluster.nodeDir(node).resolve("probe-c" + container + "-" + System.nanoTime() + ".out");
            this.process = cluster.spawn(output, node, container, "python3", script("probe.py"), host,
                    String.valueOf(port), String.valueOf(intervalMillis), String.valueOf(timeoutMillis));
        }

        /** Every answer so far, in order. */
        public List<Answer> answers() {
            List<Answer> answers = new ArrayList<>();
            for (String line : lines(output)) {
                int space = line.indexOf(' ');
                if (space > 0 && !line.substring(space + 1).startsWith("resolved")) {
                    answers.add(new Answer(Long.parseLong(line.substring(0, space)), line.substring(space + 1)));
                }
            }
            return answers;
        }

        /** Answers of connections started at or after {@code fromMillis}. */
        List<Answer> answersFrom(long fromMillis) {
            return answers().stream().filter(a -> a.atMillis() >= fromMillis).toList();
        }

        /** Everything it printed, for a failure message. */
        public String transcript() {
            return String.join("\n", lines(output));
        }

        @Override
        public void close() {
            stop(process);
        }
    }
}
