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
 * Durable KV nodes over real loopback TCP gossip: the seed demo with the cut-off node stopped and
 * restarted from its own store file, which then gets a full exchange and converges.
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
    void seedDemoOverTcpWithTheCutOffNodeRestartedFromDisk() throws Exception {
        final int port = TcpClusterSupport.freePort(3);
        final NodeId first = TcpClusterSupport.loopbackNode(1, port);
        final Node a = start(1, port, List.of());
        final Node b = start(2, port, List.of(first));
        Node c = start(3, port, List.of(first));
        assertTrue(TcpClusterSupport.await(() -> a.replicator().neighbours().size() == 2, 20_000), "overlay formed");

        a.store().requestOp(KEY, increment(5));
        final Node cBefore = c;
        assertTrue(TcpClusterSupport.await(() -> count(b.store()) == 5 && count(cBefore.store()) == 5, 20_000),
                "the delta reached every node");

        c.close(); // cut off: the process is gone, its store file stays
        open.remove(c);
        a.store().requestOp(KEY, increment(3));
        b.store().requestOp(KEY, increment(7));
        assertTrue(TcpClusterSupport.await(() -> count(a.store()) == 15 && count(b.store()) == 15, 20_000));

        c = start(3, port, List.of(first));
        assertEquals(5, count(c.store()), "the restarted node reloaded its acknowledged state");
        c.store().requestOp(KEY, increment(11));
        final Node cAfter = c;
        assertTrue(TcpClusterSupport.await(() -> count(a.store()) == 26 && count(b.store()) == 26 && count(cAfter.store()) == 26
                && a.store().valueWithClock(KEY).equals(cAfter.store().valueWithClock(KEY))
                && b.store().valueWithClock(KEY).equals(cAfter.store().valueWithClock(KEY)), 30_000),
                "26 everywhere: a=" + count(a.store()) + " b=" + count(b.store()) + " c=" + count(cAfter.store()));
        assertTrue(cAfter.store().metrics().fullExchanges() > 0);
    }
}
