package io.navstar.agent.cluster;

import io.navstar.agent.cluster.ClusterFixtures.Answer;
import io.navstar.agent.cluster.ClusterFixtures.Probe;
import io.navstar.agent.lb.support.LbTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.navstar.agent.cluster.ClusterFixtures.awaitOutput;
import static io.navstar.agent.cluster.ClusterFixtures.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A backend's node loses its agent (SIGKILL; its containers keep serving): the other nodes leave its backends out of
 * new connections within {@link #FAILOVER_LIMIT} (DESIGN.md, the way of one VIP, step 4: backends on nodes that
 * membership says are unreachable are left out), except for a VIP whose backends are all on that node, which is
 * kept; when the agent starts again its backends take new connections again. Three nodes in sock mode: /web:80 on
 * n1 and n2, /solo:80 on n1 alone, clients on n3 and n2 probing /web with a new connection every 50 ms.
 * Threading: JUnit's thread; the probes are processes.
 */
class BackendNodeFailoverTest {
    private static final Duration FAILOVER_LIMIT = Duration.ofSeconds(3);
    private static final Duration RETURN_LIMIT = Duration.ofSeconds(10);
    private static final String WEB = "web.marathon.l4lb.thisdcos.directory";
    private static final String SOLO = "solo.marathon.l4lb.thisdcos.directory";

    private static NsCluster cluster;

    @BeforeAll
    static void startCluster() {
        assumeTrue(LbTestSupport.isRoot(), "needs root: namespaces, cgroups and eBPF programs");
        cluster = NsCluster.up(NsCluster.uniqueName("f"), 3, "sock");
        cluster.container(1, 1).orThrow("container n1 c1");
        cluster.container(2, 1).orThrow("container n2 c1");
        cluster.container(2, 2).orThrow("container n2 c2");
        cluster.container(3, 1).orThrow("container n3 c1");
        cluster.serve(1, 1, 80, "node1").orThrow("serve on n1");
        cluster.serve(2, 1, 80, "node2").orThrow("serve on n2");
        cluster.register(1, 1, "web-1", "/web:80", 80).orThrow("register web-1");
        cluster.register(2, 1, "web-2", "/web:80", 80).orThrow("register web-2");
        cluster.register(1, 1, "solo-1", "/solo:80", 80).orThrow("register solo-1");
    }

    @AfterAll
    static void removeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void killedAgentsBackendsLeaveNewConnectionsWithinThreeSecondsAndReturnWithIt() {
        for (int node : new int[] {2, 3}) {
            awaitOutput(Duration.ofSeconds(20), "both /web backends and /solo on n" + node, () -> cluster.api(node, "/v1/vips"),
                    vips -> vips.contains(NsCluster.containerAddress(1, 1)) && vips.contains(NsCluster.containerAddress(2, 1))
                            && vips.contains("/solo:80"));
        }
        try (Probe fromN3 = new Probe(cluster, 3, 1, WEB, 80, 50, 1000);
             Probe fromN2 = new Probe(cluster, 2, 2, WEB, 80, 50, 1000)) {
            for (Probe probe : List.of(fromN3, fromN2)) {
                assertTrue(awaitTrue(Duration.ofSeconds(10), () -> answered(probe.answers(), "node1")
                        && answered(probe.answers(), "node2")), () -> "both backends answer:\n" + probe.transcript());
            }

            long killedAt = System.currentTimeMillis();
            cluster.kill(1, true).orThrow("kill -9 the agent of n1");
            ClusterFixtures.sleep(FAILOVER_LIMIT.toMillis() + 1500);
            long failover = 0;
            for (Probe probe : List.of(fromN3, fromN2)) {
                List<Answer> after = probe.answersFrom(killedAt);
                long lastOnNode1 = after.stream().filter(a -> a.text().equals("node1")).mapToLong(Answer::atMillis)
                        .max().orElse(killedAt);
                failover = Math.max(failover, lastOnNode1 - killedAt);
                List<Answer> settled = probe.answersFrom(killedAt + FAILOVER_LIMIT.toMillis());
                assertTrue(settled.size() >= 10, () -> "the probe went on:\n" + probe.transcript());
                assertTrue(settled.stream().allMatch(a -> a.text().equals("node2")),
                        () -> "every connection from " + FAILOVER_LIMIT.toSeconds() + " s after the kill on went to node2:\n"
                                + probe.transcript());
                assertTrue(after.stream().noneMatch(Answer::isError), () -> "no connection failed:\n" + probe.transcript());
            }
            System.out.printf("failover: last new connection to n1's backend %d ms after its agent was killed%n", failover);
            assertTrue(failover <= FAILOVER_LIMIT.toMillis(), "failover took " + failover + " ms");
            assertEquals("node1", cluster.exec(3, 1, "curl", "-sS", "--max-time", "2", "http://" + SOLO + "/")
                    .orThrow("/solo while its only node is unreachable").strip(), "a VIP with no reachable backend keeps them all");

            cluster.start(1).orThrow("start the agent of n1");
            long startedAt = System.currentTimeMillis();
            for (Probe probe : List.of(fromN3, fromN2)) {
                assertTrue(awaitTrue(RETURN_LIMIT, () -> answered(probe.answersFrom(startedAt), "node1")),
                        () -> "n1's backend takes new connections again within " + RETURN_LIMIT.toSeconds() + " s:\n"
                                + probe.transcript());
            }
            long back = fromN3.answersFrom(startedAt).stream().filter(a -> a.text().equals("node1"))
                    .mapToLong(Answer::atMillis).min().orElseThrow() - startedAt;
            System.out.printf("return: n1's backend took a connection from n3 %d ms after its agent answered again%n", back);
        }
    }

    private static boolean answered(List<Answer> answers, String backend) {
        return answers.stream().anyMatch(a -> a.text().equals(backend));
    }
}
