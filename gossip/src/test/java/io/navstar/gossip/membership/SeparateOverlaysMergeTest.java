package io.navstar.gossip.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.GossipNode;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.sim.SimCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Two contact nodes that start while they cannot reach each other each gather an overlay of their
 * own, whose members never hear of the other's. Probing the contacts membership does not know
 * joins them once the network allows (seen first with 25 real processes started at once).
 */
class SeparateOverlaysMergeTest {

    @Test
    void overlaysFormedAroundTwoContactsMergeOnceTheContactsCanTalk() {
        SimCluster cluster = new SimCluster(GossipConfig.defaults(), 31);
        List<GossipNode> nodes = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            nodes.add(cluster.addNode());
        }
        NodeId first = nodes.get(0).self();
        NodeId second = nodes.get(12).self();
        Set<NodeId> left = new HashSet<>();
        Set<NodeId> right = new HashSet<>();
        for (int i = 0; i < 24; i++) {
            (i < 12 ? left : right).add(nodes.get(i).self());
        }
        cluster.partition(List.of(left, right));
        for (GossipNode node : nodes) {
            node.start(List.of(first, second));
        }
        assertNotNull(cluster.runUntil(() -> nodes.stream().allMatch(n -> n.reachableCount() == 12),
                Duration.ofMillis(200), Duration.ofSeconds(30)), "two overlays of 12 formed apart");
        for (GossipNode node : nodes) {
            assertEquals(12, node.memberCount(), node.self() + " knows only its own overlay");
        }
        cluster.heal();
        assertNotNull(cluster.runUntil(() -> nodes.stream().allMatch(n -> n.reachableCount() == 24 && n.memberCount() == 24),
                Duration.ofMillis(200), Duration.ofSeconds(30)), "one overlay of 24 after the contacts can talk");
    }
}
