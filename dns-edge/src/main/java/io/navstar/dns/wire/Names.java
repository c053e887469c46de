package io.navstar.dns.wire;

import io.netty.buffer.ByteBuf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Domain names in wire form (RFC 1035 §3.1): a sequence of length-prefixed labels ending with the
 * zero-length root label. Reads names from messages with compression pointers (§4.1.4) under strict
 * bounds, and converts between text and wire form. Stateless and allocation-free except for the
 * text conversions, which are for configuration paths only.
 *
 * <p>Names kept by navstar (zone keys, cache keys) are lowercase wire form; comparisons are ASCII
 * case-insensitive (RFC 4343 §3). Length octets are at most 63, so lowercasing a whole wire name
 * never changes them.
 */
public final class Names {
    private Names() {
    }

    /** Longest name in wire form, including the root label (RFC 1035 §2.3.4). */
    public static final int MAX_NAME_LENGTH = 255;
    /** Longest label (RFC 1035 §2.3.4). */
    public static final int MAX_LABEL_LENGTH = 63;
    /**
     * Most compression pointers followed in one name. Pointers must already point strictly backwards,
     * which alone guarantees termination; this bound caps the work a hostile message can cause.
     */
    public static final int MAX_POINTER_HOPS = 64;

    /** The root name in wire form. */
    public static final byte[] ROOT = {0};

    /** ASCII lowercase of one octet (RFC 4343 §3: only A-Z fold). */
    public static byte lower(byte b) {
        return (b >= 'A' && b <= 'Z') ? (byte) (b | 0x20) : b;
    }

    /** Most labels in a name, the root label excluded (255 octets, each label at least 2). */
    public static final int MAX_LABELS = 127;

    /**
     * Hash of a lowercase wire name range; the one hash every table in dns-edge uses. Computed from
     * the last octet backwards, so one backward pass over a name yields the hash of every suffix
     * ({@link #suffixHashes}): zone lookup and compression need the hash of each label's suffix.
     */
    public static int hash(byte[] name, int offset, int length) {
        int h = 1;
        for (int i = offset + length - 1; i >= offset; i--) {
            h = 31 * h + name[i];
        }
        return h;
    }

    /**
     * For the well-formed wire name {@code name[0, length)}: the offset of each label in
     * {@code starts} and {@code hash(name, starts[k], length - starts[k])} in {@code hashes}, in one
     * forward and one backward pass instead of one hash per suffix. The root label is not counted.
     * Both arrays need {@link #MAX_LABELS} entries.
     *
     * @return the number of labels
     */
    public static int suffixHashes(byte[] name, int length, int[] starts, int[] hashes) {
        int count = 0;
        for (int p = 0; p < length - 1 && name[p] != 0 && count < MAX_LABELS; p += 1 + name[p]) {
            starts[count++] = p;
        }
        int k = count - 1;
        int h = 1;
        for (int i = length - 1; i >= 0 && k >= 0; i--) {
            h = 31 * h + name[i];
            if (i == starts[k]) {
                hashes[k--] = h;
            }
        }
        return count;
    }

    /**
     * Reads the name at {@code offset} of the message {@code [base, base + length)} of {@code buf},
     * following compression pointers, into {@code lowerOut} lowercased and, when non-null,
     * {@code originalOut} as sent. Offsets are relative to {@code base}.
     *
     * @return {@code (nameLength << 16) | endOffset} where {@code endOffset} is the offset just past
     *     the name where it started (past the first pointer), or a negative {@link DecodeError} code
     */
    public static int read(ByteBuf buf, int base, int length, int offset, byte[] lowerOut, byte[] originalOut) {
        int pos = offset;
        int end = -1;
        int nameLength = 0;
        int hops = 0;
        int lowestJump = offset; // pointers must go strictly below every position visited so far
        while (true) {
            if (pos >= length) {
                return DecodeError.TRUNCATED.code();
            }
            int len = buf.getUnsignedByte(base + pos);
            int kind = len & 0xC0;
            if (kind == 0xC0) {
                if (pos + 1 >= length) {
                    return DecodeError.TRUNCATED.code();
                }
                int target = ((len & 0x3F) << 8) | buf.getUnsignedByte(base + pos + 1);
                if (target >= lowestJump || ++hops > MAX_POINTER_HOPS) {
                    return DecodeError.POINTER_LOOP.code();
                }
                if (end < 0) {
                    end = pos + 2;
                }
                lowestJump = target;
                pos = target;
                continue;
            }
            if (kind != 0) {
                return DecodeError.BAD_LABEL_TYPE.code();
            }
            if (nameLength + 1 + len > MAX_NAME_LENGTH) {
                return DecodeError.NAME_TOO_LONG.code();
            }
            if (len == 0) {
                if (lowerOut != null) {
                    lowerOut[nameLength] = 0;
                }
                if (originalOut != null) {
                    originalOut[nameLength] = 0;
                }
                nameLength++;
                if (end < 0) {
                    end = pos + 1;
                }
                return (nameLength << 16) | end;
            }
            if (pos + 1 + len > length) {
                return DecodeError.TRUNCATED.code();
            }
            int from = base + pos;
            for (int i = 0; i <= len; i++) {
                byte b = buf.getByte(from + i);
                if (lowerOut != null) {
                    lowerOut[nameLength + i] = lower(b);
                }
                if (originalOut != null) {
                    originalOut[nameLength + i] = b;
                }
            }
            nameLength += 1 + len;
            pos += 1 + len;
        }
    }

