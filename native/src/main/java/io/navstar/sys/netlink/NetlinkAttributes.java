package io.navstar.sys.netlink;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalInt;

import static io.navstar.sys.netlink.Netlink.NLA_HDRLEN;

/**
 * The attributes ({@code struct nlattr} type-length-value triples, RFC 3549 §2.3.2.1) of a stretch of a netlink
 * message, parsed with every {@code nla_len} checked: at least the 4-byte header, inside the stretch, the next
 * attribute at NLA_ALIGN of the previous one, and nothing but that padding after the last. Where a type occurs
 * twice the last one counts, as in the kernel's nla_parse.
 *
 * <p>Values are views into the message: valid as long as its bytes are. Immutable.
 */
public final class NetlinkAttributes {
    private static final NetlinkAttributes NONE = new NetlinkAttributes(List.of());

    /** One attribute: its type (flags masked off), whether NLA_F_NESTED was set, and its value's bytes. */
    public record Attribute(int type, boolean nestedFlag, MemorySegment value) {
    }

    private final List<Attribute> attributes;

    private NetlinkAttributes(List<Attribute> attributes) {
        this.attributes = attributes;
    }

    /**
     * Parses {@code stretch} as a sequence of attributes.
     *
     * @throws NetlinkFormatException naming the length and offset (within the stretch) that do not fit
     */
    public static NetlinkAttributes parse(MemorySegment stretch) {
        long size = stretch.byteSize();
        if (size == 0) {
            return NONE;
        }
        List<Attribute> attributes = new ArrayList<>();
        long at = 0;
        while (at < size) {
            long left = size - at;
            if (left < NLA_HDRLEN) {
                throw new NetlinkFormatException(left + " bytes left at byte " + at + " are less than the "
                        + NLA_HDRLEN + "-byte attribute header");
            }
            int length = Short.toUnsignedInt(stretch.get(ValueLayout.JAVA_SHORT_UNALIGNED, at));
            int type = Short.toUnsignedInt(stretch.get(ValueLayout.JAVA_SHORT_UNALIGNED, at + 2));
            if (length < NLA_HDRLEN) {
                throw new NetlinkFormatException("nla_len " + length + " at byte " + at + " is below the "
                        + NLA_HDRLEN + "-byte attribute header");
            }
            if (length > left) {
                throw new NetlinkFormatException("nla_len " + length + " at byte " + at + " (type " + (type & Netlink.NLA_TYPE_MASK)
                        + ") runs past the " + size + " bytes that hold it");
            }
            attributes.add(new Attribute(type & Netlink.NLA_TYPE_MASK, (type & Netlink.NLA_F_NESTED) != 0,
                    stretch.asSlice(at + NLA_HDRLEN, length - NLA_HDRLEN)));
            at += Netlink.align(length);
        }
        return new NetlinkAttributes(Collections.unmodifiableList(attributes));
    }

    /** Every attribute, in order. */
    public List<Attribute> all() {
        return attributes;
    }

    /** The value of the last attribute of {@code type}, or null. */
    public MemorySegment value(int type) {
        for (int i = attributes.size() - 1; i >= 0; i--) {
            if (attributes.get(i).type() == type) {
                return attributes.get(i).value();
            }
        }
        return null;
    }

    /** True when an attribute of {@code type} is present. */
    public boolean has(int type) {
        return value(type) != null;
    }

    /**
     * A string attribute (NLA_STRING or NLA_NUL_STRING): its bytes up to the first NUL or its end, as UTF-8;
     * null when absent.
     */
    public String string(int type) {
        MemorySegment value = value(type);
        if (value == null) {
            return null;
        }
        int end = 0;
        while (end < value.byteSize() && value.get(ValueLayout.JAVA_BYTE, end) != 0) {
            end++;
        }
        return new String(value.asSlice(0, end).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    /**
     * A u32 attribute in host order; empty when absent.
     *
     * @throws NetlinkFormatException when its value is not 4 bytes
     */
    public OptionalInt u32(int type) {
        MemorySegment value = value(type);
        if (value == null) {
            return OptionalInt.empty();
        }
        if (value.byteSize() != 4) {
            throw new NetlinkFormatException("attribute " + type + " holds " + value.byteSize() + " bytes, not a u32");
        }
        return OptionalInt.of(value.get(ValueLayout.JAVA_INT_UNALIGNED, 0));
    }

    /** The attributes nested in attribute {@code type}; none when it is absent. */
    public NetlinkAttributes nested(int type) {
        MemorySegment value = value(type);
        return value == null ? NONE : parse(value);
    }
}
