package io.navstar.gossip.transport;

import static io.navstar.gossip.transport.TcpClusterSupport.await;
import static io.navstar.gossip.transport.TcpClusterSupport.freePort;
import static io.navstar.gossip.transport.TcpClusterSupport.loopbackNode;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.GossipNode;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.TcpGossipNode;
import io.navstar.gossip.wire.MessageType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TcpTransportTest {

    @TempDir
    Path dir;

    @Test
    void threeNodesOverLoopbackConvergeAndExchangeChannelPayloads() throws Exception {
        int port = freePort(3);
        List<TcpGossipNode> nodes = new ArrayList<>();
        List<String> received = new CopyOnWriteArrayList<>();
        try {
            for (int i = 1; i <= 3; i++) {
                TcpGossipNode node = TcpGossipNode.open(GossipConfig.lan(), loopbackNode(i, port), dir.resolve("n" + i));
                int index = i;
                node.node().registerChannel(GossipNode.FIRST_USER_CHANNEL,
                        (origin, payload) -> received.add(index + "<-" + origin + ":" + new String(payload, StandardCharsets.UTF_8)));
                nodes.add(node);
            }
            for (TcpGossipNode node : nodes) {
                node.node().start(List.of(loopbackNode(1, port)));
            }
            assertTrue(await(() -> nodes.stream().allMatch(n -> n.node().routes().reachableNodes().size() == 3), 10_000),
                    "every node reaches all three");
            nodes.get(1).node().multicast(GossipNode.FIRST_USER_CHANNEL, "hello".getBytes(StandardCharsets.UTF_8));
            assertTrue(await(() -> received.size() == 2, 5_000), "multicast reached the two others: " + received);
            NodeId second = loopbackNode(2, port);
            assertTrue(received.contains("1<-" + second + ":hello") && received.contains("3<-" + second + ":hello"));
            assertTrue(nodes.get(0).node().send(loopbackNode(3, port), GossipNode.FIRST_USER_CHANNEL, new byte[] {'x'}));
            assertTrue(await(() -> received.size() == 3, 5_000));
            assertEquals("3<-" + loopbackNode(1, port) + ":x", received.get(2));
            assertArrayEquals(new long[] {0}, new long[] {nodes.get(0).node().metrics().framesRejected()});
            Thread.sleep(1_500);
            var metrics = nodes.get(0).node().metrics();
            assertEquals(2, metrics.activeViewSize());
            assertTrue(metrics.messagesIn(MessageType.PING) > 0 && metrics.messagesOut(MessageType.PONG) > 0);
            assertTrue(metrics.probeRoundTrips().count() > 0 && metrics.bytesOut(MessageType.MEMBERSHIP_UPDATE) > 0);
            assertEquals(0, metrics.failuresDetected());
        } finally {
            nodes.forEach(TcpGossipNode::close);
        }
    }
}
