package io.navstar.dns.wire;

import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import static io.navstar.dns.testing.Messages.*;
import static org.junit.jupiter.api.Assertions.*;

class DnsQueryTest {
    private final DnsQuery query = new DnsQuery();

    private int decode(byte[] msg) {
        return query.decode(Unpooled.wrappedBuffer(msg), 0, msg.length);
    }

    @Test
    void decodesQuestionKeepingCaseAndEdnsPayload() {
        assertEquals(DnsQuery.OUTCOME_QUERY, decode(query(0x1234, "WeB.example", DnsWire.TYPE_AAAA, true, 4096)));
        assertEquals(0x1234, query.id());
        assertEquals(DnsWire.TYPE_AAAA, query.qtype());
        assertEquals("web.example", Names.toText(query.nameLower(), query.nameLength()));
        assertEquals('W', query.nameOriginal()[1]);
        assertTrue(query.edns());
        assertEquals(4096, query.ednsPayloadSize());
        assertEquals(1232, query.udpLimit(1232));
        assertTrue(query.recursionDesired());
    }

    @Test
    void clientWithoutEdnsGets512AndTinyPayloadIsRaisedTo512() {
        decode(query(1, "a.example", 1, false, 0));
        assertEquals(512, query.udpLimit(1232));
        decode(query(1, "a.example", 1, true, 100));
        assertEquals(512, query.udpLimit(1232));
    }

    @Test
    void shouldDropMessagesShorterThanHeaderAndResponses() {
        assertEquals(DnsQuery.OUTCOME_DROP, decode(bytes(1, 2, 3)));
        byte[] response = query(1, "a.example", 1, false, 0);
        response[2] |= (byte) 0x80;
        assertEquals(DnsQuery.OUTCOME_DROP, decode(response));
    }

    @Test
    void shouldAnswerFormerrWhenQuestionCountIsNotOne() {
        assertEquals(DnsQuery.OUTCOME_FORMERR, decode(withHeader(1, 0x100, 0, 0, 0, 0, new byte[0])));
        assertEquals(DecodeError.BAD_QUESTION_COUNT, query.error());
        byte[] q = concat(wire("a.example"), bytes(0, 1, 0, 1));
        assertEquals(DnsQuery.OUTCOME_FORMERR, decode(withHeader(1, 0x100, 2, 0, 0, 0, concat(q, q))));
    }

    @Test
    void shouldAnswerFormerrWhenQuestionIsTruncated() {
        byte[] full = query(1, "a.example", 1, false, 0);
        for (int cut = 12; cut < full.length; cut++) {
            byte[] part = java.util.Arrays.copyOf(full, cut);
            assertEquals(DnsQuery.OUTCOME_FORMERR, decode(part), "cut at " + cut);
            assertEquals(DecodeError.TRUNCATED, query.error());
        }
    }

    @Test
    void shouldRejectQueryWhenCompressionPointerLoops() {
        byte[] msg = withHeader(1, 0x100, 1, 0, 0, 0, bytes(0xC0, 12, 0, 1, 0, 1));
        assertEquals(DnsQuery.OUTCOME_FORMERR, decode(msg));
        assertEquals(DecodeError.POINTER_LOOP, query.error());
    }

    @Test
    void shouldAnswerNotImpForOtherOpcodes() {
        byte[] msg = query(1, "a.example", 1, false, 0);
        msg[2] = (byte) (5 << 3); // UPDATE
        assertEquals(DnsQuery.OUTCOME_NOTIMP, decode(msg));
    }

    @Test
    void shouldRejectTwoOptRecordsAndAnswerBadversForEdnsVersionOne() {
        byte[] opt = bytes(0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0);
        byte[] q = concat(wire("a.example"), bytes(0, 1, 0, 1));
        assertEquals(DnsQuery.OUTCOME_FORMERR, decode(withHeader(1, 0x100, 1, 0, 0, 2, concat(q, opt, opt))));
        assertEquals(DecodeError.BAD_OPT, query.error());
        byte[] v1 = bytes(0, 0, 41, 4, 0, 0, 1, 0, 0, 0, 0);
        assertEquals(DnsQuery.OUTCOME_BADVERS, decode(withHeader(1, 0x100, 1, 0, 0, 1, concat(q, v1))));
    }

    @Test
    void shouldRejectRecordWhoseRdlengthRunsPastTheEnd() {
        byte[] q = concat(wire("a.example"), bytes(0, 1, 0, 1));
        byte[] rr = bytes(0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 50, 1, 2);
        assertEquals(DnsQuery.OUTCOME_FORMERR, decode(withHeader(1, 0x100, 1, 0, 0, 1, concat(q, rr))));
        assertEquals(DecodeError.BAD_RDLENGTH, query.error());
    }

    @Test
    void shouldReportTruncationWhenCountsPromiseMoreRecordsThanPresent() {
        byte[] q = concat(wire("a.example"), bytes(0, 1, 0, 1));
        assertEquals(DnsQuery.OUTCOME_FORMERR, decode(withHeader(1, 0x100, 1, 65535, 65535, 65535, q)));
        assertEquals(DecodeError.TRUNCATED, query.error());
    }
}
