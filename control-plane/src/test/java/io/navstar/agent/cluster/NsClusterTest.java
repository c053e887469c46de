package io.navstar.agent.cluster;

import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.agent.metrics.Exposition;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link NsCluster} drives every nscluster command against real agents, and {@code down} removes everything the
 * cluster held even when it holds an agent killed with SIGKILL and a container process started behind
 * nscluster's back. Threading: JUnit's thread only.
 */
class NsClusterTest {
    private static final String CLUSTER = NsCluster.uniqueName("t");

    @Test
    void commandsReachAgentsAndDownLeavesNothing() throws IOException, InterruptedException {
        assumeTrue(LbTestSupport.isRoot(), "needs root: namespaces, cgroups and eBPF programs");
        try (NsCluster cluster = NsCluster.up(CLUSTER, 2, "tc")) {
            assertEquals(NsCluster.containerAddress(1, 1), cluster.container(1, 1).orThrow("container").strip());
            cluster.container(2, 1).orThrow("container");
            cluster.serve(1, 1, 8080, "hello from n1").orThrow("serve");
            cluster.register(1, 1, "web-1", "/web:8080", 8080).orThrow("register");

            String vips = awaitOutput(() -> cluster.api(2, "/v1/vips"), NsCluster.containerAddress(1, 1));
            assertTrue(vips.contains("/web:8080"), vips);
            // every part's Prometheus families through a real agent's API
            String metrics = cluster.api(2, "/metrics").orThrow("metrics");
            Exposition.assertPromtoolAccepts(metrics.getBytes(StandardCharsets.UTF_8));
            assertEquals("hello from n1", cluster.exec(2, 1, "curl", "-sS", "--max-time", "2",
                    "http://web.marathon.l4lb.thisdcos.directory:8080/").orThrow("curl by name").strip());
            assertTrue(cluster.exec(2, 1, "cat", "/proc/self/cgroup").orThrow("exec").contains("/" + CLUSTER + "/n2/c1"),
                    "exec runs in the container's cgroup");
            assertTrue(cluster.nodeExec(1, "ip", "-br", "addr").orThrow("node-exec")
                    .contains(NsCluster.nodeAddress(1) + "/24"));

            cluster.link(1, false).orThrow("link down");
            assertFalse(cluster.exec(2, 1, "curl", "-s", "--max-time", "0.5",
                    "http://" + NsCluster.containerAddress(1, 1) + ":8080/").ok(), "node 1 is off the network");
            cluster.link(1, true).orThrow("link up");

            cluster.kill(2, true).orThrow("kill -9");
            assertFalse(cluster.api(2, "/v1/vips").ok(), "no API once the agent is killed");
            cluster.start(2).orThrow("start");
            awaitOutput(() -> cluster.api(2, "/v1/vips"), NsCluster.containerAddress(1, 1));

            // Behind nscluster's back: a process of its own in a container, and an agent gone without cleaning up.
            Process stray = new ProcessBuilder("ip", "netns", "exec", CLUSTER + "-n1-c1", "sleep", "600")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
            cluster.kill(1, true).orThrow("kill -9");
            cluster.close();
            assertTrue(stray.waitFor(10, TimeUnit.SECONDS), "down ends every process in the cluster's namespaces");
        }
        List<String> left = leftovers();
        assertTrue(left.isEmpty(), () -> "left behind: " + left);
    }

    /** Namespaces, /etc/netns entries, pin directories and cgroups of the test cluster that still exist. */
    private static List<String> leftovers() throws IOException {
        List<String> left = new ArrayList<>();
        String namespaces = NsCluster.runProcess(List.of("ip", "netns", "list"), Map.of(),
                Duration.ofSeconds(10)).output();
        namespaces.lines().filter(l -> l.startsWith(CLUSTER + "-")).forEach(left::add);
        for (Path dir : List.of(Path.of("/etc/netns"), Path.of("/sys/fs/bpf"))) {
            try (Stream<Path> entries = Files.list(dir)) {
                entries.filter(p -> p.getFileName().toString().startsWith(CLUSTER + "-")).map(Path::toString)
                        .forEach(left::add);
            }
        }
        for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
            String[] fields = line.split(" ");
            if (fields[2].equals("cgroup2") && Files.exists(Path.of(fields[1], CLUSTER))) {
                left.add(fields[1] + "/" + CLUSTER);
            }
        }
        return left;
    }

    /** Repeats {@code command} for up to 10 s until its output holds {@code expected}; returns that output. */
    private static String awaitOutput(Supplier<NsCluster.Result> command, String expected) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        NsCluster.Result last;
        do {
            last = command.get();
            if (last.ok() && last.output().contains(expected)) {
                return last.output();
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        } while (System.nanoTime() < deadline);
        throw new AssertionError("no '" + expected + "' within 10 s; last output (exit " + last.exitCode() + "):\n"
                + last.output());
    }
}
