package io.navstar.sys.netlink;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;

/**
 * A network interface as an RTM_NEWLINK or RTM_DELLINK message describes it (rtnetlink(7)): its index, name,
 * {@code IFF_*} flags, for virtual ones kind ("veth", "dummy", "bridge"; empty for physical devices), and its hardware
 * address (IFLA_ADDRESS) as colon-separated hex bytes, empty when the message carries none.
 *
 * <pre>
 * struct ifinfomsg {
 *     unsigned char  ifi_family;   unsigned char __ifi_pad;  unsigned short ifi_type;
 *     int            ifi_index;    unsigned int  ifi_flags;  unsigned int   ifi_change;
 * };  followed by IFLA_* attributes; IFLA_LINKINFO nests IFLA_INFO_KIND
 * </pre>
 */
public record Link(int index, String name, int flags, String kind, String address) {
    /** sizeof(struct ifinfomsg). */
    public static final int IFINFOMSG_SIZE = 16;

    private static final HexFormat MAC = HexFormat.ofDelimiter(":");

    /** A link whose hardware address is not known. */
    public Link(int index, String name, int flags, String kind) {
        this(index, name, flags, kind, "");
    }

    /** The hardware address's bytes (none when unknown). */
    public byte[] addressBytes() {
        return address.isEmpty() ? new byte[0] : MAC.parseHex(address);
    }

    /** True when the administrator set it up (IFF_UP). */
    public boolean up() {
        return (flags & Rtnetlink.IFF_UP) != 0;
    }

    /**
     * ifi_family of a link message: AF_UNSPEC for the interface itself; AF_BRIDGE (and others) for a protocol's
     * view of it, such as a bridge port leaving its bridge, which is sent as an RTM_DELLINK too.
     *
     * @throws NetlinkFormatException when the payload is shorter than an ifinfomsg
     */
    public static int family(NetlinkMessage message) {
        return Byte.toUnsignedInt(ifinfomsg(message).get(ValueLayout.JAVA_BYTE, 0));
    }

    /**
     * The link an RTM_NEWLINK or RTM_DELLINK message describes.
     *
     * @throws NetlinkFormatException when it is shorter than an ifinfomsg, its attributes do not parse, or it
     *                                names no interface (IFLA_IFNAME)
     */
    public static Link parse(NetlinkMessage message) {
        MemorySegment header = ifinfomsg(message);
        int index = header.get(ValueLayout.JAVA_INT_UNALIGNED, 4);
        int flags = header.get(ValueLayout.JAVA_INT_UNALIGNED, 8);
        NetlinkAttributes attributes = NetlinkAttributes.parse(message.payload().asSlice(IFINFOMSG_SIZE));
        String name = attributes.string(Rtnetlink.IFLA_IFNAME);
        if (name == null || name.isEmpty()) {
            throw new NetlinkFormatException(Rtnetlink.messageName(message.type()) + " of interface " + index
                    + " has no IFLA_IFNAME");
        }
        String kind = attributes.nested(Rtnetlink.IFLA_LINKINFO).string(Rtnetlink.IFLA_INFO_KIND);
        MemorySegment address = attributes.value(Rtnetlink.IFLA_ADDRESS);
        return new Link(index, name, flags, kind == null ? "" : kind,
                address == null ? "" : MAC.formatHex(address.toArray(ValueLayout.JAVA_BYTE)));
    }

    private static MemorySegment ifinfomsg(NetlinkMessage message) {
        MemorySegment payload = message.payload();
        if (payload.byteSize() < IFINFOMSG_SIZE) {
            throw new NetlinkFormatException(Rtnetlink.messageName(message.type()) + " payload of "
                    + payload.byteSize() + " bytes is shorter than a " + IFINFOMSG_SIZE + "-byte ifinfomsg");
        }
        return payload;
    }
}
