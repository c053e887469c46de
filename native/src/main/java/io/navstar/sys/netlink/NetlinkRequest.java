package io.navstar.sys.netlink;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

import static io.navstar.sys.netlink.Netlink.NLA_HDRLEN;
import static io.navstar.sys.netlink.Netlink.NLMSG_HDRLEN;

/**
 * A netlink request being written: the {@code struct nlmsghdr}, then the protocol's fixed header (written field by
 * field with {@link #u8}, {@link #u16}, {@link #u32}), then attributes, nested ones between {@link #beginNested}
 * and {@link #endNested}. Every attribute starts NLA_ALIGNed and is padded with zeros, as nla_put does; the sending
 * socket fills in nlmsg_len, nlmsg_seq and nlmsg_pid ({@link #finish}).
 *
 * <p>Host byte order throughout, as netlink wants. Not thread-safe: one request, one writer.
 */
public final class NetlinkRequest {
    private final int type;
    private final int flags;
    private byte[] bytes = new byte[128];
    private MemorySegment segment = MemorySegment.ofArray(bytes);
    private int length;
    private final Deque<Integer> openNests = new ArrayDeque<>();

    /** A request of message {@code type} with {@code flags} ({@link Netlink#NLM_F_REQUEST} is added). */
    public NetlinkRequest(int type, int flags) {
        this.type = type;
        this.flags = flags | Netlink.NLM_F_REQUEST;
        u32(0);                 // nlmsg_len: set by finish
        u16(type);
        u16(this.flags);
        u32(0);                 // nlmsg_seq
        u32(0);                 // nlmsg_pid
    }

    public int type() {
        return type;
    }

    public int flags() {
        return flags;
    }

    /** Bytes written so far. */
    public int length() {
        return length;
    }

    public NetlinkRequest u8(int value) {
        ensure(1);
        segment.set(ValueLayout.JAVA_BYTE, length, (byte) value);
        length += 1;
        return this;
    }

    public NetlinkRequest u16(int value) {
        ensure(2);
        segment.set(ValueLayout.JAVA_SHORT_UNALIGNED, length, (short) value);
        length += 2;
        return this;
    }

    public NetlinkRequest u32(int value) {
        ensure(4);
        segment.set(ValueLayout.JAVA_INT_UNALIGNED, length, value);
        length += 4;
        return this;
    }

    public NetlinkRequest bytes(byte[] value) {
        ensure(value.length);
        System.arraycopy(value, 0, bytes, length, value.length);
        length += value.length;
        return this;
    }

    /** An attribute holding {@code value} (at most 65531 bytes). */
    public NetlinkRequest attribute(int attributeType, byte[] value) {
        if (value.length > 0xffff - NLA_HDRLEN) {
            throw new IllegalArgumentException("attribute " + attributeType + " of " + value.length
                    + " bytes does not fit nla_len");
        }
        pad();
        u16(NLA_HDRLEN + value.length);
        u16(attributeType);
        bytes(value);
        pad();
        return this;
    }

    /** A NUL-terminated string attribute (NLA_NUL_STRING, as IFLA_IFNAME and IFLA_INFO_KIND are sent). */
    public NetlinkRequest attribute(int attributeType, String value) {
        byte[] text = value.getBytes(StandardCharsets.UTF_8);
        return attribute(attributeType, Arrays.copyOf(text, text.length + 1));
    }

    /** A u32 attribute in host order. */
    public NetlinkRequest attributeU32(int attributeType, int value) {
        byte[] four = new byte[4];
        MemorySegment.ofArray(four).set(ValueLayout.JAVA_INT_UNALIGNED, 0, value);
        return attribute(attributeType, four);
    }

    /** Opens a nested attribute; its length is set by the matching {@link #endNested}. */
    public NetlinkRequest beginNested(int attributeType) {
        pad();
        openNests.push(length);
        u16(0);
        u16(attributeType);
        return this;
    }

    /** Closes the innermost nested attribute. */
    public NetlinkRequest endNested() {
        if (openNests.isEmpty()) {
            throw new IllegalStateException("endNested without beginNested");
        }
        int start = openNests.pop();
        int nestLength = length - start;
        if (nestLength > 0xffff) {
            throw new IllegalArgumentException("nested attribute of " + nestLength + " bytes does not fit nla_len");
        }
        segment.set(ValueLayout.JAVA_SHORT_UNALIGNED, start, (short) nestLength);
        return this;
    }

    /**
     * The finished message: nlmsg_len, nlmsg_seq and nlmsg_pid set. The returned heap segment is a copy;
     * this request may be finished again with another sequence number.
     */
    public MemorySegment finish(int sequence, int portId) {
        if (!openNests.isEmpty()) {
            throw new IllegalStateException(openNests.size() + " nested attributes left open");
        }
        segment.set(ValueLayout.JAVA_INT_UNALIGNED, 0, length);
        segment.set(ValueLayout.JAVA_INT_UNALIGNED, 8, sequence);
        segment.set(ValueLayout.JAVA_INT_UNALIGNED, 12, portId);
        return MemorySegment.ofArray(Arrays.copyOf(bytes, length));
    }

    /** Zeros up to the next 4-byte boundary. */
    private void pad() {
        int aligned = (int) Netlink.align(length);
        ensure(aligned - length);
        length = aligned; // the array is zeroed and never rewritten below length
    }

    private void ensure(int more) {
        if (length + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
            segment = MemorySegment.ofArray(bytes);
        }
        if ((long) length + more > Integer.MAX_VALUE - NLMSG_HDRLEN) {
            throw new IllegalStateException("netlink request too large");
        }
    }
}
