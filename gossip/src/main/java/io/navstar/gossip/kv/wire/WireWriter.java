package io.navstar.gossip.kv.wire;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Appends the KV wire primitives (LEB128 unsigned varints, big-endian fixed longs, length-prefixed
 * UTF-8 strings and byte strings) to a growable array. The matching reader is {@link WireReader}.
 *
 * <p>Not thread-safe: one writer per encoding.
 */
public final class WireWriter {

    private byte[] buffer;
    private int length;

    public WireWriter() {
        this(256);
    }

    public WireWriter(int initialCapacity) {
        buffer = new byte[Math.max(16, initialCapacity)];
    }

    private void ensure(int extra) {
        if (length + extra > buffer.length) {
            final long wanted = Math.max((long) buffer.length * 2, (long) length + extra);
            if (wanted > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("encoding exceeds 2 GiB");
            }
            buffer = Arrays.copyOf(buffer, (int) wanted);
        }
    }

    public WireWriter u8(int value) {
        ensure(1);
        buffer[length++] = (byte) value;
        return this;
    }

    /** An unsigned LEB128 varint; {@code value} must not be negative. */
    public WireWriter varuint(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("varuint of a negative value: " + value);
        }
        ensure(10);
        while ((value & ~0x7FL) != 0) {
            buffer[length++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        buffer[length++] = (byte) value;
        return this;
    }

    public WireWriter i64(long value) {
        ensure(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            buffer[length++] = (byte) (value >>> shift);
        }
        return this;
    }

    public WireWriter i32(int value) {
        ensure(4);
        for (int shift = 24; shift >= 0; shift -= 8) {
            buffer[length++] = (byte) (value >>> shift);
        }
        return this;
    }

    public WireWriter string(String value) {
        return bytes(value.getBytes(StandardCharsets.UTF_8));
    }

    /** A varint length then the bytes. */
    public WireWriter bytes(byte[] value) {
        varuint(value.length);
        return raw(value, 0, value.length);
    }

    public WireWriter raw(byte[] value, int offset, int count) {
        ensure(count);
        System.arraycopy(value, offset, buffer, length, count);
        length += count;
        return this;
    }

    public int length() {
        return length;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buffer, length);
    }

    /** The backing array; valid up to {@link #length()}. */
    public byte[] array() {
        return buffer;
    }
}
