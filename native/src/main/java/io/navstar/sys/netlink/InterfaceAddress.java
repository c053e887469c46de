package io.navstar.sys.netlink;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An address of an interface, as RTM_NEWADDR describes it (rtnetlink(7)): the interface's index, the address
 * (IFA_LOCAL, or IFA_ADDRESS when there is no local one) and its prefix length.
 *
 * <pre>
 * struct ifaddrmsg {
 *     __u8 ifa_family; __u8 ifa_prefixlen; __u8 ifa_flags; __u8 ifa_scope; __u32 ifa_index;
 * };  followed by IFA_* attributes
 * </pre>
 */
public record InterfaceAddress(int index, InetAddress address, int prefixLength) {
    /** sizeof(struct ifaddrmsg). */
    public static final int IFADDRMSG_SIZE = 8;

    /**
     * The address an RTM_NEWADDR message describes.
     *
     * @throws NetlinkFormatException when it is shorter than an ifaddrmsg, its attributes do not parse, or its
     *                                address is missing or not 4 or 16 bytes
     */
    public static InterfaceAddress parse(NetlinkMessage message) {
        MemorySegment payload = message.payload();
        if (payload.byteSize() < IFADDRMSG_SIZE) {
            throw new NetlinkFormatException("RTM_NEWADDR payload of " + payload.byteSize()
                    + " bytes is shorter than an " + IFADDRMSG_SIZE + "-byte ifaddrmsg");
        }
        int prefixLength = Byte.toUnsignedInt(payload.get(ValueLayout.JAVA_BYTE, 1));
        int index = payload.get(ValueLayout.JAVA_INT_UNALIGNED, 4);
        NetlinkAttributes attributes = NetlinkAttributes.parse(payload.asSlice(IFADDRMSG_SIZE));
        MemorySegment address = attributes.value(Rtnetlink.IFA_LOCAL);
        if (address == null) {
            address = attributes.value(Rtnetlink.IFA_ADDRESS);
        }
        if (address == null || (address.byteSize() != 4 && address.byteSize() != 16)) {
            throw new NetlinkFormatException("RTM_NEWADDR for interface " + index + " carries "
                    + (address == null ? "no address" : "an address of " + address.byteSize() + " bytes"));
        }
        try {
            return new InterfaceAddress(index, InetAddress.getByAddress(address.toArray(ValueLayout.JAVA_BYTE)),
                    prefixLength);
        } catch (UnknownHostException e) {
            throw new AssertionError(e); // only for lengths other than 4 and 16
        }
    }
}
