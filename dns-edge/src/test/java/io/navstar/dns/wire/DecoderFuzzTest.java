package io.navstar.dns.wire;

import io.navstar.dns.testing.Messages;
import io.navstar.dns.testing.Mutations;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The wire decoders classify any input (never throw, never loop) and read nothing outside the message they are
 * given: the same bytes decode to the same result alone in their buffer and in the middle of a larger one whose
 * other bytes are junk, as a datagram sits among others in a recvmmsg batch. Inputs are random bytes, random
 * bodies behind a query header and mutations of valid messages; jqwik's coverage checks hold the generators to
 * reaching every outcome, so a decoder path no input reaches fails the test instead of passing it unseen.
 */
@StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
class DecoderFuzzTest {
    private static final String VIP = "web.marathon.l4lb.thisdcos.directory";
    private static final String[] OUTCOMES = {"QUERY", "FORMERR", "NOTIMP", "BADVERS", "DROP"};

    private final DnsQuery query = new DnsQuery();
    private final DnsQuery embeddedQuery = new DnsQuery();
    private final ResponseScan scan = new ResponseScan();
    private final ResponseScan embeddedScan = new ResponseScan();

    @Property(tries = 3000)
    void queryDecoderClassifiesAnyDatagramReadingOnlyItsBytes(@ForAll("datagrams") byte[] input,
                                                              @ForAll("junk") byte[] before,
                                                              @ForAll("junk") byte[] after) {
        int outcome = query.decode(Unpooled.wrappedBuffer(input), 0, input.length);
        assertTrue(outcome >= DnsQuery.OUTCOME_QUERY && outcome <= DnsQuery.OUTCOME_DROP, "outcome " + outcome);
        switch (outcome) {
            case DnsQuery.OUTCOME_QUERY -> {
                assertNull(query.error());
                assertTrue(query.nameLength() >= 1 && query.nameLength() <= Names.MAX_NAME_LENGTH);
                assertWellFormedName(query.nameLower(), query.nameLength());
                for (int i = 0; i < query.nameLength(); i++) {
                    assertEquals(Names.lower(query.nameOriginal()[i]), query.nameLower()[i], "lowercase at " + i);
                }
                assertTrue(query.questionEnd() >= DnsWire.HEADER_SIZE + 1 + 4 // the root name, type, class
                        && query.questionEnd() <= input.length, "question end " + query.questionEnd());
            }
            case DnsQuery.OUTCOME_FORMERR, DnsQuery.OUTCOME_DROP -> assertNotNull(query.error());
            default -> assertNull(query.error());
        }
        int again = embeddedQuery.decode(embed(before, input, after), before.length, input.length);
        assertEquals(describe(query, outcome), describe(embeddedQuery, again),
                "the same message decodes the same among other bytes");
        Statistics.label("outcome").collect(OUTCOMES[outcome]);
        Statistics.label("outcome").coverage(coverage -> {
            coverage.check("QUERY").percentage(p -> p >= 10);
            coverage.check("FORMERR").percentage(p -> p >= 10);
            coverage.check("DROP").percentage(p -> p >= 5);
            coverage.check("NOTIMP").count(n -> n > 0);
            coverage.check("BADVERS").count(n -> n > 0);
        });
    }

    @Property(tries = 3000)
    void responseScanClassifiesAnyResponseReadingOnlyItsBytes(@ForAll("mutatedMessages") byte[] input,
                                                              @ForAll("junk") byte[] before,
                                                              @ForAll("junk") byte[] after) {
        if (input.length > 2) {
            input[2] |= (byte) 0x80;
        }
        byte[] qname = Names.toWire(VIP);
        boolean ok = scan.scan(Unpooled.wrappedBuffer(input), 0, input.length, qname, qname.length, 1, 1);
        if (!ok) {
            assertNotNull(scan.error());
        } else {
            assertTrue(scan.questionEnd() <= input.length);
            assertTrue(scan.optStart() < input.length);
            for (int i = 0; i < scan.ttlCount(); i++) {
                assertTrue(scan.ttlOffsets()[i] >= scan.questionEnd() && scan.ttlOffsets()[i] + 4 <= input.length);
            }
        }
        boolean again = embeddedScan.scan(embed(before, input, after), before.length, input.length, qname,
                qname.length, 1, 1);
        assertEquals(describe(scan, ok), describe(embeddedScan, again),
                "the same message scans the same among other bytes");
        Statistics.label("scan").collect(ok ? "ok" : scan.error().name());
        Statistics.label("scan").coverage(coverage -> {
            coverage.check("ok").percentage(p -> p >= 8);
            coverage.checkQuery(values -> !values.contains("ok")).percentage(p -> p >= 10);
        });
    }

