package io.navstar.gossip.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.TcpGossipNode;
import io.navstar.gossip.wire.Message;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TcpBackPressureTest {

    @TempDir
    Path dir;

    /** Open descriptors other than jar files (class loading opens those on first use). */
    private static List<String> openDescriptors() throws Exception {
        List<String> targets = new ArrayList<>();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (!target.endsWith(".jar")) {
                        targets.add(target.startsWith("socket:") || target.startsWith("anon_inode:")
                                ? target.replaceAll("\\[.*", "") : target);
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // the directory stream's own descriptor, gone already
                }
            }
        }
        targets.sort(null);
        return targets;
    }

    @Test
    void framesToAPeerThatNeverAnswersQueueUpToTheBoundAndTheRestAreDropped() throws Exception {
        int port = TcpClusterSupport.freePort(2);
        GossipConfig config = GossipConfig.lan().toBuilder().outboundQueueFrames(100).build();
        try (ServerSocket silent = new ServerSocket()) {
            silent.bind(new InetSocketAddress("127.0.0.2", port));
            List<Socket> accepted = new ArrayList<>();
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try {
                    accepted.add(silent.accept()); // accepts, never reads or answers the handshake
                } catch (Exception ignored) {
                    // closed at the end
                }
            });
            try (TcpGossipNode node = TcpGossipNode.open(config, NodeId.of("127.0.0.1", port), dir)) {
                node.node().start(List.of());
                NodeId peer = NodeId.of("127.0.0.2", port);
                for (int i = 0; i < 1_000; i++) {
                    node.transport().send(peer, new Message.App(16, new byte[1024]));
                }
                assertTrue(TcpClusterSupport.await(() -> node.node().metrics().framesDropped() >= 900, 5_000));
                Thread.sleep(200);
                assertEquals(900, node.node().metrics().framesDropped(), "exactly the frames over the bound");
            } finally {
                silent.close();
                acceptor.join();
                for (Socket socket : accepted) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void openingAndClosingNodesLeaksNoDescriptors() throws Exception {
        int port = TcpClusterSupport.freePort(2);
        List<String> before = List.of();
        // round 0 warms up class loading, the epoll library and SecureRandom, which keep descriptors
        for (int round = 0; round < 4; round++) {
            if (round == 1) {
                Thread.sleep(200);
                before = openDescriptors();
            }
            try (TcpGossipNode a = TcpGossipNode.open(GossipConfig.lan(), NodeId.of("127.0.0.1", port), dir.resolve("a"));
                 TcpGossipNode b = TcpGossipNode.open(GossipConfig.lan(), NodeId.of("127.0.0.2", port), dir.resolve("b"))) {
                a.node().start(List.of());
                b.node().start(List.of(a.node().self()));
                assertTrue(TcpClusterSupport.await(() -> a.node().routes().reachableNodes().size() == 2, 5_000));
            }
        }
        List<String> expected = before;
        // closes finish asynchronously on the event loops being shut down: give them 2 s
        TcpClusterSupport.await(() -> {
            try {
                return expected.equals(openDescriptors());
            } catch (Exception e) {
                return false;
            }
        }, 2_000);
        assertEquals(before, openDescriptors(), "descriptors after three rounds of open/close");
    }
}
