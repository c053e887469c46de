package io.navstar.sys.netlink;

/**
 * A netlink datagram that does not parse: a length below its header, past the end of what holds it, or bytes
 * left over. Names the offending field and its byte offset, e.g.
 * {@code nla_len 2 at byte 36 is below the 4-byte attribute header}.
 */
public final class NetlinkFormatException extends RuntimeException {
    public NetlinkFormatException(String message) {
        super(message);
    }
}
