package io.navstar.dns.server;

import io.navstar.dns.metrics.DnsMetrics;
import io.navstar.dns.metrics.QueryCounters;
import io.navstar.dns.metrics.QueryCounters.Source;
import io.navstar.dns.metrics.QueryCounters.Transport;
import io.navstar.dns.testing.Processes;
import io.navstar.dns.testing.Response;
import io.navstar.dns.testing.TestResolver;
import io.navstar.dns.upstream.Upstream;
import io.navstar.dns.wire.DnsWire;
import io.navstar.dns.zone.LocalZones;
import io.navstar.dns.zone.ZoneSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Forwarding to real upstreams: unbound instances on loopback, started with zone files this test
 * writes, plus a black-hole upstream that reads and discards every query.
 */
class ForwardingTest {
    static Processes.Unbound upstream;
    static Processes.Unbound corp;
    static DnsServer server;
    static InetSocketAddress address;

    static List<String> upZone() {
        List<String> lines = new ArrayList<>(List.of(
                "local-zone: \"up.test.\" static",
                "local-data: \"up.test. 3600 IN SOA ns.up.test. admin.up.test. 1 3600 600 86400 30\"",
                "local-data: \"www.up.test. 300 IN A 192.0.2.10\"",
                "local-data: \"short.up.test. 1 IN A 192.0.2.11\"",
                "local-data: \"pf.up.test. 3 IN A 192.0.2.12\""));
        for (int i = 1; i <= 100; i++) {
            lines.add("local-data: \"big.up.test. 60 IN A 198.18.0." + i + "\"");
        }
        for (int i = 0; i < 20; i++) {
            lines.add("local-data: \"n" + i + ".up.test. 60 IN A 192.0.2." + (100 + i) + "\"");
        }
        return lines;
    }

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Processes.onPath("unbound"), "unbound not installed");
        upstream = Processes.Unbound.start(Processes.loopbackAddress(), 5353, upZone());
        corp = Processes.Unbound.start(Processes.loopbackAddress(), 5353, List.of(
                "local-zone: \"corp.test.\" static",
                "local-data: \"db.corp.test. 60 IN A 192.0.2.20\""));
        DnsConfig cfg = DnsConfig.loopback(Processes.loopbackAddress(), 0, List.of(upstream.address()))
                .toBuilder().forwardZone("corp.test", List.of(corp.address()))
                .prefetchMinHits(2).prefetchPercent(70).build();
        server = new DnsServer(cfg, new LocalZones(ZoneSnapshot.builder().zone(DnsConfig.DEFAULT_DOMAIN).build())).start();
        address = server.boundAddresses().getFirst();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        if (corp != null) {
            corp.close();
        }
    }

    private static TestResolver resolver() {
        return new TestResolver(address, 3000);
    }

    @Test
    void forwardsThenAnswersFromCacheWithTtlCountedDown() throws Exception {
        QueryCounters zone = server.metrics().zone(DnsMetrics.DEFAULT_FORWARD_ZONE);
        long forwarded = zone.answered(Transport.UDP, Source.FORWARDED, DnsWire.RCODE_NOERROR);
        long cached = zone.answered(Transport.UDP, Source.CACHE, DnsWire.RCODE_NOERROR);
        Response first = resolver().udp("www.up.test", DnsWire.TYPE_A);
        assertEquals(DnsWire.RCODE_NOERROR, first.rcode());
        assertFalse(first.authoritative(), "forwarded answers are not authoritative");
        assertEquals("192.0.2.10", first.answers().getFirst().data());
        assertEquals(300, first.answers().getFirst().ttl());
        long upstreamQueries = server.upstreams().getFirst().stats().queries();
        long hits = server.cache().stats().hits();
        Thread.sleep(1100);
        Response second = resolver().udp("www.up.test", DnsWire.TYPE_A);
        assertEquals("192.0.2.10", second.answers().getFirst().data());
        assertTrue(second.answers().getFirst().ttl() <= 299, "TTL counts down: " + second.answers());
        assertTrue(second.answers().getFirst().ttl() >= 297);
        assertEquals(hits + 1, server.cache().stats().hits());
        assertEquals(upstreamQueries, server.upstreams().getFirst().stats().queries(), "served from cache");
        assertEquals(forwarded + 1, zone.answered(Transport.UDP, Source.FORWARDED, DnsWire.RCODE_NOERROR));
        assertEquals(cached + 1, zone.answered(Transport.UDP, Source.CACHE, DnsWire.RCODE_NOERROR));
    }

    @Test
    void keepsClientQuestionCaseOnForwardedAndCachedAnswers() throws Exception {
        for (int i = 0; i < 2; i++) {
            Response r = resolver().udp("N1.Up.TeSt", DnsWire.TYPE_A);
            assertEquals("N1.Up.TeSt", r.questionName());
            assertEquals("192.0.2.101", r.answers().getFirst().data());
        }
    }

    @Test
    void cachesNegativeAnswersForSoaMinimum() throws Exception {
        Response first = resolver().udp("absent.up.test", DnsWire.TYPE_A);
        assertEquals(DnsWire.RCODE_NXDOMAIN, first.rcode());
        assertEquals(DnsWire.TYPE_SOA, first.authority().getFirst().type());
        assertTrue(first.authority().getFirst().ttl() <= 30, "RFC 2308: min(SOA TTL, MINIMUM)");
        long hits = server.cache().stats().hits();
        Response second = resolver().udp("absent.up.test", DnsWire.TYPE_A);
        assertEquals(DnsWire.RCODE_NXDOMAIN, second.rcode());
        assertEquals(hits + 1, server.cache().stats().hits());
        Response nodata = resolver().udp("www.up.test", DnsWire.TYPE_AAAA);
        assertEquals(DnsWire.RCODE_NOERROR, nodata.rcode());
        assertTrue(nodata.answers().isEmpty());
        resolver().udp("www.up.test", DnsWire.TYPE_AAAA);
        assertEquals(hits + 2, server.cache().stats().hits());
    }

    @Test
    void sendsNamesUnderForwardZoneToItsOwnUpstreams() throws Exception {
        Response r = resolver().udp("db.corp.test", DnsWire.TYPE_A);
        assertEquals("192.0.2.20", r.answers().getFirst().data());
        assertTrue(server.metrics().queries("corp.test", DnsWire.RCODE_NOERROR) >= 1);
    }

    @Test
    void retriesOverTcpWhenUpstreamAnswerIsTruncated() throws Exception {
        Upstream up = server.upstreams().getFirst();
        long tcpRetries = up.stats().tcpRetries();
        Response r = resolver().tcp("big.up.test", DnsWire.TYPE_A);
        assertFalse(r.truncated());
        assertEquals(100, r.answers().size());
        assertEquals(tcpRetries + 1, up.stats().tcpRetries());
        Response udp = resolver().udpEdns("big.up.test", DnsWire.TYPE_A, 1232);
        assertTrue(udp.truncated(), "cached answer is larger than the client's UDP size");
        if (Processes.onPath("dig")) {
            String out = Processes.dig(address, "big.up.test", "A");
            assertTrue(out.contains("ANSWER: 100"), out);
        }
    }

    @Test
    void adaptsUpstreamTimeoutToMeasuredRoundTrip() throws Exception {
        resolver().udp("n2.up.test", DnsWire.TYPE_A);
        Upstream.Stats stats = server.upstreams().getFirst().stats();
        assertTrue(stats.srttNanos() > 0, "RTT measured");
        assertTrue(stats.timeoutNanos() >= Duration.ofMillis(50).toNanos()
                && stats.timeoutNanos() <= Duration.ofMillis(800).toNanos(), "clamped: " + stats);
        if (stats.srttNanos() < Duration.ofMillis(5).toNanos()) {
            // loopback: SRTT + 4 RTTVAR is far below the floor, so the timeout sits at the 50 ms clamp
            assertEquals(Duration.ofMillis(50).toNanos(), stats.timeoutNanos(), stats.toString());
        }
    }

    @Test
    void prefetchesPopularEntryNearExpiry() throws Exception {
        resolver().udp("pf.up.test", DnsWire.TYPE_A); // TTL 3 s: prefetch once 70% of it remains (2.1 s)
        Thread.sleep(1000);
        long prefetches = server.cache().stats().prefetches();
        long inserts = server.cache().stats().inserts();
        for (int i = 0; i < 3; i++) {
            assertEquals("192.0.2.12", resolver().udp("pf.up.test", DnsWire.TYPE_A).answers().getFirst().data());
        }
        assertEquals(prefetches + 1, server.cache().stats().prefetches(), "one refresh for a popular entry");
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (server.cache().stats().inserts() == inserts && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(inserts + 1, server.cache().stats().inserts(), "refreshed entry stored");
        Response r = resolver().udp("pf.up.test", DnsWire.TYPE_A);
        assertEquals(3, r.answers().getFirst().ttl(), "fresh TTL after the prefetch");
    }

    @Test
    void coalescesIdenticalQueriesInFlightIntoOneUpstreamQueryPerLoop() throws Exception {
        try (Processes.SlowUpstream slow = new Processes.SlowUpstream(Processes.loopbackAddress(), 100)) {
            DnsConfig cfg = DnsConfig.loopback(Processes.loopbackAddress(), 0, List.of(slow.address())).toBuilder()
                    .upstreamInitialTimeout(Duration.ofSeconds(1)).build(); // no hedged retransmission
            try (DnsServer s = new DnsServer(cfg, new LocalZones()).start()) {
                InetSocketAddress a = s.boundAddresses().getFirst();
                int clients = 20;
                java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(clients);
                try {
                    List<java.util.concurrent.Future<Response>> answers = new ArrayList<>();
                    for (int i = 0; i < clients; i++) {
                        answers.add(pool.submit(() -> new TestResolver(a, 3000).udp("same.slow.test", DnsWire.TYPE_A)));
                    }
                    for (var f : answers) {
                        assertEquals("192.0.2.99", f.get().answers().getFirst().data());
                    }
                } finally {
                    pool.shutdownNow();
                }
                assertTrue(slow.received() <= cfg.eventLoops(), "one upstream query per event loop, got " + slow.received());
                long coalesced = s.metrics().coalesced();
                long hits = s.cache().stats().hits();
                assertEquals(clients, coalesced + slow.received() + hits, "every client: leader, follower or later cache hit");
            }
        }
    }

    @Test
    void answersFromGoodUpstreamWhileFirstDropsEverything() throws Exception {
        try (Processes.BlackHole hole = new Processes.BlackHole(Processes.loopbackAddress())) {
            DnsConfig cfg = DnsConfig.loopback(Processes.loopbackAddress(), 0, List.of(hole.address(), upstream.address()));
            try (DnsServer s = new DnsServer(cfg, new LocalZones()).start()) {
                TestResolver r = new TestResolver(s.boundAddresses().getFirst(), 1000);
                for (int i = 0; i < 10; i++) {
                    Response resp = r.udp("n" + i + ".up.test", DnsWire.TYPE_A);
                    assertEquals("192.0.2." + (100 + i), resp.answers().getFirst().data());
                }
                Upstream dead = s.upstreams().getFirst();
                assertEquals(0, dead.stats().answers());
                assertTrue(dead.stats().queries() >= 10, "both upstreams asked in parallel (fewer than 3)");
            }
        }
    }

    @Test
    void hedgesToThirdUpstreamWhenTwoChosenUpstreamsDrop() throws Exception {
        try (Processes.BlackHole a = new Processes.BlackHole(Processes.loopbackAddress());
             Processes.BlackHole b = new Processes.BlackHole(Processes.loopbackAddress())) {
            DnsConfig cfg = DnsConfig.loopback(Processes.loopbackAddress(), 0,
                    List.of(a.address(), b.address(), upstream.address()));
            try (DnsServer s = new DnsServer(cfg, new LocalZones()).start()) {
                TestResolver r = new TestResolver(s.boundAddresses().getFirst(), 2000);
                for (int i = 0; i < 6; i++) {
                    assertEquals(DnsWire.RCODE_NOERROR, r.udp("n" + (10 + i) + ".up.test", DnsWire.TYPE_A).rcode());
                }
                assertTrue(s.upstreams().get(2).stats().answers() >= 6, "every answer came from the third upstream");
            }
        }
    }

    @Test
    void answersServfailWithinOverallBoundWhenEveryUpstreamIsDead() throws Exception {
        try (Processes.BlackHole hole = new Processes.BlackHole(Processes.loopbackAddress())) {
            DnsConfig cfg = DnsConfig.loopback(Processes.loopbackAddress(), 0, List.of(hole.address()))
                    .toBuilder().overallTimeout(Duration.ofMillis(400)).build();
            try (DnsServer s = new DnsServer(cfg, new LocalZones()).start()) {
                Response resp = new TestResolver(s.boundAddresses().getFirst(), 3000).udp("x.up.test", DnsWire.TYPE_A);
                assertEquals(DnsWire.RCODE_SERVFAIL, resp.rcode());
                assertTrue(s.upstreams().getFirst().stats().timeouts() >= 1);
                assertEquals(1, s.metrics().queries(".", DnsWire.RCODE_SERVFAIL));
            }
        }
    }

    @Test
    void servesStaleAnswerWhenEveryUpstreamFails() throws Exception {
        Processes.Unbound temporary = Processes.Unbound.start(Processes.loopbackAddress(), 5353, upZone());
        DnsConfig cfg = DnsConfig.loopback(Processes.loopbackAddress(), 0, List.of(temporary.address()))
                .toBuilder().overallTimeout(Duration.ofMillis(300)).build();
        try (DnsServer s = new DnsServer(cfg, new LocalZones()).start()) {
            TestResolver r = new TestResolver(s.boundAddresses().getFirst(), 3000);
            assertEquals("192.0.2.11", r.udp("short.up.test", DnsWire.TYPE_A).answers().getFirst().data());
            temporary.close();
            Thread.sleep(1200); // TTL 1 s has passed
            Response stale = r.udp("short.up.test", DnsWire.TYPE_A);
            assertEquals(DnsWire.RCODE_NOERROR, stale.rcode());
            assertEquals("192.0.2.11", stale.answers().getFirst().data());
            assertEquals(30, stale.answers().getFirst().ttl(), "RFC 8767 stale TTL");
            assertEquals(1, s.cache().stats().staleServed());
            Response none = r.udp("www.up.test", DnsWire.TYPE_A);
            assertEquals(DnsWire.RCODE_SERVFAIL, none.rcode(), "nothing stale to serve");
        } finally {
            temporary.close();
        }
    }
}
