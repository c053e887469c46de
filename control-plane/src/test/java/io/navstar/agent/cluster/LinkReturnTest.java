package io.navstar.agent.cluster;

import io.navstar.agent.cluster.ClusterFixtures.Answer;
import io.navstar.agent.cluster.ClusterFixtures.Probe;
import io.navstar.agent.lb.support.LbTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.navstar.agent.cluster.ClusterFixtures.awaitOutput;
import static io.navstar.agent.cluster.ClusterFixtures.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A node whose fabric link comes back after an outage is reachable again once, without {@code up, down, up} on the
 * other nodes, and no connection through a VIP fails meanwhile. Three nodes in sock mode, /web:80 on n1 and n2, a
 * probe on n3 opening a connection every 50 ms that gives up after 0.5 s; once n2 and n3 have said nothing of n1's
 * reachability for 2 s, n1's link down for 5 s, then up. The reachability events are the agents' own log lines.
 * Threading: JUnit's thread; the probe is a process.
 */
class LinkReturnTest {
    private static final long OUTAGE_MILLIS = 5000;
    private static final long WATCH_MILLIS = 6000;
    /** How long n2 and n3 must say nothing of n1 before the outage, and how long that may take to come. */
    private static final long QUIET_MILLIS = 2000;
    private static final long SETTLE_MILLIS = 30_000;
    private static final String WEB = "web.marathon.l4lb.thisdcos.directory";

    private static NsCluster cluster;

    @BeforeAll
    static void startCluster() {
        assumeTrue(LbTestSupport.isRoot(), "needs root: namespaces, cgroups and eBPF programs");
        cluster = NsCluster.up(NsCluster.uniqueName("l"), 3, "sock");
        for (int node = 1; node <= 3; node++) {
            cluster.container(node, 1).orThrow("container n" + node + " c1");
        }
        for (int node = 1; node <= 2; node++) {
            cluster.serve(node, 1, 80, "node" + node).orThrow("serve on n" + node);
            cluster.register(node, 1, "web-" + node, "/web:80", 80).orThrow("register web-" + node);
        }
    }

    @AfterAll
    static void removeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void nodeBackFromALinkOutageIsReachableOnceAndConnectionsKeepWorking() throws IOException {
        awaitOutput(Duration.ofSeconds(20), "both backends on n3", () -> cluster.api(3, "/v1/vips"),
                vips -> vips.contains(NsCluster.containerAddress(1, 1)) && vips.contains(NsCluster.containerAddress(2, 1)));
        String away = NsCluster.nodeAddress(1) + ":62501";
        try (Probe probe = new Probe(cluster, 3, 1, WEB, 80, 50, 500)) {
            assertTrue(awaitTrue(Duration.ofSeconds(10), () -> probe.answers().stream().anyMatch(a -> a.text().equals("node1"))),
                    probe::transcript);
            long[] logOffsets = settledLogOffsets(away);

            cluster.link(1, false).orThrow("link n1 down");
            ClusterFixtures.sleep(OUTAGE_MILLIS);
            for (int node = 2; node <= 3; node++) {
                assertEquals(List.of("down"), reachabilityOf(node, away, logOffsets[node]), "n" + node + " lost n1; "
                        + reachabilityLog(node));
                logOffsets[node] = Files.size(cluster.agentLog(node));
            }
            long upAt = System.currentTimeMillis();
            cluster.link(1, true).orThrow("link n1 up");
            ClusterFixtures.sleep(WATCH_MILLIS);

            for (int node = 2; node <= 3; node++) {
                assertEquals(List.of("up"), reachabilityOf(node, away, logOffsets[node]),
                        "what n" + node + " said of n1 after its link came back; " + reachabilityLog(node));
            }
            List<Answer> after = probe.answersFrom(upAt);
            assertTrue(after.stream().noneMatch(Answer::isError), () -> "no connection failed after the link came back:\n"
                    + probe.transcript());
            assertTrue(after.stream().anyMatch(a -> a.text().equals("node1")), () -> "n1's backend is back:\n" + probe.transcript());
        }
    }

    /**
     * The agents' log sizes once n2 and n3 have said nothing of {@code subject}'s reachability for
     * {@link #QUIET_MILLIS}: a young cluster on a loaded machine may still flap (a probe that timed out in a JVM's
     * warm-up), and that is not the outage this test makes.
     */
    private static long[] settledLogOffsets(String subject) throws IOException {
        long deadline = System.currentTimeMillis() + SETTLE_MILLIS;
        while (true) {
            long[] offsets = {0, Files.size(cluster.agentLog(1)), Files.size(cluster.agentLog(2)),
                    Files.size(cluster.agentLog(3))};
            ClusterFixtures.sleep(QUIET_MILLIS);
            if (reachabilityOf(2, subject, offsets[2]).isEmpty() && reachabilityOf(3, subject, offsets[3]).isEmpty()) {
                return offsets;
            }
            assertTrue(System.currentTimeMillis() < deadline, "n2 and n3 still change their minds about n1 after "
                    + SETTLE_MILLIS + " ms; " + reachabilityLog(2) + "; " + reachabilityLog(3));
        }
    }

    /** Every reachability line of a node's agent log, for a failure's message. */
    private static String reachabilityLog(int node) throws IOException {
        List<String> lines = Files.readAllLines(cluster.agentLog(node)).stream()
                .filter(line -> line.contains("reachability: ")).toList();
        return "n" + node + "'s reachability log:\n" + String.join("\n", lines);
    }

    /** What a node's agent logged of {@code subject}'s reachability since {@code offset}, in order: up or down. */
    private static List<String> reachabilityOf(int node, String subject, long offset) throws IOException {
        Path log = cluster.agentLog(node);
        byte[] bytes = Files.readAllBytes(log);
        List<String> events = new ArrayList<>();
        for (String line : new String(bytes, (int) offset, bytes.length - (int) offset).lines().toList()) {
            int at = line.indexOf("reachability: ");
            if (at < 0) {
                continue;
            }
            String event = line.substring(at); // reachability: [a, b] up, [c] down
            int split = event.indexOf("] up, [");
            if (event.substring(0, split).contains(subject)) {
                events.add("up");
            }
            if (event.substring(split).contains(subject)) {
                events.add("down");
            }
        }
        return events;
    }
}
