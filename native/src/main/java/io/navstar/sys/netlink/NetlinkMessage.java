package io.navstar.sys.netlink;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static io.navstar.sys.netlink.Netlink.NLMSG_HDRLEN;

/**
 * One netlink message inside a received datagram: its {@code struct nlmsghdr} fields and its payload, read in
 * place (RFC 3549 §2.3.2; include/uapi/linux/netlink.h). {@link #split} walks a datagram's messages
 * as NLMSG_OK/NLMSG_NEXT do, with every length checked against what holds it.
 *
 * <p>A view, not a copy: valid only while the bytes under it are, which for a socket's receive buffer means
 * until the next receive. Immutable; reading it from several threads is safe while the bytes do not change.
 */
public final class NetlinkMessage {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final MemorySegment message;

    private NetlinkMessage(MemorySegment message) {
        this.message = message;
    }

    /**
     * The messages of a datagram, in order. Each {@code nlmsg_len} must cover its header and fit in what is left;
     * the next message starts at the aligned end of the previous one, and nothing but that padding may follow the
     * last.
     *
     * @throws NetlinkFormatException naming the length and offset that do not fit
     */
    public static List<NetlinkMessage> split(MemorySegment datagram) {
        List<NetlinkMessage> messages = new ArrayList<>();
        long size = datagram.byteSize();
        long at = 0;
        while (at < size) {
            long left = size - at;
            if (left < NLMSG_HDRLEN) {
                throw new NetlinkFormatException(left + " bytes at byte " + at + " are less than the "
                        + NLMSG_HDRLEN + "-byte netlink message header");
            }
            long length = Integer.toUnsignedLong(datagram.get(U32, at));
            if (length < NLMSG_HDRLEN) {
                throw new NetlinkFormatException("nlmsg_len " + length + " at byte " + at + " is below the "
                        + NLMSG_HDRLEN + "-byte header");
            }
            if (length > left) {
                throw new NetlinkFormatException("nlmsg_len " + length + " at byte " + at + " runs past the end of the "
                        + size + "-byte datagram");
            }
            messages.add(new NetlinkMessage(datagram.asSlice(at, length)));
            at += Netlink.align(length);
        }
        return messages;
    }

    /** The whole message, header included. */
    public MemorySegment bytes() {
        return message;
    }

    /** nlmsg_len. */
    public int length() {
        return (int) message.byteSize();
    }

    /** nlmsg_type: a control type ({@link Netlink#NLMSG_ERROR}...) or the protocol's (RTM_NEWLINK...). */
    public int type() {
        return Short.toUnsignedInt(message.get(U16, 4));
    }

    /** nlmsg_flags. */
    public int flags() {
        return Short.toUnsignedInt(message.get(U16, 6));
    }

    /** nlmsg_seq: the sequence number of the request this answers (0 or another's for notifications). */
    public int sequence() {
        return message.get(U32, 8);
    }

    /** nlmsg_pid: the port id of the request's socket. */
    public int portId() {
        return message.get(U32, 12);
    }

    /** The bytes after the header. */
    public MemorySegment payload() {
        return message.asSlice(NLMSG_HDRLEN);
    }

    /**
     * For an {@link Netlink#NLMSG_ERROR}: the error, 0 for an acknowledgement or minus errno
     * ({@code struct nlmsgerr { int error; struct nlmsghdr msg; }}); for {@link Netlink#NLMSG_DONE}, the dump's
     * status, which is the same int.
     *
     * @throws NetlinkFormatException when the payload is shorter than that int
     */
    public int error() {
        if (message.byteSize() < NLMSG_HDRLEN + 4) {
            throw new NetlinkFormatException(Netlink.typeName(type()) + " of " + message.byteSize()
                    + " bytes has no error code");
        }
        return message.get(U32, NLMSG_HDRLEN);
    }

    /**
     * For an {@link Netlink#NLMSG_ERROR} sent with {@link Netlink#NLM_F_ACK_TLVS}: the kernel's error text
     * (NLMSGERR_ATTR_MSG), or null. The attributes follow the echoed request header, and its payload too unless
     * {@link Netlink#NLM_F_CAPPED} is set (Documentation/userspace-api/netlink/intro.rst, "Extended ACK").
     */
    public String errorText() {
        if (type() != Netlink.NLMSG_ERROR || (flags() & Netlink.NLM_F_ACK_TLVS) == 0) {
            return null;
        }
        long echoed = NLMSG_HDRLEN + 4;
        if (message.byteSize() < echoed + NLMSG_HDRLEN) {
            throw new NetlinkFormatException("NLMSG_ERROR of " + message.byteSize() + " bytes has no echoed header");
        }
        long tlvs = echoed + NLMSG_HDRLEN;
        if ((flags() & Netlink.NLM_F_CAPPED) == 0) {
            long echoedLength = Integer.toUnsignedLong(message.get(U32, echoed));
            tlvs = echoed + Netlink.align(echoedLength);
        }
        if (tlvs > message.byteSize()) {
            throw new NetlinkFormatException("NLMSG_ERROR's echoed request runs past its " + message.byteSize()
                    + " bytes");
        }
        return NetlinkAttributes.parse(message.asSlice(tlvs)).string(Netlink.NLMSGERR_ATTR_MSG);
    }

    @Override
    public String toString() {
        return Netlink.typeName(type()) + " len " + length() + " flags 0x" + Integer.toHexString(flags())
                + " seq " + Integer.toUnsignedString(sequence()) + " pid " + Integer.toUnsignedString(portId());
    }
}
