package io.navstar.dns.server;

import io.navstar.dns.testing.Messages;
import io.navstar.dns.testing.Processes;
import io.navstar.dns.testing.Response;
import io.navstar.dns.testing.TestResolver;
import io.navstar.dns.wire.DnsWire;
import io.navstar.dns.zone.LocalZones;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The FFM UDP transport: batches, IPv6, oversized datagrams, and what it leaves behind on close. */
class UdpQuerySocketTest {
    private static final String VIP = LocalZoneServerTest.VIP;

    private static DnsServer start(DnsConfig config) throws InterruptedException {
        return new DnsServer(config, new LocalZones(LocalZoneServerTest.records(0))).start();
    }

    @Test
    void answersEveryClientOfOneBatchFromTheSocketTheyAskedWithTheirOwnIdAndCase() throws Exception {
        DnsConfig config = DnsConfig.loopback(Processes.loopbackAddress(), 0, List.of()).toBuilder().eventLoops(1).build();
        int clients = 40;
        List<DatagramSocket> sockets = new ArrayList<>();
        try (DnsServer server = start(config)) {
            InetSocketAddress address = server.boundAddresses().getFirst();
            UdpQuerySocket socket = server.udpSockets().getFirst();
            // Hold the loop so every query is queued in the socket before it reads. It then reads the
            // first query alone and answers it, then full batches of 16 (recvmmsg), each answered with
            // one sendmmsg, then the last 7, each answered as soon as it is written.
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            socket.loop().execute(() -> {
                held.countDown();
                awaitQuietly(release);
            });
            assertTrue(held.await(5, TimeUnit.SECONDS));
            for (int i = 0; i < clients; i++) {
                DatagramSocket client = new DatagramSocket(new InetSocketAddress(address.getAddress(), 0));
                client.setSoTimeout(3000);
                sockets.add(client);
                byte[] query = Messages.query(1000 + i, caseVariant(VIP, i), DnsWire.TYPE_A, i % 2 == 0, 1232);
                client.send(new DatagramPacket(query, query.length, address));
            }
            release.countDown();
            for (int i = 0; i < clients; i++) {
                byte[] buf = new byte[2048];
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                sockets.get(i).receive(p);
                assertEquals(address, p.getSocketAddress(), "answered from the socket asked");
                Response r = Response.parse(Arrays.copyOf(buf, p.getLength()));
                assertEquals(1000 + i, r.id());
                assertEquals(caseVariant(VIP, i), r.questionName(), "0x20 case kept per client");
                assertEquals("11.0.0.1", r.answers().getFirst().data());
                assertEquals(i % 2 == 0, r.hasOpt());
            }
            int batch = config.udpReceiveBatch();
            assertEquals(batch, socket.loop().submit(socket::largestBatch).get(),
                    "the queued queries were read in full batches");
            int full = (clients - 1) / batch;
            int rest = clients - 1 - full * batch;
            assertEquals(1 + full + rest, socket.loop().submit(socket::sendCalls).get(),
                    "one send for the first query, one per full batch, one per answer of the partial batch");
        } finally {
            sockets.forEach(DatagramSocket::close);
        }
    }

    @Test
    void servesUdpOnIpv6LoopbackAndFiltersRecursionByTheIpv6Sender() throws Exception {
        assumeTrue(NetworkInterface.getByInetAddress(InetAddress.ofLiteral("::1")) != null, "no ::1");
        DnsConfig allowed = DnsConfig.loopback("::1", 0, List.of()).toBuilder()
                .recursionAllowedFrom(List.of("::1/128")).build();
        DnsConfig refused = allowed.toBuilder().recursionAllowedFrom(List.of("127.0.0.0/8", "fc00::/7")).build();
        try (DnsServer open = start(allowed); DnsServer strict = start(refused)) {
            Response local = Response.parse(udpFromIpv6Loopback(open.boundAddresses().getFirst(),
                    Messages.query(7, VIP, DnsWire.TYPE_AAAA, true, 1232)));
            assertEquals("fd01:c:0:0:0:0:0:1", local.answers().getFirst().data());
            assertEquals(DnsWire.RCODE_SERVFAIL, Response.parse(udpFromIpv6Loopback(open.boundAddresses().getFirst(),
                    Messages.query(8, "example.com", DnsWire.TYPE_A, false, 0))).rcode(), "::1 may recurse (no upstream)");
            assertEquals(DnsWire.RCODE_REFUSED, Response.parse(udpFromIpv6Loopback(strict.boundAddresses().getFirst(),
                    Messages.query(9, "example.com", DnsWire.TYPE_A, false, 0))).rcode(), "::1 is outside the ranges");
        }
    }

    @Test
    void dropsADatagramLongerThanAReceiveSlotAndKeepsServing() throws Exception {
        try (DnsServer server = start(DnsConfig.loopback(Processes.loopbackAddress(), 0, List.of()))) {
            InetSocketAddress address = server.boundAddresses().getFirst();
            byte[] query = Messages.query(77, VIP, DnsWire.TYPE_A, false, 0);
            byte[] oversized = Arrays.copyOf(query, UdpQuerySocket.RECEIVE_SLOT + 1000); // a valid query, then padding
            TestResolver resolver = new TestResolver(address, 500);
            assertNull(resolver.udpRaw(oversized), "a cut datagram is not answered");
            assertEquals(1, server.metrics().dropped());
            assertEquals(DnsWire.RCODE_NOERROR, new TestResolver(address, 2000).udp(VIP, DnsWire.TYPE_A).rcode());
            byte[] whole = Arrays.copyOf(query, UdpQuerySocket.RECEIVE_SLOT); // fits: answered (trailing bytes ignored)
            assertNotNull(new TestResolver(address, 2000).udpRaw(whole));
        }
    }

