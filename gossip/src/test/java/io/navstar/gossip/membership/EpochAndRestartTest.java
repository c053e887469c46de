package io.navstar.gossip.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.GossipNode;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.sim.SimCluster;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EpochAndRestartTest {

    @TempDir
    Path dir;

    @Test
    void fileEpochStoreRaisesTheEpochOnEveryRestartEvenWhenTheClockGoesBack() throws Exception {
        Path file = dir.resolve("epoch");
        long first = new FileEpochStore(file, () -> 1_000).nextEpoch();
        long second = new FileEpochStore(file, () -> 5).nextEpoch();
        long third = new FileEpochStore(file, () -> 2_000).nextEpoch();
        assertEquals(1_000, first);
        assertEquals(1_001, second);
        assertEquals(2_000, third);
        assertEquals("2000", Files.readString(file).trim());
        assertEquals(List.of("epoch"), Files.list(dir).map(p -> p.getFileName().toString()).toList(), "no temp file left");
    }

    @Test
    void shouldRefuseCorruptEpochFile() throws Exception {
        Path file = dir.resolve("epoch");
        Files.writeString(file, "not a number");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> new FileEpochStore(file).nextEpoch());
        assertTrue(e.getCause().getMessage().contains("does not hold a number"), e.getCause().getMessage());
    }

    @Test
    void restartedNodeSupersedesItsOldIncarnationEverywhere() {
        SimCluster cluster = new SimCluster(GossipConfig.defaults(), 21);
        cluster.addAndStart(20);
        assertNotNull(cluster.runUntil(() -> cluster.nodes().stream().allMatch(n -> n.reachableCount() == 20),
                Duration.ofMillis(200), Duration.ofMinutes(1)));
        GossipNode old = cluster.nodes().stream().skip(5).findFirst().orElseThrow();
        NodeId id = old.self();
        long oldEpoch = old.epoch();
        cluster.crash(id);
        cluster.runFor(Duration.ofSeconds(1));
        GossipNode reborn = cluster.restart(id, List.of(cluster.nodes().iterator().next().self()));
        assertTrue(reborn.epoch() > oldEpoch);
        assertNotNull(cluster.runUntil(() -> cluster.nodes().stream().allMatch(n -> n.reachableCount() == 20
                        && n.members().get(id) != null && n.members().get(id).epoch() == reborn.epoch()),
                Duration.ofMillis(200), Duration.ofMinutes(1)), "every node holds the new incarnation's row");
    }

    @Test
    void routesAreCachedUntilTheAdjacencyChanges() {
        SimCluster cluster = new SimCluster(GossipConfig.defaults(), 23);
        cluster.addAndStart(10);
        assertNotNull(cluster.runUntil(() -> cluster.nodes().stream().allMatch(n -> n.reachableCount() == 10),
                Duration.ofMillis(200), Duration.ofMinutes(1)));
        cluster.runFor(Duration.ofSeconds(5));
        GossipNode node = cluster.nodes().iterator().next();
        var first = node.routes();
        org.junit.jupiter.api.Assertions.assertSame(first, node.routes(), "no change, same table");
        org.junit.jupiter.api.Assertions.assertSame(first.tree(node.self()), node.routes().tree(node.self()));
        cluster.crash(node.activeView().get(0));
        cluster.runFor(Duration.ofSeconds(5));
        org.junit.jupiter.api.Assertions.assertNotSame(first, node.routes(), "a view changed, new table");
        assertEquals(9, node.routes().reachableNodes().size());
    }

    @Test
    void longUnreachableNodesArePrunedAndStaleCopiesDoNotBringThemBack() {
        GossipConfig config = GossipConfig.defaults().toBuilder().pruneUnreachableAfter(Duration.ofSeconds(20)).build();
        SimCluster cluster = new SimCluster(config, 22);
        cluster.addAndStart(15);
        assertNotNull(cluster.runUntil(() -> cluster.nodes().stream().allMatch(n -> n.reachableCount() == 15),
                Duration.ofMillis(200), Duration.ofMinutes(1)));
        NodeId dead = cluster.nodes().stream().skip(3).findFirst().orElseThrow().self();
        cluster.crash(dead);
        cluster.runFor(Duration.ofSeconds(10));
        assertTrue(cluster.nodes().stream().allMatch(n -> n.members().containsKey(dead)), "kept while recent");
        cluster.runFor(Duration.ofSeconds(30));
        assertTrue(cluster.nodes().stream().noneMatch(n -> n.members().containsKey(dead)), "pruned everywhere");
        cluster.runFor(Duration.ofSeconds(30));
        assertTrue(cluster.nodes().stream().allMatch(n -> n.members().size() == 14), "and it stays pruned");
    }
}
