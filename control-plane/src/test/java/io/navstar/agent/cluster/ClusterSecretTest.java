package io.navstar.agent.cluster;

import io.navstar.agent.lb.support.LbTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import static io.navstar.agent.cluster.ClusterFixtures.awaitOutput;
import static io.navstar.agent.cluster.ClusterFixtures.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Agents with different cluster secrets never share state: two nodes that name each other as contacts, each with a
 * secret of its own, a task registered on one; seconds later each still knows only itself (its /v1/nodes, its
 * /v1/vips) and each log shows the other's handshakes refused. Given the same secret (n2 restarted with n1's), they
 * share at once. Sock mode. Threading: JUnit's thread.
 */
class ClusterSecretTest {
    /** Several rounds of joins (every 1-2 s), heal probes (every 0.5 s) and anti-entropy. */
    private static final long APART_MILLIS = 6000;

    private static NsCluster cluster;

    @BeforeAll
    static void startCluster() {
        assumeTrue(LbTestSupport.isRoot(), "needs root: namespaces, cgroups and eBPF programs");
        cluster = NsCluster.up(NsCluster.uniqueName("s"), 2, "sock", NsCluster.UpOption.SECRET_PER_NODE);
        cluster.container(1, 1).orThrow("container n1 c1");
        cluster.serve(1, 1, 80, "node1").orThrow("serve");
        cluster.register(1, 1, "web-1", "/web:80", 80).orThrow("register web-1");
    }

    @AfterAll
    static void removeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void nodesWithDifferentSecretsShareNothingUntilTheyShareTheSecret() throws IOException {
        String task = NsCluster.containerAddress(1, 1);
        awaitOutput(Duration.ofSeconds(10), "web-1 on n1", () -> cluster.api(1, "/v1/vips"), vips -> vips.contains(task));
        ClusterFixtures.sleep(APART_MILLIS);

        assertEquals(json("[]"), json(cluster.api(2, "/v1/vips").orThrow("n2 /v1/vips")), "n2 has no VIP");
        assertEquals(1, json(cluster.api(1, "/v1/vips").orThrow("n1 /v1/vips")).size(), "n1 has its own only");
        for (int node = 1; node <= 2; node++) {
            var nodes = json(cluster.api(node, "/v1/nodes").orThrow("/v1/nodes"));
            assertEquals(1, nodes.size(), "n" + node + " knows only itself: " + nodes);
            assertEquals(NsCluster.nodeAddress(node), nodes.get(0).path("private_ip").asText());
            String log = Files.readString(cluster.agentLog(node));
            String other = NsCluster.nodeAddress(3 - node);
            assertTrue(log.contains("claiming to be " + other + ":62501 failed the cluster-secret handshake"),
                    "n" + node + " logged the other's refused handshake:\n" + log);
            assertTrue(!log.contains("reachability: [" + other), "n" + node + " never reached the other:\n" + log);
        }

        Files.copy(cluster.nodeDir(1).resolve("secret"), cluster.nodeDir(2).resolve("secret"),
                StandardCopyOption.REPLACE_EXISTING);
        long restartedAt = System.currentTimeMillis();
        cluster.kill(2, false).orThrow("stop n2");
        cluster.start(2).orThrow("start n2 with n1's secret");
        awaitOutput(Duration.ofSeconds(10), "web-1 on n2", () -> cluster.api(2, "/v1/vips"), vips -> vips.contains(task));
        awaitOutput(Duration.ofSeconds(10), "both nodes on n1", () -> cluster.api(1, "/v1/nodes"),
                nodes -> json(nodes).size() == 2);
        System.out.printf("same secret: n2 stopped, started and had n1's VIP in %d ms%n",
                System.currentTimeMillis() - restartedAt);
    }
}
