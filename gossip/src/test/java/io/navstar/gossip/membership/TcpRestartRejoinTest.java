package io.navstar.gossip.membership;

import static io.navstar.gossip.transport.TcpClusterSupport.await;
import static io.navstar.gossip.transport.TcpClusterSupport.freePort;
import static io.navstar.gossip.transport.TcpClusterSupport.loopbackNode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.GossipNode;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.TcpGossipNode;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node restarted over real TCP with the same NodeId and data directory (so a bumped epoch) must
 * rejoin at once, round after round, as seen from every node's own view. In-JVM nodes on
 * 127.0.0.1-6, one netty loop each; the restart is immediate, so the others still hold the old
 * incarnation in their views and connection tables when the new one sends its JOIN. Before the
 * fix, closing a node sometimes left its accepted connections open (the peers then wrote into a
 * dead socket and the new incarnation heard nothing: empty views, as the KV engineer saw), and a
 * JOIN from a node still listed as a neighbour was ignored as a duplicate.
 */
class TcpRestartRejoinTest {

    private static final int SIZE = 6;
    private static final int ROUNDS = 6;
    private static final long BOUND_MILLIS = 10_000;

    @TempDir
    Path dir;

    @Test
    void nodeRestartedWithSameIdAndDataDirRejoinsEveryNodesViewWithinTenSecondsEveryRound() throws Exception {
        GossipConfig config = GossipConfig.lan();
        int port = freePort(SIZE);
        List<TcpGossipNode> nodes = new ArrayList<>();
        try {
            for (int i = 1; i <= SIZE; i++) {
                nodes.add(TcpGossipNode.open(config, loopbackNode(i, port), dir.resolve("n" + i)));
            }
            for (int i = 0; i < SIZE; i++) {
                nodes.get(i).node().start(i == 0 ? List.of() : List.of(loopbackNode(1, port)));
            }
            assertTrue(await(() -> converged(nodes, null, 0), 20_000), "initial convergence:\n" + describe(nodes));
            List<Long> rejoinMillis = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                // node 1 (everyone's contact) is restarted too, in one round
                int victim = round == ROUNDS - 1 ? 0 : 1 + round % (SIZE - 1);
                TcpGossipNode old = nodes.get(victim);
                NodeId id = old.node().self();
                long oldEpoch = old.node().epoch();
                old.close();
                // closed means closed: no connection is left on its address for peers to write into
                assertEquals(0, establishedOn(id), id + " left accepted connections open after close");
                TcpGossipNode reborn = TcpGossipNode.open(config, id, dir.resolve("n" + (victim + 1)));
                nodes.set(victim, reborn);
                long started = System.nanoTime();
                reborn.node().start(List.of(loopbackNode(victim == 0 ? 2 : 1, port)));
                long newEpoch = reborn.node().epoch();
                assertTrue(newEpoch > oldEpoch, "the epoch file bumped the epoch");
                boolean back = await(() -> converged(nodes, id, newEpoch), BOUND_MILLIS);
                assertTrue(back, "round " + round + ": " + id + " (epoch " + newEpoch + ") not back in every view within "
                        + BOUND_MILLIS + " ms:\n" + describe(nodes));
                rejoinMillis.add((System.nanoTime() - started) / 1_000_000);
            }
            System.out.println("restart rejoin times (ms) per round: " + rejoinMillis);
        } finally {
            nodes.forEach(TcpGossipNode::close);
        }
    }

    // ESTABLISHED sockets whose local end is node's address, from /proc/net/tcp and tcp6 (the
    // listener is dual-stack, so IPv4 peers show as ::ffff:a.b.c.d). Linux only, as is CI.
    private static long establishedOn(NodeId node) throws IOException {
        byte[] ip = InetAddress.getByName(node.host()).getAddress();
        String v4 = String.format("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], node.port());
        String v6 = String.format("0000000000000000FFFF0000%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], node.port());
        long count = 0;
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length > 3 && (fields[1].equals(v4) || fields[1].equals(v6)) && fields[3].equals("01")) {
                    count++;
                }
            }
        }
        return count;
    }

    // Every node, from its own view: an active neighbour, everyone reachable both ways, and the
    // restarted node's row at its new epoch.
    private static boolean converged(List<TcpGossipNode> nodes, NodeId restarted, long epoch) {
        for (TcpGossipNode tcp : nodes) {
            GossipNode node = tcp.node();
            if (node.activeView().isEmpty()) {
                return false;
            }
            var routes = node.routes();
            for (TcpGossipNode other : nodes) {
                if (!routes.reachable(other.node().self())) {
                    return false;
                }
            }
            if (restarted != null) {
                MemberEntry row = node.members().get(restarted);
                if (row == null || row.epoch() != epoch) {
                    return false;
                }
            }
        }
        return true;
    }

    private static String describe(List<TcpGossipNode> nodes) {
        StringJoiner out = new StringJoiner("\n");
        for (TcpGossipNode tcp : nodes) {
            GossipNode node = tcp.node();
            out.add(node.self() + " epoch=" + node.epoch() + " active=" + node.activeView() + " passive="
                    + node.passiveView() + " unreachable=" + node.routes().unreachableNodes()
                    + " rows=" + node.members().keySet().size());
        }
        return out.toString();
    }
}
