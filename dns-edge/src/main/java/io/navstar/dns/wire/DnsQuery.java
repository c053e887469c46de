package io.navstar.dns.wire;

import io.netty.buffer.ByteBuf;

import static io.navstar.dns.wire.DnsWire.*;

/**
 * Reusable flyweight holding one decoded DNS query: header fields, the single question (name both
 * lowercased for lookups and as sent, for 0x20 case preservation) and the EDNS0 OPT record
 * (RFC 6891 §6.1). {@link #decode} bounds every length and never throws on bad input: it returns an
 * {@code OUTCOME_*} value and leaves the reason in {@link #error()}.
 *
 * <p>Not thread-safe: one instance per event loop, reused for every query that loop reads.
 */
public final class DnsQuery {
    /** A well-formed standard query with one question: answer it. */
    public static final int OUTCOME_QUERY = 0;
    /** Malformed after a readable header: answer FORMERR (RFC 1035 §4.1.1). */
    public static final int OUTCOME_FORMERR = 1;
    /** An opcode other than QUERY: answer NOTIMP. */
    public static final int OUTCOME_NOTIMP = 2;
    /** EDNS version above 0: answer BADVERS (RFC 6891 §6.1.3). */
    public static final int OUTCOME_BADVERS = 3;
    /** Too short for a header, or a response: drop silently (never answer a response). */
    public static final int OUTCOME_DROP = 4;

    private final byte[] nameLower = new byte[Names.MAX_NAME_LENGTH];
    private final byte[] nameOriginal = new byte[Names.MAX_NAME_LENGTH];
    private int nameLength;
    private int nameHash;
    private final int[] labelStarts = new int[Names.MAX_LABELS];
    private final int[] suffixHashes = new int[Names.MAX_LABELS];
    private int labelCount;
    private int id;
    private int flags;
    private int qtype;
    private int qclass;
    private int questionEnd;
    private boolean edns;
    private int ednsPayloadSize;
    private int ednsVersion;
    private boolean dnssecOk;
    private DecodeError error;

    /**
     * Decodes the query in {@code buf[base, base + length)}.
     *
     * @return one of the {@code OUTCOME_*} constants
     */
    public int decode(ByteBuf buf, int base, int length) {
        error = null;
        edns = false;
        ednsPayloadSize = 0;
        ednsVersion = 0;
        dnssecOk = false;
        nameLength = 0;
        labelCount = 0;
        qtype = 0;
        qclass = 0;
        if (length < HEADER_SIZE) {
            error = DecodeError.NOT_A_QUERY;
            return OUTCOME_DROP;
        }
        id = buf.getUnsignedShort(base + OFFSET_ID);
        flags = buf.getUnsignedShort(base + OFFSET_FLAGS);
        if ((flags & FLAG_QR) != 0) {
            error = DecodeError.NOT_A_QUERY;
            return OUTCOME_DROP;
        }
        if (((flags & OPCODE_MASK) >>> OPCODE_SHIFT) != OPCODE_QUERY) {
            return OUTCOME_NOTIMP;
        }
        if (buf.getUnsignedShort(base + OFFSET_QDCOUNT) != 1) {
            return fail(DecodeError.BAD_QUESTION_COUNT);
        }
        int r = Names.read(buf, base, length, HEADER_SIZE, nameLower, nameOriginal);
        if (r < 0) {
            return fail(DecodeError.of(r));
        }
        nameLength = r >>> 16;
        int pos = r & 0xFFFF;
        if (pos + 4 > length) {
            return fail(DecodeError.TRUNCATED);
        }
        qtype = buf.getUnsignedShort(base + pos);
        qclass = buf.getUnsignedShort(base + pos + 2);
        pos += 4;
        questionEnd = pos;
        labelCount = Names.suffixHashes(nameLower, nameLength, labelStarts, suffixHashes);
        nameHash = labelCount > 0 ? suffixHashes[0] : Names.hash(nameLower, 0, nameLength);

        // Skip answer and authority (queries normally have none), then look for OPT in additional.
        int skipCount = buf.getUnsignedShort(base + OFFSET_ANCOUNT) + buf.getUnsignedShort(base + OFFSET_NSCOUNT);
        int additional = buf.getUnsignedShort(base + OFFSET_ARCOUNT);
        for (int i = 0; i < skipCount + additional; i++) {
            int fixed = Records.fixedPart(buf, base, length, pos);
            if (fixed < 0) {
                return fail(DecodeError.of(fixed));
            }
            if (i >= skipCount && Records.type(buf, base, fixed) == TYPE_OPT) {
                if (edns || fixed != pos + 1) { // second OPT, or owner not the root name
                    return fail(DecodeError.BAD_OPT);
                }
                edns = true;
                ednsPayloadSize = buf.getUnsignedShort(base + fixed + 2);
                ednsVersion = buf.getUnsignedByte(base + fixed + 5);
                dnssecOk = (buf.getUnsignedByte(base + fixed + 6) & 0x80) != 0;
            }
            pos = Records.end(buf, base, fixed);
        }
        if (edns && ednsVersion != 0) {
            return OUTCOME_BADVERS;
        }
        return OUTCOME_QUERY;
    }

    private int fail(DecodeError e) {
        error = e;
        return OUTCOME_FORMERR;
    }

    /** Why the last decode did not return {@link #OUTCOME_QUERY}, or null. */
    public DecodeError error() {
        return error;
    }

    public int id() {
        return id;
    }

    /** The raw 16-bit flags word of the query. */
    public int flags() {
        return flags;
    }

    public boolean recursionDesired() {
        return (flags & FLAG_RD) != 0;
    }

    public int qtype() {
        return qtype;
    }

    public int qclass() {
        return qclass;
    }

    /** The question name, lowercased wire form; valid for {@link #nameLength()} octets. */
    public byte[] nameLower() {
        return nameLower;
    }

    /** The question name exactly as the client sent it (RFC 4343 case, 0x20 bits). */
    public byte[] nameOriginal() {
        return nameOriginal;
    }

    public int nameLength() {
        return nameLength;
    }

    /** Labels in the question name (the root label not counted). */
    public int labelCount() {
        return labelCount;
    }

    /** Offsets of the question name's labels; the first {@link #labelCount()} entries are valid. */
    public int[] labelStarts() {
        return labelStarts;
    }

    /** {@link Names#hash} of the question name's suffix at each of {@link #labelStarts()}. */
    public int[] suffixHashes() {
        return suffixHashes;
    }

    /** {@link Names#hash} of the lowercase question name. */
    public int nameHash() {
        return nameHash;
    }

    /** Offset (from the message start) just past the question. */
    public int questionEnd() {
        return questionEnd;
    }

    public boolean edns() {
        return edns;
    }

    /** The requestor's UDP payload size from OPT, 0 without EDNS (RFC 6891 §6.2.3). */
    public int ednsPayloadSize() {
        return ednsPayloadSize;
    }

    public int ednsVersion() {
        return ednsVersion;
    }

    public boolean dnssecOk() {
        return dnssecOk;
    }

    /**
     * Largest UDP response this client accepts: 512 without EDNS, else its payload size (values
     * below 512 are treated as 512, RFC 6891 §6.2.5) capped by {@code serverMax}.
     */
    public int udpLimit(int serverMax) {
        if (!edns) {
            return CLASSIC_UDP_SIZE;
        }
        return Math.min(Math.max(ednsPayloadSize, CLASSIC_UDP_SIZE), serverMax);
    }
}
