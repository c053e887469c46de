package io.navstar.gossip.kv.wire;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads what {@link WireWriter} wrote, checking every length against both an explicit bound and
 * the bytes that remain, so truncated or hostile input fails with a {@link CorruptDataException}
 * naming the field and offset instead of allocating or reading past the end.
 *
 * <p>Not thread-safe: one reader per decoding.
 */
public final class WireReader {

    private final byte[] buffer;
    private final int end;
    private int position;

    public WireReader(byte[] buffer) {
        this(buffer, 0, buffer.length);
    }

    public WireReader(byte[] buffer, int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > buffer.length) {
            throw new IllegalArgumentException("bad slice " + offset + "+" + length + " of " + buffer.length);
        }
        this.buffer = buffer;
        this.position = offset;
        this.end = offset + length;
    }

    public int position() {
        return position;
    }

    public int remaining() {
        return end - position;
    }

    public CorruptDataException corrupt(String what) {
        return new CorruptDataException(what + " at offset " + position);
    }

    private void need(int count, String what) {
        if (count > end - position) {
            throw corrupt("truncated " + what + ": need " + count + " bytes, " + (end - position) + " left");
        }
    }

    public int u8(String what) {
        need(1, what);
        return buffer[position++] & 0xFF;
    }

    public long varuint(String what) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            final int b = u8(what);
            if (shift == 63 && (b & 0xFE) != 0) {
                throw corrupt(what + ": varint overflows 64 bits");
            }
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (b == 0 && shift != 0) {
                    throw corrupt(what + ": overlong varint");
                }
                if (value < 0) {
                    throw corrupt(what + ": varint out of range");
                }
                return value;
            }
        }
        throw corrupt(what + ": varint longer than 10 bytes");
    }

    /** A varint in [min, max]. */
    public long varuint(String what, long min, long max) {
        final long value = varuint(what);
        if (value < min || value > max) {
            throw corrupt(what + " " + value + " outside [" + min + ", " + max + "]");
        }
        return value;
    }

    /**
     * An element count, bounded by {@code max} and by the bytes left when each element takes at
     * least {@code minElementBytes}.
     */
    public int count(String what, int max, int minElementBytes) {
        final long value = varuint(what);
        if (value > max) {
            throw corrupt(what + " " + value + " exceeds the limit " + max);
        }
        if (value * Math.max(1, minElementBytes) > remaining()) {
            throw corrupt(what + " " + value + " cannot fit in the " + remaining() + " bytes left");
        }
        return (int) value;
    }

    public long i64(String what) {
        need(8, what);
        long value = 0;
        for (int i = 0; i < 8; i++) {
            value = (value << 8) | (buffer[position++] & 0xFF);
        }
        return value;
    }

    public int i32(String what) {
        need(4, what);
        int value = 0;
        for (int i = 0; i < 4; i++) {
            value = (value << 8) | (buffer[position++] & 0xFF);
        }
        return value;
    }

    public byte[] bytes(String what, int maxLength) {
        final long length = varuint(what + " length");
        if (length > maxLength) {
            throw corrupt(what + " length " + length + " exceeds the limit " + maxLength);
        }
        need((int) length, what);
        final byte[] out = new byte[(int) length];
        System.arraycopy(buffer, position, out, 0, out.length);
        position += out.length;
        return out;
    }

    /** A strictly decoded UTF-8 string of at most {@code maxBytes} bytes. */
    public String string(String what, int maxBytes) {
        final long length = varuint(what + " length");
        if (length > maxBytes) {
            throw corrupt(what + " length " + length + " exceeds the limit " + maxBytes);
        }
        need((int) length, what);
        try {
            final String s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(buffer, position, (int) length))
                    .toString();
            position += (int) length;
            return s;
        } catch (CharacterCodingException e) {
            throw corrupt(what + ": invalid UTF-8");
        }
    }

    /** Fails unless every byte was consumed. */
    public void expectEnd(String what) {
        if (position != end) {
            throw corrupt(what + ": " + (end - position) + " trailing bytes");
        }
    }
}