    @Test
    void releasesSocketsDescriptorsAndNativeMemoryOnClose() throws Exception {
        boolean ipv6 = NetworkInterface.getByInetAddress(InetAddress.ofLiteral("::1")) != null;
        List<InetSocketAddress> listen = new ArrayList<>(List.of(new InetSocketAddress(Processes.loopbackAddress(), 0)));
        if (ipv6) {
            listen.add(new InetSocketAddress("::1", 0));
        }
        DnsConfig config = DnsConfig.loopback("127.0.0.1", 0, List.of()).toBuilder().listen(listen).eventLoops(2).build();
        long before = openDescriptors();
        List<UdpQuerySocket> sockets;
        List<InetSocketAddress> bound;
        try (DnsServer server = start(config)) {
            sockets = server.udpSockets();
            bound = server.boundAddresses();
            assertEquals(2 * listen.size(), sockets.size(), "one socket per loop and address");
            assertTrue(openDescriptors() >= before + sockets.size());
            assertEquals("11.0.0.1", new TestResolver(bound.getFirst(), 2000).udp(VIP, DnsWire.TYPE_A)
                    .answers().getFirst().data());
            assertEquals(2, udpSocketsOnPort(bound.getFirst().getPort(), false));
            sockets.forEach(s -> assertFalse(s.released()));
        }
        for (UdpQuerySocket s : sockets) {
            assertTrue(s.released(), "descriptor closed and arena freed");
        }
        assertEquals(0, udpSocketsOnPort(bound.getFirst().getPort(), false), "no socket left on the port");
        if (ipv6) {
            assertEquals(0, udpSocketsOnPort(bound.get(1).getPort(), true));
        }
        long after = openDescriptors();
        assertTrue(after <= before + 2, "descriptors before " + before + ", after " + after);
    }

    @Test
    void explainsABindFailureWithTheCallAndErrno() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress(Processes.loopbackAddress(), 0))) {
            // the port is held by a socket without SO_REUSEPORT: the server's bind must fail, and say why
            DnsConfig config = DnsConfig.loopback("127.0.0.1", 0, List.of()).toBuilder()
                    .listen(List.of((InetSocketAddress) taken.getLocalSocketAddress())).build();
            DnsServer server = new DnsServer(config, new LocalZones());
            IllegalStateException e = assertThrows(IllegalStateException.class, server::start);
            assertTrue(e.getMessage().contains("bind") && e.getMessage().contains("EADDRINUSE")
                    || e.getMessage().contains("Address already in use"), e.getMessage());
        }
    }

    @Test
    void refusesAPortThatAnotherProcessesReuseportSocketHoldsInsteadOfJoiningItsGroup() throws Exception {
        // A socket of the same user with SO_REUSEPORT, as another server or an old instance would hold:
        // joining its group would hand that socket a share of the clients, whose queries nobody here reads.
        try (DatagramChannel other = DatagramChannel.open(StandardProtocolFamily.INET)) {
            other.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            other.bind(new InetSocketAddress(Processes.loopbackAddress(), 0));
            InetSocketAddress held = (InetSocketAddress) other.getLocalAddress();
            DnsConfig config = DnsConfig.loopback("127.0.0.1", 0, List.of()).toBuilder()
                    .listen(List.of(held)).eventLoops(2).build();
            DnsServer server = new DnsServer(config, new LocalZones());
            try {
                IllegalStateException e = assertThrows(IllegalStateException.class, server::start);
                assertTrue(e.getMessage().contains("EADDRINUSE") || e.getMessage().contains("Address already in use"),
                        e.getMessage());
            } finally {
                server.close();
            }
            assertEquals(1, udpSocketsOnPort(held.getPort(), false), "none of the server's sockets is left on the port");
        }
    }

    private static byte[] udpFromIpv6Loopback(InetSocketAddress server, byte[] query) throws IOException {
        byte[] answer = new TestResolver(server, 2000).udpRaw(query); // sent from ::1 to an IPv6 server
        assertNotNull(answer, "no answer from " + server);
        return answer;
    }

    /** Sockets bound to {@code port} in /proc/net/udp (or udp6): the local address column ends in :PORT. */
    private static long udpSocketsOnPort(int port, boolean v6) throws IOException {
        String suffix = String.format(":%04X", port);
        return Files.readAllLines(Path.of(v6 ? "/proc/net/udp6" : "/proc/net/udp")).stream().skip(1)
                .map(l -> l.trim().split("\\s+")[1]).filter(local -> local.endsWith(suffix)).count();
    }

    private static String caseVariant(String name, int seed) {
        char[] c = name.toCharArray();
        for (int i = 0; i < c.length; i++) {
            if (((seed >> (i % 6)) & 1) == 1) {
                c[i] = Character.toUpperCase(c[i]);
            }
        }
        return new String(c);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long openDescriptors() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
