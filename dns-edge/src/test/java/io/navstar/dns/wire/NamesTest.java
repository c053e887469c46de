package io.navstar.dns.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import static io.navstar.dns.testing.Messages.bytes;
import static io.navstar.dns.testing.Messages.concat;
import static org.junit.jupiter.api.Assertions.*;

class NamesTest {
    private static int read(byte[] message, int offset, byte[] lower) {
        ByteBuf buf = Unpooled.wrappedBuffer(message);
        return Names.read(buf, 0, message.length, offset, lower, null);
    }

    @Test
    void suffixHashesEqualTheHashOfEverySuffixInOnePass() {
        java.util.Random random = new java.util.Random(7);
        int[] starts = new int[Names.MAX_LABELS];
        int[] hashes = new int[Names.MAX_LABELS];
        for (int n = 0; n < 500; n++) {
            StringBuilder text = new StringBuilder();
            boolean longLabels = n % 50 == 0; // up to 3 labels of up to 63 octets: still within 255
            int labels = 1 + random.nextInt(longLabels ? 3 : 8);
            for (int l = 0; l < labels; l++) {
                int len = 1 + random.nextInt(longLabels ? 63 : 12);
                for (int c = 0; c < len; c++) {
                    text.append((char) ('a' + random.nextInt(26)));
                }
                text.append(l + 1 < labels ? "." : "");
            }
            byte[] wire = Names.toWire(text.toString());
            int count = Names.suffixHashes(wire, wire.length, starts, hashes);
            assertEquals(labels, count, text::toString);
            for (int k = 0, at = 0; k < count; k++, at = Names.nextLabel(wire, at)) {
                assertEquals(at, starts[k], text::toString);
                assertEquals(Names.hash(wire, at, wire.length - at), hashes[k], text::toString);
            }
        }
        assertEquals(0, Names.suffixHashes(Names.ROOT, 1, starts, hashes), "the root name has no labels");
    }

    @Test
    void readsNameFollowingBackwardPointerAndLowercases() {
        byte[] msg = concat(Names.toWire("b.example"), bytes(1, 'A', 0xC0, 0));
        byte[] lower = new byte[255];
        int r = read(msg, 11, lower);
        assertTrue(r > 0);
        assertEquals(15, r & 0xFFFF, "name ends just after the pointer");
        assertEquals("a.b.example", Names.toText(lower, r >>> 16));
    }

    @Test
    void shouldRejectNameWhenCompressionPointerPointsAtItself() {
        assertEquals(DecodeError.POINTER_LOOP.code(), read(bytes(0xC0, 0), 0, new byte[255]));
    }

    @Test
    void shouldRejectNameWhenCompressionPointersLoopBetweenTwoNames() {
        // offset 0: label "a" then pointer to 4; offset 4: label "b" then pointer back to 0
        byte[] msg = bytes(1, 'a', 0xC0, 4, 1, 'b', 0xC0, 0);
        assertEquals(DecodeError.POINTER_LOOP.code(), read(msg, 4, new byte[255]));
        assertEquals(DecodeError.POINTER_LOOP.code(), read(msg, 0, new byte[255]));
    }

    @Test
    void shouldRejectForwardPointer() {
        byte[] msg = bytes(0xC0, 2, 0);
        assertEquals(DecodeError.POINTER_LOOP.code(), read(msg, 0, new byte[255]));
    }

    @Test
    void shouldRejectTruncatedLabel() {
        assertEquals(DecodeError.TRUNCATED.code(), read(bytes(5, 'a', 'b'), 0, new byte[255]));
        assertEquals(DecodeError.TRUNCATED.code(), read(bytes(1, 'a'), 0, new byte[255]));
        assertEquals(DecodeError.TRUNCATED.code(), read(bytes(0xC0), 0, new byte[255]));
    }

    @Test
    void shouldRejectReservedLabelTypes() {
        assertEquals(DecodeError.BAD_LABEL_TYPE.code(), read(bytes(0x41, 0), 0, new byte[255]));
        assertEquals(DecodeError.BAD_LABEL_TYPE.code(), read(bytes(0x80, 0), 0, new byte[255]));
    }

    @Test
    void shouldRejectNameLongerThan255Octets() {
        byte[] msg = new byte[300];
        int pos = 0;
        for (int i = 0; i < 5; i++) { // 5 labels of 63 = 320 octets
            if (pos + 64 > msg.length) {
                break;
            }
            msg[pos] = 63;
            java.util.Arrays.fill(msg, pos + 1, pos + 64, (byte) 'x');
            pos += 64;
        }
        assertEquals(DecodeError.NAME_TOO_LONG.code(), read(msg, 0, new byte[255]));
    }

    @Test
    void textConversionValidatesLabelsAndRoundTrips() {
        assertArrayEquals(bytes(0), Names.toWire("."));
        assertEquals("web.marathon.l4lb.thisdcos.directory",
                Names.toText(Names.toWire("Web.Marathon.l4lb.thisdcos.directory."), 38));
        assertThrows(IllegalArgumentException.class, () -> Names.toWire("a..b"));
        assertThrows(IllegalArgumentException.class, () -> Names.toWire("x".repeat(64) + ".com"));
        assertThrows(IllegalArgumentException.class, () -> Names.toWire(("x".repeat(60) + ".").repeat(5)));
    }

    @Test
    void isUnderMatchesOnLabelBoundariesOnly() {
        byte[] zone = Names.toWire("directory");
        byte[] name = Names.toWire("thisdcos.directory");
        assertTrue(Names.isUnder(name, name.length, zone));
        byte[] other = Names.toWire("xdirectory");
        assertFalse(Names.isUnder(other, other.length, zone));
    }
}
