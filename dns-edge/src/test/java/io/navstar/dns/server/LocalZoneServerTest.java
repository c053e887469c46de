package io.navstar.dns.server;

import io.navstar.dns.metrics.QueryCounters;
import io.navstar.dns.metrics.QueryCounters.Source;
import io.navstar.dns.metrics.QueryCounters.Transport;
import io.navstar.dns.testing.Messages;
import io.navstar.dns.testing.Processes;
import io.navstar.dns.testing.Response;
import io.navstar.dns.testing.TestResolver;
import io.navstar.dns.wire.DnsWire;
import io.navstar.dns.zone.LocalZones;
import io.navstar.dns.zone.RecordData;
import io.navstar.dns.zone.ZoneSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The server answering its local zones, checked with dig and with the Java test resolver. */
class LocalZoneServerTest {
    static final String VIP = "web.marathon.l4lb.thisdcos.directory";
    static DnsServer server;
    static InetSocketAddress address;
    static LocalZones zones;

    static ZoneSnapshot records(int bigCount) {
        ZoneSnapshot.Builder b = ZoneSnapshot.builder()
                .zone(DnsConfig.DEFAULT_DOMAIN)
                .zone("11.in-addr.arpa")
                .zone("10.in-addr.arpa")
                .addressWithPtr(VIP, "11.0.0.1", 60)
                .address(VIP, "fd01:c::1", 60)
                .addressWithPtr("agent1.thisdcos.directory", "10.0.0.11", 30)
                .add("_web._tcp.marathon.thisdcos.directory", RecordData.srv(0, 1, 8080, "agent1.thisdcos.directory", 60));
        for (int i = 0; i < bigCount; i++) {
            b.address("big.thisdcos.directory", "11.1." + (i / 250) + "." + (i % 250 + 1), 60);
        }
        return b.build();
    }

