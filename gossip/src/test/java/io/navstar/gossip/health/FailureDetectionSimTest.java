package io.navstar.gossip.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.GossipNode;
import io.navstar.gossip.NeighbourListener;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.membership.MembershipListener;
import io.navstar.gossip.sim.SimCluster;
import io.navstar.gossip.wire.MessageType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Health checks in the simulator: real failures are found and replaced, rumours are checked. */
class FailureDetectionSimTest {

    private static SimCluster converged(int size, long seed) {
        SimCluster cluster = new SimCluster(GossipConfig.defaults(), seed);
        cluster.addAndStart(size);
        assertNotNull(cluster.runUntil(() -> cluster.nodes().stream().allMatch(n -> n.reachableCount() == size),
                Duration.ofMillis(200), Duration.ofMinutes(1)));
        cluster.runFor(Duration.ofSeconds(10));
        return cluster;
    }

    @Test
    void crashedNeighbourIsDetectedReplacedFromThePassiveViewAndSeenUnreachableEverywhere() {
        SimCluster cluster = converged(40, 11);
        GossipNode victim = cluster.nodes().iterator().next();
        NodeId dead = victim.self();
        List<GossipNode> neighbours = new ArrayList<>();
        for (GossipNode node : cluster.nodes()) {
            if (node.activeView().contains(dead)) {
                neighbours.add(node);
            }
        }
        assertFalse(neighbours.isEmpty());
        List<Long> unreachableAt = new ArrayList<>();
        List<String> keptAsBackup = new ArrayList<>();
        for (GossipNode node : neighbours) {
            node.addNeighbourListener(new NeighbourListener() {
                @Override
                public void onNeighbourUp(NodeId neighbour) {
                }

                @Override
                public void onNeighbourDown(NodeId neighbour, boolean failed) {
                    if (neighbour.equals(dead) && node.passiveView().contains(dead)) {
                        keptAsBackup.add(node.self() + (failed ? " (detected)" : " (told)"));
                    }
                }
            });
        }
        for (GossipNode node : cluster.nodes()) {
            node.addMembershipListener(new MembershipListener() {
                @Override
                public void onReachabilityChanged(Set<NodeId> up, Set<NodeId> down) {
                    if (down.contains(dead)) {
                        unreachableAt.add(cluster.scheduler().nanoTime());
                    }
                }
            });
        }
        long crashAt = cluster.scheduler().nanoTime();
        cluster.crash(dead);
        cluster.runFor(Duration.ofSeconds(5));
        assertEquals(39, unreachableAt.size(), "every survivor was told the node became unreachable, once");
        long worst = unreachableAt.stream().mapToLong(t -> t - crashAt).max().orElseThrow();
        assertTrue(worst < Duration.ofSeconds(3).toNanos(), "all knew within 3 s, took " + worst / 1_000_000 + " ms");
        for (GossipNode node : neighbours) {
            assertFalse(node.activeView().contains(dead), node.self() + " dropped the dead neighbour");
        }
        // when it drops it; a shuffle may bring it back later, as HyParView's passive views do (§4.4)
        assertEquals(List.of(), keptAsBackup, "neighbours that kept the dead node as a backup");
        long detectedBy = cluster.nodes().stream().filter(n -> n.metrics().failuresDetected() > 0).count();
        assertTrue(detectedBy >= 1);
        cluster.runFor(Duration.ofSeconds(10));
        for (GossipNode node : cluster.nodes()) {
            assertTrue(node.activeView().size() >= 4, node.self() + " refilled its active view: " + node.activeView());
        }
    }

    @Test
    void nodeThatHearsOfAFailureProbesItselfAndKeepsAHealthyNeighbour() {
        SimCluster cluster = converged(30, 12);
        // cut one link only: its two ends lose each other, everyone else still reaches both
        GossipNode a = cluster.nodes().iterator().next();
        NodeId b = a.activeView().get(0);
        List<GossipNode> othersNextToB = new ArrayList<>();
        for (GossipNode node : cluster.nodes()) {
            if (!node.self().equals(a.self()) && node.activeView().contains(b)) {
                othersNextToB.add(node);
            }
        }
        assertFalse(othersNextToB.isEmpty(), "b has other neighbours");
        long pingsBefore = othersNextToB.stream().mapToLong(n -> n.metrics().messagesOut(MessageType.PING)).sum();
        cluster.network().blockLink(a.self(), b);
        cluster.runFor(Duration.ofSeconds(10));
        assertFalse(a.activeView().contains(b), "a dropped b after its own probes failed");
        for (GossipNode node : othersNextToB) {
            assertTrue(node.activeView().contains(b), node.self() + " heard the rumour, probed b, kept it");
            assertTrue(node.routes().reachable(b));
            assertEquals(0, node.metrics().failuresDetected(), node.self() + " believed no failure");
        }
        long pingsAfter = othersNextToB.stream().mapToLong(n -> n.metrics().messagesOut(MessageType.PING)).sum();
        assertTrue(pingsAfter > pingsBefore);
        assertTrue(a.routes().reachable(b), "a still reaches b through others");
    }
}
