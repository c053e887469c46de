package io.navstar.gossip.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.NodeId;
import io.navstar.gossip.cli.ProcessCluster.Status;
import io.navstar.gossip.transport.TcpClusterSupport;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 25 gossip nodes as OS processes over TCP on 127.0.0.1-25: they converge, survive five kills and
 * a 15/10 partition, and take back three nodes killed and restarted at once with the same id and
 * data directory, each checked from every node's own view.
 */
class ProcessClusterTest {

    private static final int SIZE = 25;

    @TempDir
    Path dir;

    @Test
    void twentyFiveProcessesConvergeSurviveKillsAndHealAPartition() throws Exception {
        int port = TcpClusterSupport.freePort(SIZE);
        try (ProcessCluster cluster = new ProcessCluster(dir, SIZE, port, ProcessCluster.javaCommandOfThisJvm(),
                "process-cluster-test-secret")) {
            cluster.start();
            Set<NodeId> all = new HashSet<>(cluster.nodes());
            long converged = cluster.awaitEveryNode(s -> s.reachable().equals(all) && s.members().equals(all), 90_000);
            assertTrue(converged >= 0, "25 nodes converge:\n" + cluster.describe());

            List<NodeId> killed = cluster.nodes().subList(SIZE - 5, SIZE);
            for (NodeId node : killed) {
                cluster.kill(node);
            }
            Set<NodeId> survivors = new HashSet<>(cluster.nodes().subList(0, SIZE - 5));
            long detected = cluster.awaitEveryNode(s -> s.reachable().equals(survivors)
                    && s.unreachable().containsAll(killed), 30_000);
            assertTrue(detected >= 0, "every survivor sees exactly the survivors reachable:\n" + cluster.describe());

            List<NodeId> sideA = cluster.nodes().subList(0, 15);
            List<NodeId> sideB = cluster.nodes().subList(15, SIZE - 5);
            Set<NodeId> a = new HashSet<>(sideA);
            Set<NodeId> b = new HashSet<>(sideB);
            for (NodeId node : sideA) {
                cluster.block(node, sideB);
            }
            for (NodeId node : sideB) {
                cluster.block(node, sideA);
            }
            long split = cluster.awaitEveryNode(s -> s.reachable().equals(a.contains(s.self()) ? a : b), 30_000);
            assertTrue(split >= 0, "each side of the 15/10 partition sees only itself:\n" + cluster.describe());

            for (NodeId node : survivors) {
                cluster.unblock(node);
            }
            long healed = cluster.awaitEveryNode((Status s) -> s.reachable().equals(survivors), 30_000);
            assertTrue(healed >= 0, "one component again after the heal:\n" + cluster.describe());

            // restarts: SIGKILL and start again at once with the same id and data directory, so the
            // others still hold the old incarnation; it must be back in every node's own view
            List<Long> rejoined = new java.util.ArrayList<>();
            for (NodeId node : List.of(cluster.nodes().get(3), cluster.nodes().get(10), cluster.nodes().get(0))) {
                long oldEpoch = cluster.status(node).epoch();
                long restartedAt = cluster.kill(node);
                cluster.restart(node);
                // statuses written after the restart; the others' rows of it carry no epoch in the
                // status file, so the epoch is checked on the node itself (TcpRestartRejoinTest
                // checks it in every node's table)
                long back = cluster.awaitEveryNode(s -> s.timeMillis() > restartedAt && s.reachable().equals(survivors)
                        && (!s.self().equals(node) || (s.epoch() > oldEpoch && !s.active().isEmpty())), 30_000);
                assertTrue(back >= 0, node + " restarted with its data directory is back in every view:\n"
                        + cluster.describe());
                rejoined.add(back);
            }
            System.out.printf("processes: converged %d ms, kill detected %d ms, split %d ms, healed %d ms, "
                    + "restart rejoined %s ms%n", converged, detected, split, healed, rejoined);
        }
    }
}
