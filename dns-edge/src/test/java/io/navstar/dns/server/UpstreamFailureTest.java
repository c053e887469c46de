package io.navstar.dns.server;

import io.navstar.dns.testing.Messages;
import io.navstar.dns.testing.Processes;
import io.navstar.dns.testing.Response;
import io.navstar.dns.testing.TestResolver;
import io.navstar.dns.upstream.Upstream;
import io.navstar.dns.wire.DnsWire;
import io.navstar.dns.zone.LocalZones;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Upstreams that fail, on loopback: a port with nothing bound (the kernel answers ICMP port
 * unreachable), a black hole that reads and never answers, unbound instances that refuse or go away.
 * Failures are cached per upstream and question (RFC 9520), ICMP errors end attempts at once.
 */
class UpstreamFailureTest {
    private static final long MS = 1_000_000L;

    /** A loopback address and port with nothing bound: datagrams to it draw ICMP port unreachable. */
    static InetSocketAddress closedPort(String ip) throws IOException {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(ip, 0))) {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }
    }

    /** A UDP query timed from send to answer, from a socket opened before the clock starts. */
    record Timed(Response response, long nanos) {
    }

    static Timed timedUdp(InetSocketAddress server, String name) throws IOException {
        byte[] query = Messages.query(4245, name, DnsWire.TYPE_A, false, 0);
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(server.getAddress(), 0))) {
            socket.setSoTimeout(3000);
            byte[] buf = new byte[4096];
            DatagramPacket answer = new DatagramPacket(buf, buf.length);
            long start = System.nanoTime();
            socket.send(new DatagramPacket(query, query.length, server));
            socket.receive(answer);
            long nanos = System.nanoTime() - start;
            return new Timed(Response.parse(Arrays.copyOf(buf, answer.getLength())), nanos);
        }
    }

    @Test
    void cachesTimeoutOfSilentUpstreamThenAnswersServfailAtOnce() throws Exception {
        try (Processes.BlackHole hole = new Processes.BlackHole(Processes.loopbackAddress())) {
            DnsConfig cfg = DnsConfig.loopback(Processes.loopbackAddress(), 0, List.of(hole.address()))
                    .toBuilder().overallTimeout(Duration.ofMillis(700)).build();
            try (DnsServer s = new DnsServer(cfg, new LocalZones()).start()) {
                InetSocketAddress server = s.boundAddresses().getFirst();
                Upstream silent = s.upstreams().getFirst();
                Timed first = timedUdp(server, "slow.example");
                assertEquals(DnsWire.RCODE_SERVFAIL, first.response().rcode());
                assertTrue(first.nanos() >= 600 * MS, "waited for up to the overall bound");
                long queries = silent.stats().queries();
                assertTrue(queries >= 2 && queries <= 3, "RFC 9520 §3.1: at most two retries, sent " + queries);

                Timed second = timedUdp(server, "slow.example"); // within the failure's 1 s
                assertEquals(DnsWire.RCODE_SERVFAIL, second.response().rcode());
                assertTrue(second.nanos() < 10 * MS, "from the failure cache: " + second.nanos() / 1000 + " us");
                assertEquals(queries, silent.stats().queries(), "RFC 9520 §3.2: nothing sent while cached");
                assertEquals(1, s.metrics().failureCacheHits());
            }
        }
    }

    @Test
    void givesUpClosedUpstreamOnIcmpThenAnswersFromFailureCacheWithoutSending() throws Exception {
        assertFailsFastThenFromFailureCache(closedPort(Processes.loopbackAddress()), Processes.loopbackAddress());
    }

    @Test
    void givesUpClosedIpv6UpstreamOnIcmpv6() throws Exception {
        assertFailsFastThenFromFailureCache(closedPort("::1"), "::1");
    }

    private static void assertFailsFastThenFromFailureCache(InetSocketAddress closed, String listen) throws Exception {
        DnsConfig cfg = DnsConfig.loopback(listen, 0, List.of(closed));
        try (DnsServer s = new DnsServer(cfg, new LocalZones()).start()) {
            InetSocketAddress server = s.boundAddresses().getFirst();
            Upstream dead = s.upstreams().getFirst();
            Timed first = timedUdp(server, "gone.example");
            assertEquals(DnsWire.RCODE_SERVFAIL, first.response().rcode());
            assertTrue(first.nanos() < cfg.overallTimeout().toNanos() / 3,
                    "given up well before the 1.5 s overall timeout: " + first.nanos() / MS + " ms");
            Upstream.Stats afterFirst = dead.stats();
            assertEquals(1, afterFirst.unreachable(), "the ICMP port unreachable was seen");
            assertEquals(0, afterFirst.timeouts(), "given up after the ICMP, not after a timeout");
            assertEquals(1, afterFirst.queries(), "and not asked again for this query");

            Timed second = timedUdp(server, "gone.example"); // within the first failure's 1 s
            assertEquals(DnsWire.RCODE_SERVFAIL, second.response().rcode());
            assertTrue(second.nanos() < 10 * MS, "from the failure cache: " + second.nanos() / 1000 + " us");
            assertEquals(1, dead.stats().queries(), "RFC 9520 §3.2: nothing sent while the failure is cached");
            assertEquals(1, dead.stats().failureCacheHits());
            assertEquals(1, s.metrics().failureCacheHits());
            assertEquals(2, s.metrics().queries(".", DnsWire.RCODE_SERVFAIL));

            timedUdp(server, "other.example");
            assertEquals(2, dead.stats().queries(), "another question is still asked");
        }
    }

    @Test
    void failsEveryAttemptInFlightOnSocketWhenOneIcmpErrorArrives() throws Exception {
        InetSocketAddress closed = closedPort(Processes.loopbackAddress());
        DnsConfig cfg = DnsConfig.loopback(Processes.loopbackAddress(), 0, List.of(closed)).toBuilder()
                .eventLoops(1).build();
        try (DnsServer s = new DnsServer(cfg, new LocalZones()).start();
             DatagramSocket client = new DatagramSocket(new InetSocketAddress(Processes.loopbackAddress(), 0))) {
            InetSocketAddress server = s.boundAddresses().getFirst();
            Upstream dead = s.upstreams().getFirst();
            int queries = 40;
            // One burst: the loop reads it in batches and forwards many queries before it next polls, by
            // when one socket's error slot holds a single ECONNREFUSED for several ICMP errors.
            for (int i = 0; i < queries; i++) {
                byte[] q = Messages.query(i, "n" + i + ".gone.example", DnsWire.TYPE_A, false, 0);
                client.send(new DatagramPacket(q, q.length, server));
            }
            client.setSoTimeout(3000);
            byte[] buf = new byte[512];
            for (int i = 0; i < queries; i++) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                client.receive(p);
                assertEquals(DnsWire.RCODE_SERVFAIL, Response.parse(Arrays.copyOf(buf, p.getLength())).rcode());
            }
            Upstream.Stats stats = dead.stats();
            assertEquals(queries, stats.queries(), "each question asked once");
            assertEquals(0, stats.timeouts(), "every attempt ended by an ICMP error, none by its timeout");
            assertTrue(stats.unreachable() >= 1 && stats.unreachable() <= queries, stats.toString());
        }
    }

    @Test
    void givesUpClosedUpstreamAtOnceWhileBlackHoleIsWaitedFor() throws Exception {
        try (Processes.BlackHole hole = new Processes.BlackHole(Processes.loopbackAddress())) {
            InetSocketAddress closed = closedPort(Processes.loopbackAddress());
            DnsConfig cfg = DnsConfig.loopback(Processes.loopbackAddress(), 0, List.of(hole.address(), closed))
                    .toBuilder().overallTimeout(Duration.ofMillis(700)).build();
            try (DnsServer s = new DnsServer(cfg, new LocalZones()).start()) {
                InetSocketAddress server = s.boundAddresses().getFirst();
                Upstream silent = s.upstreams().get(0);
                Upstream refusing = s.upstreams().get(1);
                CompletableFuture<Timed> first = CompletableFuture.supplyAsync(() -> {
                    try {
                        return timedUdp(server, "half.example");
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                long deadline = System.nanoTime() + 2_000 * MS;
                while (refusing.stats().unreachable() == 0 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                long silentTimeouts = silent.stats().timeouts();
                assertEquals(1, refusing.stats().unreachable(), "the closed upstream's ICMP was seen");
                assertEquals(0, silentTimeouts, "before the black hole's first retry timeout (200 ms)");

                Timed answer = first.get();
                assertEquals(DnsWire.RCODE_SERVFAIL, answer.response().rcode());
                assertTrue(answer.nanos() >= 600 * MS, "the black hole was waited for up to the overall bound");
                assertEquals(1, refusing.stats().queries(), "the closed upstream was asked once");
                assertTrue(silent.stats().queries() >= 2, "the black hole was asked again after its timeout");
                assertTrue(silent.stats().queries() <= 3, "RFC 9520 §3.1: at most two retries");

                long silentQueries = silent.stats().queries();
                Timed second = timedUdp(server, "half.example");
                assertEquals(DnsWire.RCODE_SERVFAIL, second.response().rcode());
                assertTrue(second.nanos() < 10 * MS, "both failures cached: " + second.nanos() / 1000 + " us");
                assertEquals(silentQueries, silent.stats().queries());
                assertEquals(1, refusing.stats().queries());
            }
        }
    }

    @Test
    void servesStaleAnswerAtOnceWhileTheOnlyUpstreamBacksOff() throws Exception {
        assumeTrue(Processes.onPath("unbound"), "unbound not installed");
        Processes.Unbound temporary = Processes.Unbound.start(Processes.loopbackAddress(), 5353, List.of(
                "local-zone: \"up.test.\" static",
                "local-data: \"up.test. 3600 IN SOA ns.up.test. admin.up.test. 1 3600 600 86400 30\"",
                "local-data: \"short.up.test. 1 IN A 192.0.2.11\""));
        DnsConfig cfg = DnsConfig.loopback(Processes.loopbackAddress(), 0, List.of(temporary.address()));
        try (DnsServer s = new DnsServer(cfg, new LocalZones()).start()) {
            InetSocketAddress server = s.boundAddresses().getFirst();
            Upstream upstream = s.upstreams().getFirst();
            TestResolver r = new TestResolver(server, 3000);
            assertEquals("192.0.2.11", r.udp("short.up.test", DnsWire.TYPE_A).answers().getFirst().data());
            temporary.close(); // its port now draws ICMP port unreachable
            Thread.sleep(1100); // the 1 s TTL has passed

            Timed first = timedUdp(server, "short.up.test");
            assertEquals("192.0.2.11", first.response().answers().getFirst().data());
            assertEquals(30, first.response().answers().getFirst().ttl(), "RFC 8767 stale TTL");
            assertTrue(first.nanos() < cfg.overallTimeout().toNanos() / 3, first.nanos() / MS + " ms");
            long queries = upstream.stats().queries();

            Timed second = timedUdp(server, "short.up.test");
            assertEquals("192.0.2.11", second.response().answers().getFirst().data(), "stale again");
            assertTrue(second.nanos() < 10 * MS, "from the failure cache: " + second.nanos() / 1000 + " us");
            assertEquals(queries, upstream.stats().queries(), "nothing sent while the failure is cached");
            assertEquals(2, s.cache().stats().staleServed());
            assertEquals(1, s.metrics().failureCacheHits());
        } finally {
            temporary.close();
        }
    }

    @Test
    void cachesRefusedFromUpstreamAsFailureOfThatQuestion() throws Exception {
        assumeTrue(Processes.onPath("unbound"), "unbound not installed");
        try (Processes.Unbound refusing = Processes.Unbound.start(Processes.loopbackAddress(), 5353,
                List.of("access-control: 127.0.0.1/32 refuse"))) { // more specific than the allow: REFUSED
            DnsConfig cfg = DnsConfig.loopback(Processes.loopbackAddress(), 0, List.of(refusing.address()));
            try (DnsServer s = new DnsServer(cfg, new LocalZones()).start()) {
                InetSocketAddress server = s.boundAddresses().getFirst();
                Upstream upstream = s.upstreams().getFirst();
                Timed first = timedUdp(server, "www.example");
                assertEquals(DnsWire.RCODE_SERVFAIL, first.response().rcode());
                assertEquals(1, upstream.stats().failures(), "REFUSED is a resolution failure (RFC 9520 §2)");
                assertEquals(1, upstream.stats().queries());

                Timed second = timedUdp(server, "www.example");
                assertEquals(DnsWire.RCODE_SERVFAIL, second.response().rcode());
                assertEquals(1, upstream.stats().queries(), "RFC 9520 §3.2: nothing sent while cached");
                assertEquals(1, upstream.stats().failureCacheHits());
            }
        }
    }
}