    /**
     * Skips the name at {@code offset} without copying it, with the same bounds as {@link #read}.
     *
     * @return the offset just past the name, or a negative {@link DecodeError} code
     */
    public static int skip(ByteBuf buf, int base, int length, int offset) {
        int r = read(buf, base, length, offset, null, null);
        return r < 0 ? r : (r & 0xFFFF);
    }

    /**
     * True when the name at {@code msgOffset} of the message starting at {@code base} (following
     * pointers, which the writer only ever creates backwards) equals {@code name[from, end)}
     * ignoring ASCII case.
     */
    public static boolean equalsAt(ByteBuf buf, int base, int msgOffset, byte[] name, int from, int end) {
        int pos = msgOffset;
        int i = from;
        int hops = 0;
        while (true) {
            int len = buf.getUnsignedByte(base + pos);
            if ((len & 0xC0) == 0xC0) {
                if (++hops > MAX_POINTER_HOPS) {
                    return false;
                }
                pos = ((len & 0x3F) << 8) | buf.getUnsignedByte(base + pos + 1);
                continue;
            }
            if (i >= end || name[i] != len) {
                return false;
            }
            if (len == 0) {
                return i + 1 == end;
            }
            for (int k = 1; k <= len; k++) {
                if (lower(buf.getByte(base + pos + k)) != lower(name[i + k])) {
                    return false;
                }
            }
            i += 1 + len;
            pos += 1 + len;
        }
    }

    /**
     * Text name ("web.marathon.l4lb.thisdcos.directory", trailing dot optional, "." for the root)
     * to lowercase wire form. For configuration paths.
     *
     * @throws IllegalArgumentException on an empty label, a label over 63 or a name over 255 octets
     */
    public static byte[] toWire(String text) {
        String t = text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
        if (t.isEmpty()) {
            return ROOT.clone();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(t.length() + 2);
        for (String label : t.split("\\.", -1)) {
            byte[] bytes = label.toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
            if (bytes.length == 0) {
                throw new IllegalArgumentException("empty label in DNS name '" + text + "'");
            }
            if (bytes.length > MAX_LABEL_LENGTH) {
                throw new IllegalArgumentException("label longer than 63 octets in DNS name '" + text + "'");
            }
            out.write(bytes.length);
            out.writeBytes(bytes);
        }
        out.write(0);
        if (out.size() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("DNS name longer than 255 octets: '" + text + "'");
        }
        return out.toByteArray();
    }

    /** Wire name {@code name[0, length)} to dotted text without the trailing dot ("." for the root). */
    public static String toText(byte[] name, int length) {
        if (length <= 1) {
            return ".";
        }
        StringBuilder sb = new StringBuilder(length);
        int i = 0;
        while (i < length && name[i] != 0) {
            int len = name[i];
            if (sb.length() > 0) {
                sb.append('.');
            }
            sb.append(new String(name, i + 1, len, StandardCharsets.US_ASCII));
            i += 1 + len;
        }
        return sb.toString();
    }

    /** Offset of the next label after the label starting at {@code offset} of a wire name. */
    public static int nextLabel(byte[] name, int offset) {
        return offset + 1 + name[offset];
    }

    /** True when wire name {@code name[0, nameLength)} equals or lies under {@code zone} (both lowercase). */
    public static boolean isUnder(byte[] name, int nameLength, byte[] zone) {
        int start = nameLength - zone.length;
        if (start < 0) {
            return false;
        }
        int i = 0;
        while (i < start) { // the suffix must start on a label boundary
            i = nextLabel(name, i);
        }
        if (i != start) {
            return false;
        }
        return java.util.Arrays.equals(name, start, nameLength, zone, 0, zone.length);
    }
}