    @BeforeAll
    static void start() throws Exception {
        zones = new LocalZones(records(100));
        server = new DnsServer(DnsConfig.loopback(Processes.loopbackAddress(), 0, List.of()), zones).start();
        address = server.boundAddresses().getFirst();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static void assumeDig() {
        assumeTrue(Processes.onPath("dig"), "dig (bind9-dnsutils) not installed");
    }

    @Test
    void answersVipNameAuthoritativelyKeepingQuestionCase() throws Exception {
        assumeDig();
        String out = Processes.dig(address, "WeB.MaRaThOn.l4lb.thisdcos.directory", "A");
        assertTrue(out.contains("status: NOERROR"), out);
        assertTrue(out.matches("(?s).*flags: qr aa rd.*"), out);
        assertTrue(out.contains("WeB.MaRaThOn.l4lb.thisdcos.directory. 60 IN A 11.0.0.1"), out);
    }

    @Test
    void answersNxdomainWithZoneSoaForMissingNameUnderLocalZone() throws Exception {
        assumeDig();
        String out = Processes.dig(address, "missing.marathon.l4lb.thisdcos.directory", "A");
        assertTrue(out.contains("status: NXDOMAIN"), out);
        assertTrue(out.contains("AUTHORITY: 1"), out);
        assertTrue(out.contains("thisdcos.directory. 5 IN SOA ns.thisdcos.directory. hostmaster.thisdcos.directory."), out);
    }

    @Test
    void answersNodataWithSoaForMissingTypeAndForEmptyNonTerminal() throws Exception {
        Response mx = new TestResolver(address, 2000).udp(VIP, DnsWire.TYPE_MX);
        assertEquals(DnsWire.RCODE_NOERROR, mx.rcode());
        assertTrue(mx.answers().isEmpty());
        assertEquals(DnsWire.TYPE_SOA, mx.authority().getFirst().type());
        Response ent = new TestResolver(address, 2000).udp("l4lb.thisdcos.directory", DnsWire.TYPE_A);
        assertEquals(DnsWire.RCODE_NOERROR, ent.rcode(), "empty non-terminal exists (RFC 8020)");
        assertTrue(ent.authoritative());
    }

    @Test
    void answersAaaaSrvWithTargetAddressAndPtr() throws Exception {
        assumeDig();
        assertTrue(Processes.dig(address, VIP, "AAAA", "+short").contains("fd01:c::1"));
        String srv = Processes.dig(address, "_web._tcp.marathon.thisdcos.directory", "SRV");
        assertTrue(srv.contains("SRV 0 1 8080 agent1.thisdcos.directory."), srv);
        assertTrue(srv.contains("agent1.thisdcos.directory. 30 IN A 10.0.0.11"), srv);
        assertTrue(Processes.dig(address, "-x", "11.0.0.1", "+short").contains(VIP + "."));
        assertTrue(Processes.dig(address, "-x", "10.0.0.11", "+short").contains("agent1.thisdcos.directory."));
        String soa = Processes.dig(address, "thisdcos.directory", "SOA", "+short");
        assertTrue(soa.startsWith("ns.thisdcos.directory. hostmaster.thisdcos.directory. 1 60 60 86400 5"), soa);
        assertTrue(Processes.dig(address, "thisdcos.directory", "NS", "+short").contains("ns.thisdcos.directory."));
    }

    @Test
    void answersOverTcp() throws Exception {
        assumeDig();
        String out = Processes.dig(address, "+tcp", VIP, "A");
        assertTrue(out.contains("11.0.0.1") && out.contains("(TCP)"), out);
        QueryCounters zone = server.metrics().zone(DnsConfig.DEFAULT_DOMAIN);
        long overTcp = zone.answered(Transport.TCP, Source.LOCAL, DnsWire.RCODE_NOERROR);
        Response r = new TestResolver(address, 2000).tcp(VIP, DnsWire.TYPE_AAAA);
        assertEquals("fd01:c:0:0:0:0:0:1", r.answers().getFirst().data());
        assertEquals(overTcp + 1, zone.answered(Transport.TCP, Source.LOCAL, DnsWire.RCODE_NOERROR), "counted as TCP");
    }

    @Test
    void truncatesAboveClientPayloadSizeAndDigRetriesOverTcp() throws Exception {
        TestResolver resolver = new TestResolver(address, 2000);
        Response classic = resolver.udp("big.thisdcos.directory", DnsWire.TYPE_A);
        assertTrue(classic.truncated(), "100 A records do not fit 512 octets");
        assertTrue(classic.answers().isEmpty());
        assertTrue(classic.size() <= 512);
        Response edns = resolver.udpEdns("big.thisdcos.directory", DnsWire.TYPE_A, 4096);
        assertTrue(edns.truncated(), "100 A records (~1.6 KB) exceed the 1232 we send over UDP");
        Response tcp = resolver.tcp("big.thisdcos.directory", DnsWire.TYPE_A);
        assertFalse(tcp.truncated());
        assertEquals(100, tcp.answers().size());
        assumeDig();
        String out = Processes.dig(address, "big.thisdcos.directory", "A", "+bufsize=512");
        assertTrue(out.contains("Truncated, retrying in TCP mode") && out.contains("ANSWER: 100"), out);
    }

    @Test
    void honoursEdnsBufferSizeBetween512AndServerMaximum() throws Exception {
        ZoneSnapshot.Builder b = ZoneSnapshot.builder().zone(DnsConfig.DEFAULT_DOMAIN);
        for (int i = 0; i < 40; i++) { // 40 x 16 octets + header/question ~ 700 octets
            b.address("forty.thisdcos.directory", "11.2.0." + (i + 1), 60);
        }
        ZoneSnapshot previous = zones.current();
        zones.publish(b.build());
        try {
            TestResolver resolver = new TestResolver(address, 2000);
            assertTrue(resolver.udpEdns("forty.thisdcos.directory", DnsWire.TYPE_A, 512).truncated());
            Response fits = resolver.udpEdns("forty.thisdcos.directory", DnsWire.TYPE_A, 1232);
            assertFalse(fits.truncated());
            assertEquals(40, fits.answers().size());
            assertTrue(fits.hasOpt());
            assumeDig();
            assertTrue(Processes.dig(address, "forty.thisdcos.directory", "+bufsize=1232", "+ignore")
                    .contains("ANSWER: 40"));
        } finally {
            zones.publish(previous);
        }
    }

    @Test
    void servesNewRecordsOnceTheControlPlanePublishesASnapshot() throws Exception {
        TestResolver resolver = new TestResolver(address, 2000);
        assertEquals(DnsWire.RCODE_NXDOMAIN, resolver.udp("db.marathon.l4lb.thisdcos.directory", 1).rcode());
        ZoneSnapshot previous = zones.current();
        zones.publish(ZoneSnapshot.builder().zone(DnsConfig.DEFAULT_DOMAIN)
                .address("db.marathon.l4lb.thisdcos.directory", "11.0.0.9", 5).build());
        try {
            Response r = resolver.udp("db.marathon.l4lb.thisdcos.directory", 1);
            assertEquals("11.0.0.9", r.answers().getFirst().data());
        } finally {
            zones.publish(previous);
        }
    }

    @Test
    void refusesRecursionButStillAnswersLocalNamesForClientsOutsideAllowedRanges() throws Exception {
        DnsConfig cfg = DnsConfig.loopback(Processes.loopbackAddress(), 0,
                        List.of(new InetSocketAddress("127.0.0.1", 9)))
                .toBuilder().recursionAllowedFrom(List.of("10.0.0.0/8")).build();
        try (DnsServer strict = new DnsServer(cfg, zones).start()) {
            TestResolver resolver = new TestResolver(strict.boundAddresses().getFirst(), 2000);
            Response refused = resolver.udp("example.com", DnsWire.TYPE_A);
            assertEquals(DnsWire.RCODE_REFUSED, refused.rcode());
            assertEquals(0, refused.flags() & DnsWire.FLAG_RA);
            assertEquals(DnsWire.RCODE_NOERROR, resolver.udp(VIP, DnsWire.TYPE_A).rcode());
            assertEquals(1, strict.metrics().refused());
        }
    }

    @Test
    void refusesZoneTransfersAndAnswersServfailWithoutUpstreams() throws Exception {
        TestResolver resolver = new TestResolver(address, 2000);
        assertEquals(DnsWire.RCODE_REFUSED, resolver.tcp(DnsConfig.DEFAULT_DOMAIN, 252).rcode());
        Response outside = resolver.udp("example.com", DnsWire.TYPE_A);
        assertEquals(DnsWire.RCODE_SERVFAIL, outside.rcode(), "no upstreams configured");
        assertEquals(0, server.metrics().overloaded());
    }

    @Test
    void servesOverIpv6Loopback() throws Exception {
        assumeTrue(java.net.NetworkInterface.getByInetAddress(java.net.InetAddress.ofLiteral("::1")) != null, "no ::1");
        try (DnsServer v6 = new DnsServer(DnsConfig.loopback("::1", 0, List.of()), zones).start()) {
            InetSocketAddress a = v6.boundAddresses().getFirst();
            assertEquals("11.0.0.1", new TestResolver(a, 2000).tcp(VIP, DnsWire.TYPE_A).answers().getFirst().data());
            if (Processes.onPath("dig")) {
                assertTrue(Processes.dig(a, VIP, "A", "+short").contains("11.0.0.1"));
            }
        }
    }

    @Test
    void listensOnIpv4AddressesWithIpv4SocketsNotDualStackOnes() throws Exception {
        // /proc/net/udp lists AF_INET sockets, /proc/net/udp6 AF_INET6 ones (a dual-stack socket bound
        // to an IPv4 address shows there as ::ffff:a.b.c.d); addresses are hex in host byte order.
        byte[] ip = address.getAddress().getAddress();
        String entry = String.format("%02X%02X%02X%02X:%04X ", ip[3], ip[2], ip[1], ip[0], address.getPort());
        String udp = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/net/udp"));
        String udp6 = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/net/udp6"));
        long v4 = udp.lines().filter(l -> l.contains(entry)).count();
        assertEquals(Runtime.getRuntime().availableProcessors(), v4, "one AF_INET reuseport socket per event loop: " + entry);
        assertFalse(udp6.contains(entry), "no dual-stack socket for an IPv4 address: " + entry);
    }

    @Test
    void countsQueriesByZoneAndResponseCode() throws Exception {
        TestResolver resolver = new TestResolver(address, 2000);
        long before = server.metrics().queries(DnsConfig.DEFAULT_DOMAIN, DnsWire.RCODE_NXDOMAIN);
        resolver.udp("nope1.thisdcos.directory", 1);
        resolver.udp("nope2.thisdcos.directory", 1);
        long after = server.metrics().queries(DnsConfig.DEFAULT_DOMAIN, DnsWire.RCODE_NXDOMAIN);
        assertEquals(before + 2, after);
        byte[] answer = resolver.udpRaw(Messages.query(9, "11.in-addr.arpa", DnsWire.TYPE_SOA, false, 0));
        assertNotNull(answer);
        assertTrue(server.metrics().queries("11.in-addr.arpa", DnsWire.RCODE_NOERROR) >= 1);
    }

    @Test
    void namesOneLiveThreadPerEventLoopWhoseAllocationCountersAdvanceWithQueries() throws Exception {
        long[] ids = server.loopThreadIds();
        assertEquals(Runtime.getRuntime().availableProcessors(), ids.length);
        assertEquals(ids.length, java.util.Arrays.stream(ids).distinct().count());
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = java.util.Arrays.stream(threads.getThreadAllocatedBytes(ids)).sum();
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(ids)) {
            assertNotNull(info, "every id names a live thread");
            assertTrue(info.getThreadName().startsWith("navstar-dns"), info.getThreadName());
        }
        TestResolver resolver = new TestResolver(address, 2000);
        for (int i = 0; i < 5; i++) {
            resolver.tcp(VIP, DnsWire.TYPE_A);
        }
        assertTrue(java.util.Arrays.stream(threads.getThreadAllocatedBytes(ids)).sum() > before,
                "a loop allocates a channel per accepted TCP connection, so their counters must move");
    }
}
