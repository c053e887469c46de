package io.navstar.gossip.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.TcpGossipNode;
import io.navstar.gossip.kv.crdt.CrdtType;
import io.navstar.gossip.kv.crdt.Op;
import io.navstar.gossip.kv.crdt.PnCounter;
import io.navstar.gossip.transport.TcpClusterSupport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durable KV nodes (SQLite, store threads, group commit) over real loopback TCP gossip: deltas and
 * anti-entropy between concurrent writers on every node end in identical values and clocks.
 */
class KvOverTcpTest {

    private static final KvKey KEY = KvKey.of("demo", "counter");

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    private record Node(TcpGossipNode gossip, KvStore store, KvReplicator replicator) implements AutoCloseable {
        @Override
        public void close() {
            replicator.close();
            gossip.close();
            store.close();
        }
    }

    private Node start(int i, int port, List<NodeId> seeds) {
        final NodeId id = TcpClusterSupport.loopbackNode(i, port);
        final TcpGossipNode gossip = TcpGossipNode.open(GossipConfig.lan(), id, dir.resolve("n" + i));
        final KvStore store = KvStore.open(KvConfig.defaults(dir.resolve("n" + i).resolve("kv.db"), id.toString()));
        final KvReplicator replicator = new KvReplicator(store, new GossipKvNetwork(gossip.node()),
                KvReplicator.Config.simulation()).start();
        gossip.node().start(seeds);
        final Node node = new Node(gossip, store, replicator);
        open.add(node);
        return node;
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private static long count(KvStore s) {
        return s.value(KEY).<PnCounter>getOrEmpty("n", CrdtType.PNCOUNTER).value();
    }

    private static List<Op> increment(long n) {
        return List.of(Op.update("n", CrdtType.PNCOUNTER, new Op.Increment(n)));
    }

    @Test
    void durableNodesOverTcpConvergeOnIdenticalValuesAndClocks() throws Exception {
        final int port = TcpClusterSupport.freePort(3);
        final NodeId first = TcpClusterSupport.loopbackNode(1, port);
        final Node a = start(1, port, List.of());
        final Node b = start(2, port, List.of(first));
        final Node c = start(3, port, List.of(first));
        assertTrue(TcpClusterSupport.await(() -> a.replicator().neighbours().size() == 2, 20_000), "overlay formed");

        a.store().requestOp(KEY, increment(5));
        assertTrue(TcpClusterSupport.await(() -> count(b.store()) == 5 && count(c.store()) == 5, 20_000),
                "the delta reached every node");
        // Concurrent writers on every node, through the store threads, group commit and TCP.
        final List<java.util.concurrent.CompletableFuture<Versioned>> acks = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            acks.add(a.store().requestOpAsync(KEY, null, increment(3)));
            acks.add(b.store().requestOpAsync(KEY, null, increment(7)));
            acks.add(c.store().requestOpAsync(KEY, null, increment(11)));
        }
        for (var f : acks) {
            f.get(20, java.util.concurrent.TimeUnit.SECONDS);
        }
        final long expected = 5 + 100 * (3 + 7 + 11);
        assertTrue(TcpClusterSupport.await(() -> count(a.store()) == expected && count(b.store()) == expected
                && count(c.store()) == expected
                && a.store().valueWithClock(KEY).equals(c.store().valueWithClock(KEY))
                && b.store().valueWithClock(KEY).equals(c.store().valueWithClock(KEY)), 30_000),
                expected + " everywhere: a=" + count(a.store()) + " b=" + count(b.store()) + " c=" + count(c.store()));
        assertEquals(101, a.store().valueWithClock(KEY).clock().get(a.store().replicaId()));
        assertTrue(a.store().metrics().deltasSent() >= 101 && c.store().metrics().deltasReceived() > 0);
    }
}
