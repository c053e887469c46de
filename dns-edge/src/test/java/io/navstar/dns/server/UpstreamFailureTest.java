package io.navstar.dns.server;

import io.navstar.dns.testing.Messages;
import io.navstar.dns.testing.Processes;
import io.navstar.dns.testing.Response;
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

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Upstreams that fail, on loopback: a black hole that reads and never answers, an unbound instance
 * that refuses. Failures are cached per upstream and question (RFC 9520).
 */
class UpstreamFailureTest {
    private static final long MS = 1_000_000L;

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
                assertEquals(1, s.metrics().snapshot().failureCacheHits());
            }
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
