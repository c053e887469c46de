package io.navstar.dns.server;

import io.navstar.dns.cache.AnswerCache;
import io.navstar.dns.metrics.DnsMetrics;
import io.navstar.dns.metrics.QueryCounters;
import io.navstar.dns.testing.Messages;
import io.navstar.dns.testing.Mutations;
import io.navstar.dns.upstream.ForwardZones;
import io.navstar.dns.upstream.UpstreamGroup;
import io.navstar.dns.wire.DnsQuery;
import io.navstar.dns.wire.DnsWire;
import io.navstar.dns.wire.ResponseScan;
import io.navstar.dns.zone.LocalZones;
import io.navstar.dns.zone.RecordData;
import io.navstar.dns.zone.ZoneSnapshot;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Any datagram through the query engine, without a socket in the way: the UDP socket catches and logs whatever
 * the engine throws so that one bad datagram cannot stop the server, which is why {@code BadInputTest}, sending
 * junk to a live server, cannot see an exception. Here nothing may escape, and every answer must be a response
 * to the datagram's ID within the client's UDP limit; an answer to a well-formed question must answer that
 * question (read back by {@link ResponseScan}); and the answer must be the same whether the datagram sits alone
 * in its buffer or among other bytes, as it does in a recvmmsg batch. Names that are neither local nor cached
 * get SERVFAIL here (no reply path, so nothing is forwarded), so the engine is deterministic.
 */
@StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
class QueryEngineFuzzTest {
    private static final String VIP = "web.marathon.l4lb.thisdcos.directory";
    /** A name with enough addresses that its answer exceeds 512 bytes and is truncated for classic clients. */
    private static final String CROWD = "crowd.marathon.l4lb.thisdcos.directory";
    private static final String SRV = "_web._tcp.marathon.thisdcos.directory";
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);

    private final QueryEngine engine = newEngine();
    private final DnsQuery query = new DnsQuery();
    private final ResponseScan scan = new ResponseScan();
    private final ByteBuf out = Unpooled.buffer(DnsWire.MAX_TCP_MESSAGE);
    private final ByteBuf embeddedOut = Unpooled.buffer(DnsWire.MAX_TCP_MESSAGE);

    private static QueryEngine newEngine() {
        ZoneSnapshot.Builder zones = ZoneSnapshot.builder().zone(DnsConfig.DEFAULT_DOMAIN)
                .address(VIP, "11.0.0.1", 60)
                .address(VIP, "fd01:c::1", 60)
                .add(SRV, RecordData.srv(0, 1, 80, VIP, 60));
        for (int i = 0; i < 60; i++) {
            zones.address(CROWD, "10.0.0." + i, 60);
        }
        DnsMetrics metrics = new DnsMetrics();
        ForwardZones forward = new ForwardZones(Map.of(), new UpstreamGroup(".", List.of(), new QueryCounters(".")));
        return new QueryEngine(DnsConfig.loopback("127.0.0.1", 0, List.of()), new LocalZones(zones.build()),
                new AnswerCache(1000, 1L << 20), forward, metrics);
    }

    @Property(tries = 3000)
    void everyDatagramGetsAWellFormedAnswerOrNone(@ForAll("datagrams") byte[] datagram,
                                                  @ForAll("junk") byte[] before, @ForAll("junk") byte[] after) {
        int outcome = query.decode(Unpooled.wrappedBuffer(datagram), 0, datagram.length);
        out.clear();
        int size = engine.answerInto(out, Unpooled.wrappedBuffer(datagram), 0, datagram.length, CLIENT);
        assertEquals(out.readableBytes(), size, "the size returned is what was written");
        byte[] answer = ByteBufUtil.getBytes(out);
        String kind;
        if (outcome == DnsQuery.OUTCOME_DROP) {
            assertEquals(0, size, "a datagram that is no query is dropped");
            kind = "dropped";
        } else {
            assertTrue(size >= DnsWire.HEADER_SIZE, "answered with at least a header: " + size);
            assertTrue(size <= query.udpLimit(1232), size + " bytes exceed the client's UDP limit "
                    + query.udpLimit(1232));
            ByteBuf response = Unpooled.wrappedBuffer(answer);
            assertEquals(query.id(), response.getUnsignedShort(DnsWire.OFFSET_ID), "ID echoed");
            int flags = response.getUnsignedShort(DnsWire.OFFSET_FLAGS);
            assertTrue((flags & DnsWire.FLAG_QR) != 0, "QR set");
            int rcode = flags & DnsWire.RCODE_MASK;
            if (outcome == DnsQuery.OUTCOME_QUERY || outcome == DnsQuery.OUTCOME_BADVERS) {
                assertTrue(scan.scan(response, 0, size, query.nameLower(), query.nameLength(), query.qtype(),
                        query.qclass()), "the answer does not answer the question: " + scan.error());
                kind = outcome == DnsQuery.OUTCOME_BADVERS ? "BADVERS" : scan.truncated() ? "truncated"
                        : rcode == DnsWire.RCODE_NOERROR && scan.answerCount() > 0 ? "answered" : "rcode " + rcode;
            } else {
                kind = outcome == DnsQuery.OUTCOME_NOTIMP ? "NOTIMP" : "FORMERR";
                assertEquals(outcome == DnsQuery.OUTCOME_NOTIMP ? DnsWire.RCODE_NOTIMP : DnsWire.RCODE_FORMERR, rcode);
            }
        }
        embeddedOut.clear();
        ByteBuf embedded = Unpooled.wrappedBuffer(Messages.concat(before, datagram, after));
        assertEquals(size, engine.answerInto(embeddedOut, embedded, before.length, datagram.length, CLIENT));
        assertArrayEquals(answer, ByteBufUtil.getBytes(embeddedOut), "the same datagram among other bytes");
        Statistics.label("answer").collect(kind);
        Statistics.label("answer").coverage(coverage -> {
            coverage.check("answered").percentage(p -> p >= 10);
            coverage.check("truncated").count(n -> n > 0);
            coverage.check("rcode 3").count(n -> n > 0); // NXDOMAIN
            coverage.check("rcode 2").count(n -> n > 0); // SERVFAIL: neither local nor cached
            coverage.check("FORMERR").percentage(p -> p >= 5);
            coverage.check("NOTIMP").count(n -> n > 0);
            coverage.check("BADVERS").count(n -> n > 0);
            coverage.check("dropped").count(n -> n > 0);
        });
    }

    /**
     * Queries for every kind of local and remote name with up to four bytes overwritten and a quarter of them cut
     * short, plus random bodies behind a query header.
     */
    @Provide
    Arbitrary<byte[]> datagrams() {
        List<byte[]> seeds = List.of(
                Messages.query(1, "WeB.Marathon.L4lb.ThisDcos.Directory", DnsWire.TYPE_A, false, 0),
                Messages.query(2, VIP, DnsWire.TYPE_AAAA, true, 1232),
                Messages.query(3, VIP, DnsWire.TYPE_ANY, true, 600),
                Messages.query(4, CROWD, DnsWire.TYPE_A, false, 0),
                Messages.query(5, SRV, DnsWire.TYPE_SRV, true, 4096),
                Messages.query(7, "missing.marathon.l4lb.thisdcos.directory", DnsWire.TYPE_A, false, 0),
                Messages.query(8, "www.example.com", DnsWire.TYPE_A, true, 1232),
                Messages.queryWithEdnsVersion(6, VIP, DnsWire.TYPE_A, 1));
        Arbitrary<byte[]> mutated = Mutations.of(seeds, 4, 25);
        return Arbitraries.frequencyOf(Tuple.of(3, mutated),
                Tuple.of(1, Arbitraries.randomValue(QueryEngineFuzzTest::randomQuery)));
    }

    /** A query header (random flags, any opcode half the time) and a random body. */
    private static byte[] randomQuery(Random random) {
        int flags = random.nextInt(0x10000) & ~DnsWire.FLAG_QR;
        if (random.nextBoolean()) {
            flags &= ~DnsWire.OPCODE_MASK;
        }
        byte[] body = new byte[random.nextInt(80)];
        random.nextBytes(body);
        if (body.length > 0) {
            body[0] = (byte) random.nextInt(10); // a first label short enough to end inside the body now and then
        }
        return Messages.withHeader(random.nextInt(0x10000), flags, random.nextInt(8) == 0 ? 2 : 1, 0, 0,
                random.nextInt(2), body);
    }

    @Provide
    Arbitrary<byte[]> junk() {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(40);
    }
}
