package io.navstar.gossip.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.GossipNode;
import io.navstar.gossip.NodeId;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The seed's torture tests at 1,000 simulated nodes, deterministic for a fixed seed. */
class LargeSimulationTest {

    private static final int NODES = 1000;
    private static final int CHANNEL = GossipNode.FIRST_USER_CHANNEL;

    private static SimCluster converged(GossipConfig config, long seed) {
        // objects are handed over, not re-encoded: the codec has its own tests, and this keeps
        // 1,000 nodes' tables shared in the heap
        SimCluster cluster = new SimCluster(config, seed, Duration.ofMillis(1), Duration.ofMillis(5), false);
        cluster.addAndStart(NODES);
        Duration took = cluster.runUntil(() -> SimAssertions.overlayConnected(cluster.nodes())
                && SimAssertions.everyNodeSeesExactly(cluster.nodes(), false), Duration.ofSeconds(1), Duration.ofMinutes(3));
        assertNotNull(took, "1,000 nodes did not converge within 3 simulated minutes");
        return cluster;
    }

    private static void assertViewsWithinBounds(SimCluster cluster, GossipConfig config) {
        for (GossipNode node : cluster.nodes()) {
            assertTrue(node.activeView().size() >= 1 && node.activeView().size() <= config.activeViewSize(),
                    node.self() + " active view " + node.activeView().size());
            assertTrue(node.passiveView().size() <= config.passiveViewSize(), node.self() + " passive view");
            assertTrue(Collections.disjoint(node.activeView(), node.passiveView()), node.self() + " views overlap");
            assertTrue(!node.activeView().contains(node.self()), node.self() + " lists itself");
        }
    }

    @Test
    void thousandNodesJoinIntoOneOverlayWithViewsWithinBoundsAndLoseHalfAtOnce() {
        GossipConfig config = GossipConfig.simulation().toBuilder().pruneUnreachableAfter(Duration.ofSeconds(30)).build();
        SimCluster cluster = converged(config, 1);
        cluster.runFor(Duration.ofSeconds(5));
        assertViewsWithinBounds(cluster, config);
        assertTrue(SimAssertions.overlayConnected(cluster.nodes()));

        List<NodeId> all = new ArrayList<>(cluster.nodes().stream().map(GossipNode::self).toList());
        Collections.shuffle(all, new Random(2));
        for (NodeId victim : all.subList(0, NODES / 2)) {
            cluster.crash(victim);
        }
        Duration healed = cluster.runUntil(() -> SimAssertions.overlayConnected(cluster.nodes())
                && SimAssertions.everyNodeSeesExactly(cluster.nodes(), true), Duration.ofSeconds(1), Duration.ofMinutes(3));
        assertNotNull(healed, "survivors did not form one component listing exactly the live nodes");
        assertEquals(NODES / 2, cluster.nodes().size());
        for (GossipNode node : cluster.nodes()) {
            assertEquals(NODES / 2, node.members().size(), node.self() + " membership table");
            assertTrue(node.metrics().failuresDetected() >= 0);
        }
        assertViewsWithinBounds(cluster, config);
    }

    @Test
    void randomPartitionsForFiveMinutesThenHealIntoOneComponent() {
        GossipConfig config = GossipConfig.simulation();
        SimCluster cluster = new SimCluster(config, 3, Duration.ofMillis(1), Duration.ofMillis(5), false);
        cluster.addAndStart(120);
        assertNotNull(cluster.runUntil(() -> SimAssertions.everyNodeSeesExactly(cluster.nodes(), false),
                Duration.ofSeconds(1), Duration.ofMinutes(2)));
        List<NodeId> ids = cluster.nodes().stream().map(GossipNode::self).toList();
        Random random = new Random(4);
        long end = cluster.scheduler().nanoTime() + Duration.ofMinutes(5).toNanos();
        int rounds = 0;
        while (cluster.scheduler().nanoTime() < end) {
            cluster.partition(randomPartition(ids, random));
            cluster.runFor(Duration.ofSeconds(5 + random.nextInt(40)));
            if (random.nextBoolean()) {
                cluster.heal();
                cluster.runFor(Duration.ofSeconds(random.nextInt(5)));
            }
            rounds++;
        }
        cluster.heal();
        Duration healed = cluster.runUntil(() -> SimAssertions.overlayConnected(cluster.nodes())
                && SimAssertions.everyNodeSeesExactly(cluster.nodes(), true), Duration.ofSeconds(1), Duration.ofMinutes(3));
        assertNotNull(healed, "one component again after " + rounds + " rounds of partitions");
        assertViewsWithinBounds(cluster, config);
    }

    private static List<Set<NodeId>> randomPartition(List<NodeId> ids, Random random) {
        int groups = 2 + random.nextInt(3);
        List<Set<NodeId>> partition = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            partition.add(new HashSet<>());
        }
        for (NodeId id : ids) {
            partition.get(random.nextInt(groups)).add(id);
        }
        return partition;
    }

    @Test
    void multicastReachesEveryReachableNodeExactlyOnceAcrossAPartition() {
        SimCluster cluster = new SimCluster(GossipConfig.simulation(), 5);
        cluster.addAndStart(200);
        assertNotNull(cluster.runUntil(() -> SimAssertions.everyNodeSeesExactly(cluster.nodes(), false),
                Duration.ofSeconds(1), Duration.ofMinutes(2)));
        Map<NodeId, Map<Long, Integer>> deliveries = new HashMap<>();
        for (GossipNode node : cluster.nodes()) {
            Map<Long, Integer> counts = new HashMap<>();
            deliveries.put(node.self(), counts);
            node.registerChannel(CHANNEL, (origin, payload) ->
                    counts.merge(ByteBuffer.wrap(payload).getLong(), 1, Integer::sum));
        }
        List<NodeId> ids = cluster.nodes().stream().map(GossipNode::self).toList();
        Set<NodeId> left = new HashSet<>(ids.subList(0, 80));
        Set<NodeId> right = new HashSet<>(ids.subList(80, ids.size()));
        cluster.partition(List.of(left, right));
        assertNotNull(cluster.runUntil(() -> cluster.nodes().stream().allMatch(n ->
                        n.reachableCount() == (left.contains(n.self()) ? left.size() : right.size())),
                Duration.ofSeconds(1), Duration.ofMinutes(2)), "each side sees only itself");

        List<GossipNode> senders = new ArrayList<>(cluster.nodes()).subList(60, 100);
        for (int i = 0; i < senders.size(); i++) {
            senders.get(i).multicast(CHANNEL, ByteBuffer.allocate(8).putLong(i).array());
        }
        cluster.runFor(Duration.ofSeconds(5));
        for (GossipNode node : cluster.nodes()) {
            Map<Long, Integer> counts = deliveries.get(node.self());
            for (int i = 0; i < senders.size(); i++) {
                NodeId sender = senders.get(i).self();
                boolean sameSide = left.contains(sender) == left.contains(node.self());
                int expected = sameSide && !sender.equals(node.self()) ? 1 : 0;
                assertEquals(expected, counts.getOrDefault((long) i, 0).intValue(),
                        node.self() + " deliveries of multicast " + i + " from " + sender);
            }
        }
        long duplicates = cluster.nodes().stream().mapToLong(n -> n.metrics().multicastDuplicates()).sum();
        assertTrue(duplicates > 0, "the replicated trees did send copies that dedupe suppressed");
    }
}
