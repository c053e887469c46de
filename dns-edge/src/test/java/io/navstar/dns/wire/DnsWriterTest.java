package io.navstar.dns.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class DnsWriterTest {
    @Test
    void compressesRepeatedNamesAndSuffixesIntoBackwardPointers() {
        ByteBuf buf = Unpooled.buffer();
        DnsWriter w = new DnsWriter().begin(buf);
        w.header(1, 0x8000, 1, 0, 0, 0);
        byte[] q = Names.toWire("web.marathon.l4lb.thisdcos.directory");
        w.question(q, q, q.length, 1, 1);
        int second = w.size();
        w.writeName(q, q.length, true);
        assertEquals(second + 2, w.size(), "identical name becomes one pointer");
        assertEquals(0xC00C, buf.getUnsignedShort(second));
        int third = w.size();
        byte[] sibling = Names.toWire("ns.thisdcos.directory");
        w.writeName(sibling, sibling.length, true);
        assertEquals(third + 3 + 2, w.size(), "label 'ns' then a pointer to thisdcos.directory");
        byte[] out = new byte[255];
        int r = Names.read(buf, 0, w.size(), third, out, null);
        assertEquals("ns.thisdcos.directory", Names.toText(out, r >>> 16));
    }

    @Test
    void compressionMatchesIgnoringCaseOfTheQuestion() {
        ByteBuf buf = Unpooled.buffer();
        DnsWriter w = new DnsWriter().begin(buf);
        w.header(1, 0x8000, 1, 0, 0, 0);
        byte[] original = io.navstar.dns.testing.Messages.wireKeepingCase("ThisDCOS.Directory");
        byte[] lower = Names.toWire("thisdcos.directory");
        w.question(original, lower, lower.length, 1, 1);
        int at = w.size();
        w.writeName(lower, lower.length, true);
        assertEquals(0xC00C, buf.getUnsignedShort(at));
    }

    @Test
    void uncompressedNamesAreWrittenInFull() {
        ByteBuf buf = Unpooled.buffer();
        DnsWriter w = new DnsWriter().begin(buf);
        w.header(1, 0x8000, 0, 0, 0, 0);
        byte[] n = Names.toWire("agent1.thisdcos.directory");
        w.writeName(n, n.length, false);
        int at = w.size();
        w.writeName(n, n.length, false);
        assertEquals(at + n.length, w.size());
    }
}
