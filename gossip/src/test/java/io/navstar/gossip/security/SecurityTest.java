package io.navstar.gossip.security;

import static io.navstar.gossip.transport.TcpClusterSupport.await;
import static io.navstar.gossip.transport.TcpClusterSupport.freePort;
import static io.navstar.gossip.transport.TcpClusterSupport.loopbackNode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.TcpGossipNode;
import io.navstar.gossip.membership.MemberEntry;
import io.navstar.gossip.wire.Message;
import io.navstar.gossip.wire.MessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster secret keeps strangers out (they can neither join nor inject a frame), and mutual
 * TLS from certificate, key and CA files keeps out a node whose certificate another CA signed.
 */
class SecurityTest {

    private static final byte[] SECRET = "correct horse battery staple".getBytes(StandardCharsets.UTF_8);
    private static final byte[] OTHER_SECRET = "another cluster's secret value".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private final List<TcpGossipNode> nodes = new ArrayList<>();

    private TcpGossipNode open(GossipConfig config, NodeId id) {
        TcpGossipNode node = TcpGossipNode.open(config, id, dir.resolve(id.toString().replace(':', '_')));
        nodes.add(node);
        return node;
    }

    private void closeAll() {
        nodes.forEach(TcpGossipNode::close);
    }

    @Test
    void nodeWithAnotherSecretCanNeitherJoinNorInject() throws Exception {
        int port = freePort(5);
        GossipConfig members = GossipConfig.lan().toBuilder().clusterSecret(SECRET).build();
        NodeId contact = loopbackNode(1, port);
        NodeId stranger = loopbackNode(4, port);
        NodeId noSecret = loopbackNode(5, port);
        try {
            for (int i = 1; i <= 3; i++) {
                open(members, loopbackNode(i, port)).node().start(List.of(contact));
            }
            open(GossipConfig.lan().toBuilder().clusterSecret(OTHER_SECRET).build(), stranger).node().start(List.of(contact));
            open(GossipConfig.lan(), noSecret).node().start(List.of(contact));
            List<TcpGossipNode> cluster = nodes.subList(0, 3);
            assertTrue(await(() -> cluster.stream().allMatch(n -> n.node().routes().reachableNodes().size() == 3), 10_000),
                    "the three members converge");

            // a forged frame on a raw socket, with and without a made-up handshake
            injectMembershipFrame(contact, stranger);
            Thread.sleep(2_500);
            for (TcpGossipNode member : cluster) {
                assertFalse(member.node().members().containsKey(stranger), "stranger in " + member.node().self());
                assertFalse(member.node().members().containsKey(noSecret), "no-secret node in " + member.node().self());
                assertFalse(member.node().routes().topology().contains(NodeId.of("10.9.9.9", 9)),
                        "injected row in " + member.node().self());
            }
            assertEquals(1, nodes.get(3).node().routes().reachableNodes().size(), "the stranger sees only itself");
            assertTrue(nodes.get(0).node().metrics().handshakeFailures() > 0, "failed handshakes are counted");
        } finally {
            closeAll();
        }
    }

    private static void injectMembershipFrame(NodeId target, NodeId claimed) throws IOException {
        Message forged = new Message.MembershipUpdate(new MemberEntry[] {
            new MemberEntry(NodeId.of("10.9.9.9", 9), Long.MAX_VALUE, 1, new NodeId[] {target})});
        for (boolean withHello : new boolean[] {false, true}) {
            try (Socket socket = new Socket(target.host(), target.port())) {
                socket.setSoTimeout(3_000);
                OutputStream out = socket.getOutputStream();
                if (withHello) {
                    out.write(frame(new Message.Hello(claimed, new byte[MessageCodec.NONCE_BYTES], new byte[MessageCodec.MAC_BYTES])));
                }
                out.write(frame(forged));
                out.flush();
                assertTrue(closedByPeer(socket.getInputStream()), "the node closed the forged connection");
            }
        }
    }

    private static boolean closedByPeer(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        try {
            while (true) {
                int length = data.readInt();
                data.skipNBytes(length);
            }
        } catch (java.io.EOFException | java.net.SocketException e) {
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        }
    }

    private static byte[] frame(Message message) {
        ByteBuf buf = Unpooled.buffer();
        MessageCodec.encodeFrame(message, buf);
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        buf.release();
        return bytes;
    }

    @Test
    void mutualTlsAdmitsOnlyCertificatesOfTheClusterCa() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make test certificates");
        TlsFiles member = certificates("cluster", "member");
        TlsFiles rogue = certificates("rogue", "rogue");
        int port = freePort(5);
        GossipConfig tls = GossipConfig.lan().toBuilder().clusterSecret(SECRET).tls(member).build();
        NodeId contact = loopbackNode(1, port);
        try {
            for (int i = 1; i <= 3; i++) {
                open(tls, loopbackNode(i, port)).node().start(List.of(contact));
            }
            // right secret, but a certificate from another CA; and right secret without TLS
            open(tls.toBuilder().tls(rogue).build(), loopbackNode(4, port)).node().start(List.of(contact));
            open(tls.toBuilder().tls(null).build(), loopbackNode(5, port)).node().start(List.of(contact));
            List<TcpGossipNode> cluster = nodes.subList(0, 3);
            assertTrue(await(() -> cluster.stream().allMatch(n -> n.node().routes().reachableNodes().size() == 3), 10_000),
                    "the three TLS members converge");
            Thread.sleep(2_500);
            for (TcpGossipNode node : cluster) {
                assertEquals(3, node.node().members().size(), "only members in " + node.node().self());
            }
            assertEquals(1, nodes.get(3).node().routes().reachableNodes().size(), "rogue CA node alone");
            assertEquals(1, nodes.get(4).node().routes().reachableNodes().size(), "plain TCP node alone");
        } finally {
            closeAll();
        }
    }

    /** A CA and one certificate it signed, made with openssl in the test's temporary directory. */
    private TlsFiles certificates(String ca, String name) throws Exception {
        Path d = Files.createDirectories(dir.resolve("pki-" + ca));
        run(d, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=navstar-test-" + ca);
        run(d, "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name);
        run(d, "openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", name + ".crt", "-days", "2");
        run(d, "openssl", "pkcs8", "-topk8", "-nocrypt", "-in", name + ".key", "-out", name + ".pk8");
        return new TlsFiles(d.resolve(name + ".crt"), d.resolve(name + ".pk8"), d.resolve("ca.crt"));
    }

    private static void run(Path dir, String... command) throws Exception {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0,
                String.join(" ", command) + " failed: " + output);
    }
}
