package io.navstar.gossip.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.GossipNode;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.kv.crdt.CrdtType;
import io.navstar.gossip.kv.crdt.Op;
import io.navstar.gossip.kv.crdt.OrMap;
import io.navstar.gossip.kv.crdt.PnCounter;
import io.navstar.gossip.sim.SimCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The KV store replicated over the membership's deterministic simulated network (HyParView, BFS multicast). */
class KvOverGossipSimTest {

    private final SimCluster cluster = new SimCluster(GossipConfig.simulation(), 11);
    private final Map<NodeId, KvStore> stores = new LinkedHashMap<>();
    private final List<KvReplicator> replicators = new ArrayList<>();

    private List<NodeId> startNodes(int n) {
        final List<NodeId> ids = new ArrayList<>();
        final List<GossipNode> nodes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final GossipNode node = cluster.addNode();
            final KvStore store = KvStore.open(KvConfig.inMemory(node.self().toString()));
            stores.put(node.self(), store);
            replicators.add(new KvReplicator(store, new GossipKvNetwork(node), KvReplicator.Config.simulation()).start());
            ids.add(node.self());
            nodes.add(node);
        }
        for (GossipNode node : nodes) {
            node.start(node == nodes.get(0) ? List.of() : List.of(ids.get(0)));
        }
        cluster.runFor(Duration.ofSeconds(20));
        return ids;
    }

    @AfterEach
    void closeAll() {
        replicators.forEach(KvReplicator::close);
        stores.values().forEach(KvStore::close);
        cluster.nodes().forEach(GossipNode::close);
    }

    private boolean converged() {
        return KvReplicationTest.converged(stores.values(), KvKey.root());
    }

    private Duration runUntilConverged() {
        return cluster.runUntil(this::converged, Duration.ofMillis(100), Duration.ofSeconds(120));
    }

    static long count(OrMap map) {
        return map.<PnCounter>getOrEmpty("n", CrdtType.PNCOUNTER).value();
    }

    static List<Op> increment(long n) {
        return List.of(Op.update("n", CrdtType.PNCOUNTER, new Op.Increment(n)));
    }

    @Test
    void seedDemoOverTheSimulatedGossipNetwork() {
        final List<NodeId> ids = startNodes(3);
        final KvKey key = KvKey.of("demo", "counter");
        stores.get(ids.get(0)).requestOp(key, increment(5));
        cluster.runFor(Duration.ofSeconds(1));
        for (KvStore s : stores.values()) {
            assertEquals(5, count(s.value(key)), "delta multicast reached " + s.replicaId());
        }
        cluster.partition(List.of(Set.of(ids.get(0), ids.get(1)), Set.of(ids.get(2))));
        cluster.runFor(Duration.ofSeconds(5));
        stores.get(ids.get(0)).requestOp(key, increment(3));
        stores.get(ids.get(1)).requestOp(key, increment(7));
        stores.get(ids.get(2)).requestOp(key, increment(11));
        cluster.runFor(Duration.ofSeconds(5));
        assertEquals(16, count(stores.get(ids.get(2)).value(key)), "the cut-off node sees only its own increments");
        assertEquals(15, count(stores.get(ids.get(0)).value(key)));
        cluster.heal();
        assertNotNull(runUntilConverged(), "converged after the heal");
        for (KvStore s : stores.values()) {
            assertEquals(26, count(s.value(key)), s.replicaId());
        }
    }

    @Test
    void twentyFiveGossipNodesConvergeOnIdenticalValuesAndClocksAfterAPartitionHeals() {
        final List<NodeId> ids = startNodes(25);
        final Set<NodeId> left = new HashSet<>(ids.subList(0, 12));
        final Set<NodeId> right = new HashSet<>(ids.subList(12, 25));
        cluster.partition(List.of(left, right));
        cluster.runFor(Duration.ofSeconds(10));
        final Random random = new Random(3);
        long expected = 0;
        for (int round = 0; round < 3; round++) {
            for (NodeId id : ids) {
                for (int k = 0; k < 4; k++) {
                    final long inc = random.nextInt(9) - 2;
                    expected += inc;
                    stores.get(id).requestOp(KvKey.of("shared", "k" + k), List.of(
                            Op.update("n", CrdtType.PNCOUNTER, new Op.Increment(inc)),
                            Op.update("owner", CrdtType.LWW_REGISTER, new Op.Assign(id.toString().getBytes(StandardCharsets.UTF_8))),
                            Op.update("set", CrdtType.ORSWOT, random.nextBoolean()
                                    ? new Op.Add("e" + random.nextInt(6)) : new Op.Remove("e" + random.nextInt(6)))));
                }
            }
            cluster.runFor(Duration.ofSeconds(1));
        }
        assertFalse(converged(), "the sides diverged while partitioned");
        cluster.heal();
        assertNotNull(runUntilConverged(), "converged after the heal");
        long sum = 0;
        for (int k = 0; k < 4; k++) {
            final Versioned v = stores.get(ids.get(0)).valueWithClock(KvKey.of("shared", "k" + k));
            sum += count(v.value());
            assertEquals(25, v.clock().size());
        }
        assertEquals(expected, sum);
    }
}