    @Property(tries = 2000)
    void nameReaderTerminatesOnArbitraryPointerSoup(
            @ForAll @Size(min = 1, max = 64) List<@IntRange(min = 0, max = 255) Integer> soup,
            @ForAll("junk") byte[] before, @ForAll("junk") byte[] after) {
        byte[] msg = new byte[soup.size()];
        for (int i = 0; i < msg.length; i++) {
            msg[i] = (byte) (int) soup.get(i);
        }
        ByteBuf embedded = embed(before, msg, after);
        byte[] lower = new byte[Names.MAX_NAME_LENGTH];
        byte[] original = new byte[Names.MAX_NAME_LENGTH];
        byte[] embeddedLower = new byte[Names.MAX_NAME_LENGTH];
        for (int start = 0; start < msg.length; start++) {
            int r = Names.read(Unpooled.wrappedBuffer(msg), 0, msg.length, start, lower, original);
            if (r >= 0) {
                int nameLength = r >>> 16;
                assertTrue((r & 0xFFFF) > start && (r & 0xFFFF) <= msg.length, "end " + (r & 0xFFFF));
                assertTrue(nameLength >= 1 && nameLength <= Names.MAX_NAME_LENGTH);
                assertWellFormedName(lower, nameLength);
                assertEquals(r & 0xFFFF, Names.skip(Unpooled.wrappedBuffer(msg), 0, msg.length, start));
            } else {
                assertNotNull(DecodeError.of(r));
            }
            int again = Names.read(embedded, before.length, msg.length, start, embeddedLower, null);
            assertEquals(r, again, "the same name reads the same among other bytes (start " + start + ")");
            if (r >= 0) {
                assertArrayEquals(Arrays.copyOf(lower, r >>> 16), Arrays.copyOf(embeddedLower, r >>> 16));
            }
            Statistics.label("name").collect(r >= 0 ? "read" : DecodeError.of(r).name());
        }
        Statistics.label("name").coverage(coverage -> {
            coverage.check("read").percentage(p -> p >= 2);
            coverage.check("POINTER_LOOP").percentage(p -> p >= 1);
            coverage.check("TRUNCATED").percentage(p -> p >= 10);
        });
    }

    /** Every datagram a server might read: random bytes, random bodies behind a query header, mutated messages. */
    @Provide
    Arbitrary<byte[]> datagrams() {
        return Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(600),
                Arbitraries.randomValue(DecoderFuzzTest::queryHeaderAndRandomBody),
                mutatedMessages());
    }

    /**
     * A header that passes the query checks (QR 0, opcode QUERY, one question) with few records, then a name of
     * random labels (now and then a compression pointer or a bad label type) and random bytes: random bytes alone
     * almost never get past QDCOUNT, so the name, question and record walks would go unfuzzed.
     */
    private static byte[] queryHeaderAndRandomBody(Random random) {
        int flags = random.nextInt(0x10000) & ~(DnsWire.FLAG_QR | DnsWire.OPCODE_MASK);
        boolean noRecords = random.nextInt(3) > 0;
        byte[] body = new byte[1 + random.nextInt(120)];
        random.nextBytes(body);
        int at = 0;
        for (int labels = random.nextInt(5); labels > 0 && at < body.length; labels--) {
            int length = random.nextInt(12);
            body[at] = (byte) (random.nextInt(20) == 0 ? 0x40 | length : length);
            at += 1 + length;
        }
        if (at < body.length) {
            body[at] = random.nextInt(8) == 0 ? (byte) 0xC0 : 0; // a pointer (its target follows) or the root
        }
        return Messages.withHeader(random.nextInt(0x10000), flags, 1, noRecords ? 0 : random.nextInt(2),
                noRecords ? 0 : random.nextInt(2), noRecords ? 0 : random.nextInt(3), body);
    }

    /**
     * Valid messages (queries with and without EDNS, one with an EDNS version this server does not speak, a
     * response) with up to six bytes overwritten, and half of them cut short.
     */
    @Provide
    Arbitrary<byte[]> mutatedMessages() {
        return Mutations.of(List.of(
                Messages.query(7, VIP, 1, true, 1232),
                Messages.query(8, "a.b", 33, false, 0),
                Messages.queryWithEdnsVersion(10, VIP, 28, 1),
                Messages.concat(Messages.query(9, VIP, 1, false, 0),
                        Messages.bytes(0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 11, 0, 0, 1))), 6, 50);
    }

    /** Bytes around a message in a larger buffer. */
    @Provide
    Arbitrary<byte[]> junk() {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(40);
    }

    /** {@code message} at offset {@code before.length} of a buffer that holds {@code before} and {@code after} too. */
    private static ByteBuf embed(byte[] before, byte[] message, byte[] after) {
        return Unpooled.wrappedBuffer(Messages.concat(before, message, after));
    }

    /** A wire name: labels of at most 63 octets, the root label last and exactly at the end. */
    private static void assertWellFormedName(byte[] name, int length) {
        int at = 0;
        while (name[at] != 0) {
            assertTrue(name[at] > 0 && name[at] <= Names.MAX_LABEL_LENGTH, "label length " + name[at]);
            at += 1 + name[at];
            assertTrue(at < length, "labels run past the name's length");
        }
        assertEquals(length, at + 1, "root label at the end");
    }

    /** Everything a decode leaves behind, as text to compare. */
    private static String describe(DnsQuery q, int outcome) {
        String head = OUTCOMES[outcome] + " " + q.error();
        if (outcome != DnsQuery.OUTCOME_QUERY && outcome != DnsQuery.OUTCOME_BADVERS) {
            return head;
        }
        return head + " id=" + q.id() + " flags=" + q.flags() + " q=" + q.qtype() + "/" + q.qclass()
                + " name=" + HexFormat.of().formatHex(q.nameOriginal(), 0, q.nameLength())
                + " end=" + q.questionEnd() + " labels=" + q.labelCount() + " hash=" + q.nameHash()
                + " edns=" + q.edns() + "/" + q.ednsPayloadSize() + "/" + q.ednsVersion() + "/" + q.dnssecOk();
    }

    private static String describe(ResponseScan s, boolean ok) {
        if (!ok) {
            return "refused " + s.error();
        }
        return "ok id=" + s.id() + " flags=" + s.flags() + " answers=" + s.answerCount() + " end=" + s.questionEnd()
                + " ttls=" + Arrays.toString(Arrays.copyOf(s.ttlOffsets(), s.ttlCount())) + " min=" + s.minAnswerTtl()
                + " negative=" + s.negativeTtl() + " opt=" + s.optStart() + "/" + s.optLast();
    }
}
