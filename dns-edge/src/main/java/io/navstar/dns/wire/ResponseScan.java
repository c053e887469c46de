package io.navstar.dns.wire;

import io.netty.buffer.ByteBuf;

import static io.navstar.dns.wire.DnsWire.*;

/**
 * Walks an upstream response once, bounded like {@link DnsQuery#decode}: checks that it answers the
 * question asked, and records what caching needs: the offset of every RR's TTL (to count TTLs down
 * when serving from the cache, RFC 1035 §7.4), the smallest answer TTL, the SOA-derived negative TTL
 * (RFC 2308 §5: the lesser of the SOA's TTL and its MINIMUM field) and where the OPT record starts.
 *
 * <p>Not thread-safe: one instance per event loop, reused.
 */
public final class ResponseScan {
    /** Most RRs a response may carry for navstar to cache it; larger ones are relayed uncached. */
    public static final int MAX_RECORDS = 256;

    private final int[] ttlOffsets = new int[MAX_RECORDS];
    private final byte[] scratchName = new byte[Names.MAX_NAME_LENGTH];
    private int ttlCount;
    private int id;
    private int flags;
    private int answerCount;
    private long minAnswerTtl;
    private long negativeTtl;
    private int optStart;
    private boolean optLast;
    private int questionEnd;
    private DecodeError error;

    /**
     * Scans the response in {@code buf[base, base + length)} as the answer to
     * ({@code qname[0, qnameLength)}, {@code qtype}, {@code qclass}); the name compares case-insensitively.
     *
     * @return true when the message is a well-formed response to that question
     */
    public boolean scan(ByteBuf buf, int base, int length, byte[] qname, int qnameLength, int qtype, int qclass) {
        error = null;
        ttlCount = 0;
        optStart = -1;
        optLast = false;
        minAnswerTtl = Long.MAX_VALUE;
        negativeTtl = -1;
        if (length < HEADER_SIZE) {
            return fail(DecodeError.TRUNCATED);
        }
        id = buf.getUnsignedShort(base);
        flags = buf.getUnsignedShort(base + OFFSET_FLAGS);
        if ((flags & FLAG_QR) == 0) {
            return fail(DecodeError.NOT_A_QUERY);
        }
        if (buf.getUnsignedShort(base + OFFSET_QDCOUNT) != 1) {
            return fail(DecodeError.BAD_QUESTION_COUNT);
        }
        int r = Names.read(buf, base, length, HEADER_SIZE, scratchName, null);
        if (r < 0) {
            return fail(DecodeError.of(r));
        }
        int nameLength = r >>> 16;
        int pos = r & 0xFFFF;
        if (pos + 4 > length) {
            return fail(DecodeError.TRUNCATED);
        }
        if (nameLength != qnameLength || !java.util.Arrays.equals(scratchName, 0, nameLength, qname, 0, qnameLength)
                || buf.getUnsignedShort(base + pos) != qtype || buf.getUnsignedShort(base + pos + 2) != qclass) {
            return fail(DecodeError.NOT_A_QUERY);
        }
        pos += 4;
        questionEnd = pos;
        answerCount = buf.getUnsignedShort(base + OFFSET_ANCOUNT);
        int authority = buf.getUnsignedShort(base + OFFSET_NSCOUNT);
        int total = answerCount + authority + buf.getUnsignedShort(base + OFFSET_ARCOUNT);
        for (int i = 0; i < total; i++) {
            int start = pos;
            pos = Records.fixedPart(buf, base, length, start);
            if (pos < 0) {
                return fail(DecodeError.of(pos));
            }
            int type = Records.type(buf, base, pos);
            long ttl = buf.getUnsignedInt(base + pos + 4);
            int rdLength = Records.rdLength(buf, base, pos);
            int rdata = pos + RR_FIXED_SIZE;
            if (type == TYPE_OPT) {
                if (optStart >= 0) {
                    return fail(DecodeError.BAD_OPT);
                }
                optStart = start;
                optLast = i == total - 1;
            } else {
                if (ttlCount == MAX_RECORDS) {
                    return fail(DecodeError.TRUNCATED);
                }
                ttlOffsets[ttlCount++] = pos + 4;
                if (ttl > 0x7FFFFFFFL) {
                    ttl = 0; // RFC 2181 §8: a TTL with the top bit set is treated as zero
                }
                if (i < answerCount) {
                    minAnswerTtl = Math.min(minAnswerTtl, ttl);
                } else if (i < answerCount + authority && type == TYPE_SOA && rdLength >= 22) {
                    // SOA MINIMUM is the last 32-bit field of the RDATA (RFC 1035 §3.3.13).
                    long minimum = buf.getUnsignedInt(base + rdata + rdLength - 4);
                    negativeTtl = Math.min(ttl, minimum);
                }
            }
            pos = rdata + rdLength;
        }
        return true;
    }

    private boolean fail(DecodeError e) {
        error = e;
        return false;
    }

    public DecodeError error() {
        return error;
    }

    public int id() {
        return id;
    }

    public int flags() {
        return flags;
    }

    public int rcode() {
        return flags & RCODE_MASK;
    }

    public boolean truncated() {
        return (flags & FLAG_TC) != 0;
    }

    public int answerCount() {
        return answerCount;
    }

    /** Offset (from the message start) just past the question. */
    public int questionEnd() {
        return questionEnd;
    }

    /** Smallest TTL in the answer section; {@code Long.MAX_VALUE} when it is empty. */
    public long minAnswerTtl() {
        return minAnswerTtl;
    }

    /** Negative-caching TTL from the authority SOA (RFC 2308 §5), or -1 when there is no SOA. */
    public long negativeTtl() {
        return negativeTtl;
    }

    /** Offset of the OPT record, -1 when absent. */
    public int optStart() {
        return optStart;
    }

    /** True when the OPT record is the message's last record (so cutting there removes only it). */
    public boolean optLast() {
        return optLast;
    }

    public int ttlCount() {
        return ttlCount;
    }

    /** Offsets (from the message start) of every non-OPT RR's TTL field. */
    public int[] ttlOffsets() {
        return ttlOffsets;
    }
}
