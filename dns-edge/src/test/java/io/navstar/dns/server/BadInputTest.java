package io.navstar.dns.server;

import io.navstar.dns.testing.Messages;
import io.navstar.dns.testing.Processes;
import io.navstar.dns.testing.Response;
import io.navstar.dns.testing.TestResolver;
import io.navstar.dns.wire.DnsWire;
import io.navstar.dns.zone.LocalZones;
import io.navstar.dns.zone.ZoneSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import static io.navstar.dns.testing.Messages.*;
import static org.junit.jupiter.api.Assertions.*;

/** Hostile and broken input over UDP and TCP: FORMERR or a drop, never a stuck server or a leak. */
class BadInputTest {
    static final String VIP = "web.marathon.l4lb.thisdcos.directory";
    static DnsServer server;
    static InetSocketAddress address;

    @BeforeAll
    static void start() throws Exception {
        DnsConfig cfg = DnsConfig.loopback(Processes.loopbackAddress(), 0, List.of())
                .toBuilder().tcpIdleTimeout(Duration.ofMillis(300)).maxTcpQuerySize(512).build();
        server = new DnsServer(cfg, new LocalZones(ZoneSnapshot.builder().zone(DnsConfig.DEFAULT_DOMAIN)
                .address(VIP, "11.0.0.1", 60).build())).start();
        address = server.boundAddresses().getFirst();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static void assertStillServing() throws IOException {
        Response r = new TestResolver(address, 2000).udp(VIP, DnsWire.TYPE_A);
        assertEquals("11.0.0.1", r.answers().getFirst().data());
    }

    @Test
    void shouldDropDatagramsShorterThanHeaderAndResponses() throws Exception {
        TestResolver r = new TestResolver(address, 300);
        assertNull(r.udpRaw(bytes(1, 2, 3, 4, 5)));
        byte[] response = query(5, VIP, 1, false, 0);
        response[2] |= (byte) 0x80;
        assertNull(r.udpRaw(response), "never answer a response (reflection loops)");
        assertStillServing();
    }

    @Test
    void shouldAnswerFormerrForCompressionPointerLoopAndTruncatedName() throws Exception {
        TestResolver r = new TestResolver(address, 2000);
        Response loop = Response.parse(r.udpRaw(withHeader(77, 0x100, 1, 0, 0, 0, bytes(0xC0, 12, 0, 1, 0, 1))));
        assertEquals(77, loop.id());
        assertEquals(DnsWire.RCODE_FORMERR, loop.rcode());
        Response cut = Response.parse(r.udpRaw(withHeader(78, 0x100, 1, 0, 0, 0, bytes(3, 'w', 'e'))));
        assertEquals(DnsWire.RCODE_FORMERR, cut.rcode());
        Response two = Response.parse(r.udpRaw(withHeader(79, 0x100, 2, 0, 0, 0,
                concat(wire("a.b"), bytes(0, 1, 0, 1), wire("a.b"), bytes(0, 1, 0, 1)))));
        assertEquals(DnsWire.RCODE_FORMERR, two.rcode(), "many questions");
        assertTrue(server.metrics().malformed() >= 3);
        assertStillServing();
    }

    @Test
    void shouldAnswerNotimpForUpdateAndBadversForEdnsVersionOne() throws Exception {
        TestResolver r = new TestResolver(address, 2000);
        byte[] update = query(80, VIP, 1, false, 0);
        update[2] = (byte) (5 << 3);
        assertEquals(DnsWire.RCODE_NOTIMP, Response.parse(r.udpRaw(update)).rcode());
        byte[] v1 = query(81, VIP, 1, true, 1232);
        v1[v1.length - 5] = 1; // OPT version
        Response badvers = Response.parse(r.udpRaw(v1));
        assertTrue(badvers.hasOpt());
        assertEquals(0, badvers.rcode(), "BADVERS = extended rcode 16: low bits 0, OPT carries the high bits");
    }

    /**
     * The UDP socket logs and survives whatever the engine throws, so this shows only that the server keeps
     * serving; {@link QueryEngineFuzzTest} shows that nothing is thrown.
     */
    @Test
    void survivesThousandsOfRandomDatagrams() throws Exception {
        Random random = new Random(42);
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            for (int i = 0; i < 3000; i++) {
                byte[] junk = new byte[random.nextInt(300)];
                random.nextBytes(junk);
                if (i % 2 == 0 && junk.length > 12) { // half of them look like queries
                    junk[2] &= 0x07;
                    junk[4] = 0;
                    junk[5] = 1;
                }
                s.send(new java.net.DatagramPacket(junk, junk.length, address));
            }
        }
        Thread.sleep(100);
        assertStillServing();
    }

    @Test
    void shouldCloseTcpConnectionWhenLengthPrefixIsOversizedOrTooShort() throws Exception {
        for (int length : new int[]{65535, 513, 3}) {
            try (Socket s = new Socket()) {
                s.connect(address, 2000);
                s.setSoTimeout(2000);
                OutputStream out = s.getOutputStream();
                out.write(new byte[]{(byte) (length >>> 8), (byte) length, 1, 2, 3});
                out.flush();
                assertEquals(-1, s.getInputStream().read(), "closed for length " + length);
            }
        }
        assertStillServing();
    }

