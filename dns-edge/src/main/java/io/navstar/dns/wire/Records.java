package io.navstar.dns.wire;

import io.netty.buffer.ByteBuf;

import static io.navstar.dns.wire.DnsWire.RR_FIXED_SIZE;

/**
 * Walking resource records (RFC 1035 §4.1.3) with every length bounded: the one place that checks an
 * RR's owner name, fixed part and RDATA fit inside the message. Stateless; any thread.
 */
final class Records {
    private Records() {
    }

    /**
     * Checks the RR at {@code pos} of the message {@code buf[base, base + length)}.
     *
     * @return the offset of its TYPE field (owner name skipped; fixed part and RDATA known to fit),
     *     or a negative {@link DecodeError} code
     */
    static int fixedPart(ByteBuf buf, int base, int length, int pos) {
        int fixed = Names.skip(buf, base, length, pos);
        if (fixed < 0) {
            return fixed;
        }
        if (fixed + RR_FIXED_SIZE > length) {
            return DecodeError.TRUNCATED.code();
        }
        if (fixed + RR_FIXED_SIZE + rdLength(buf, base, fixed) > length) {
            return DecodeError.BAD_RDLENGTH.code();
        }
        return fixed;
    }

    /** TYPE of the RR whose fixed part starts at {@code fixed}. */
    static int type(ByteBuf buf, int base, int fixed) {
        return buf.getUnsignedShort(base + fixed);
    }

    /** RDLENGTH of the RR whose fixed part starts at {@code fixed}. */
    static int rdLength(ByteBuf buf, int base, int fixed) {
        return buf.getUnsignedShort(base + fixed + 8);
    }

    /** Offset just past the RR whose fixed part starts at {@code fixed}. */
    static int end(ByteBuf buf, int base, int fixed) {
        return fixed + RR_FIXED_SIZE + rdLength(buf, base, fixed);
    }
}
