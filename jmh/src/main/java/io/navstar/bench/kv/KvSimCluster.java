package io.navstar.bench.kv;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.GossipNode;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.kv.GossipKvNetwork;
import io.navstar.gossip.kv.KvConfig;
import io.navstar.gossip.kv.KvKey;
import io.navstar.gossip.kv.KvReplicator;
import io.navstar.gossip.kv.KvStore;
import io.navstar.gossip.kv.crdt.CrdtType;
import io.navstar.gossip.kv.crdt.Op;
import io.navstar.gossip.sim.SimCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A small cluster of KV nodes over the membership's simulated gossip network, for the
 * convergence and anti-entropy benchmarks. Single-threaded and deterministic for a seed.
 */
final class KvSimCluster implements AutoCloseable {

    final SimCluster cluster;
    final List<NodeId> ids = new ArrayList<>();
    final List<KvStore> stores = new ArrayList<>();
    private final List<KvReplicator> replicators = new ArrayList<>();

    KvSimCluster(int nodes, long seed) {
        cluster = new SimCluster(GossipConfig.simulation(), seed);
        final List<GossipNode> started = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            final GossipNode node = cluster.addNode();
            final KvStore store = KvStore.open(KvConfig.inMemory(node.self().toString()));
            stores.add(store);
            replicators.add(new KvReplicator(store, new GossipKvNetwork(node), KvReplicator.Config.simulation()).start());
            ids.add(node.self());
            started.add(node);
        }
        for (GossipNode node : started) {
            node.start(node == started.get(0) ? List.of() : List.of(ids.get(0)));
        }
        cluster.runFor(Duration.ofSeconds(20));
    }

    KvReplicator replicator(int node) {
        return replicators.get(node);
    }

    static KvKey key(int i) {
        return KvKey.of("bench", "k" + i);
    }

    void write(int node, int key, long amount) {
        stores.get(node).requestOp(key(key), List.of(Op.update("n", CrdtType.PNCOUNTER, new Op.Increment(amount))));
    }

    boolean converged() {
        final long digest = stores.get(0).digest();
        final long keys = stores.get(0).metrics().keys();
        for (KvStore s : stores) {
            if (s.digest() != digest || s.metrics().keys() != keys) {
                return false;
            }
        }
        return true;
    }

    long antiEntropyBytesSent() {
        long sum = 0;
        for (KvStore s : stores) {
            sum += s.metrics().antiEntropyBytesSent();
        }
        return sum;
    }

    @Override
    public void close() {
        replicators.forEach(KvReplicator::close);
        stores.forEach(KvStore::close);
        cluster.nodes().forEach(GossipNode::close);
    }
}