    @Test
    void shouldCloseTcpConnectionStuckMidFrameAfterIdleTimeout() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(address, 2000);
            s.setSoTimeout(3000);
            s.getOutputStream().write(new byte[]{0, 40, 1, 2, 3}); // promises 40 octets, sends 3
            s.getOutputStream().flush();
            assertEquals(-1, s.getInputStream().read(), "closed by the 300 ms idle timer (a hang fails the 3 s read)");
        }
    }

    @Test
    void answersManyPipelinedQueriesOnOneTcpConnectionInOrder() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(address, 2000);
            s.setSoTimeout(3000);
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            for (int i = 0; i < 50; i++) {
                byte[] q = query(1000 + i, i % 2 == 0 ? VIP : "nx" + i + ".thisdcos.directory", 1, false, 0);
                batch.write(q.length >>> 8);
                batch.write(q.length);
                batch.writeBytes(q);
            }
            byte[] bytes = batch.toByteArray();
            OutputStream out = s.getOutputStream();
            out.write(bytes, 0, 7); // split across writes: the frame decoder must reassemble
            out.flush();
            Thread.sleep(20);
            out.write(bytes, 7, bytes.length - 7);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            for (int i = 0; i < 50; i++) {
                Response r = Response.parse(TestResolver.readFrame(in));
                assertEquals(1000 + i, r.id());
                assertEquals(i % 2 == 0 ? DnsWire.RCODE_NOERROR : DnsWire.RCODE_NXDOMAIN, r.rcode());
            }
            // A malformed query inside a healthy connection gets FORMERR and the connection lives on.
            byte[] bad = withHeader(2000, 0x100, 1, 0, 0, 0, bytes(0xC0, 12, 0, 1, 0, 1));
            out.write(new byte[]{0, (byte) bad.length});
            out.write(bad);
            byte[] good = query(2001, VIP, 1, false, 0);
            out.write(new byte[]{0, (byte) good.length});
            out.write(good);
            out.flush();
            assertEquals(DnsWire.RCODE_FORMERR, Response.parse(TestResolver.readFrame(in)).rcode());
            assertEquals(2001, Response.parse(TestResolver.readFrame(in)).id());
        }
    }

    @Test
    void answersEveryPipelinedQueryOfAClientThatReadsLate() throws Exception {
        int queries = 20_000; // ~1.3 MB of answers: beyond netty's write water mark and socket buffers
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.connect(address, 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    ByteArrayOutputStream batch = new ByteArrayOutputStream();
                    for (int i = 0; i < queries; i++) {
                        byte[] q = query(i & 0xFFFF, VIP, 1, false, 0);
                        batch.write(q.length >>> 8);
                        batch.write(q.length);
                        batch.writeBytes(q);
                    }
                    out.write(batch.toByteArray());
                    out.flush();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Thread.sleep(300); // let the server hit back-pressure before we read anything
            DataInputStream in = new DataInputStream(s.getInputStream());
            for (int i = 0; i < queries; i++) {
                byte[] frame = TestResolver.readFrame(in);
                assertEquals(i & 0xFFFF, ((frame[0] & 0xFF) << 8) | (frame[1] & 0xFF));
            }
            writer.join(5000);
        }
        assertTrue(server.metrics().tcpPaused() >= 1, "back-pressure engaged");
        assertStillServing();
    }

    @Test
    void leaksNoFileDescriptorsAcrossConnectionsAndServerRestart() throws Exception {
        long before = openDescriptors();
        for (int i = 0; i < 3; i++) {
            try (DnsServer s = new DnsServer(DnsConfig.loopback(Processes.loopbackAddress(), 0, List.of()),
                    new LocalZones()).start()) {
                for (int c = 0; c < 20; c++) {
                    try (Socket sock = new Socket()) {
                        sock.connect(s.boundAddresses().getFirst(), 2000);
                        InputStream in = sock.getInputStream();
                        sock.getOutputStream().write(new byte[]{(byte) 0xFF, (byte) 0xFF});
                        sock.setSoTimeout(2000);
                        assertEquals(-1, in.read());
                    }
                }
            }
        }
        long after = openDescriptors();
        assertTrue(after <= before + 2, "descriptors before " + before + ", after " + after);
    }

    @Test
    void shouldExplainWhenListenAddressIsNotOnThisHost() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                java.net.NetworkInterface.getByInetAddress(java.net.InetAddress.ofLiteral("198.51.100.1")) == null,
                "198.51.100.1 is configured here");
        DnsConfig cfg = DnsConfig.loopback("127.0.0.1", 0, List.of()).toBuilder()
                .listen(List.of(new InetSocketAddress("198.51.100.1", 53))).build();
        DnsServer s = new DnsServer(cfg, new LocalZones());
        IllegalStateException e = assertThrows(IllegalStateException.class, s::start);
        assertTrue(e.getMessage().contains("198.51.100.1") && e.getMessage().contains("dns.interface"), e.getMessage());
    }

    private static long openDescriptors() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
