package io.navstar.sys.netlink;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Netlink messages and attributes written and read back, and the errors of ones that do not parse. */
class NetlinkMessagesTest {

    @Test
    void aLinkMessageReadsBackWithItsNameFlagsKindAndAddress() {
        MemorySegment bytes = new NetlinkRequest(Rtnetlink.RTM_NEWLINK, 0)
                .u8(0).u8(0).u16(1).u32(7).u32(Rtnetlink.IFF_UP | 0x1000).u32(0)
                .attribute(Rtnetlink.IFLA_ADDRESS, new byte[] {0x02, 0x42, (byte) 0xac, 0x11, 0x00, (byte) 0xfe})
                .attribute(Rtnetlink.IFLA_IFNAME, "veth7")
                .beginNested(Rtnetlink.IFLA_LINKINFO).attribute(Rtnetlink.IFLA_INFO_KIND, "veth").endNested()
                .finish(42, 99);

        List<NetlinkMessage> messages = NetlinkMessage.split(bytes);
        assertEquals(1, messages.size());
        NetlinkMessage message = messages.getFirst();
        assertEquals(Rtnetlink.RTM_NEWLINK, message.type());
        assertEquals(Netlink.NLM_F_REQUEST, message.flags());
        assertEquals(42, message.sequence());
        assertEquals(99, message.portId());
        assertEquals(new Link(7, "veth7", Rtnetlink.IFF_UP | 0x1000, "veth", "02:42:ac:11:00:fe"), Link.parse(message));
        assertTrue(Link.parse(message).up());
        assertArrayEquals(new byte[] {0x02, 0x42, (byte) 0xac, 0x11, 0x00, (byte) 0xfe}, Link.parse(message).addressBytes());
    }

    @Test
    void anAddressMessageReadsBackPreferringTheLocalAddress() throws Exception {
        byte[] local = InetAddress.getByName("198.51.100.1").getAddress();
        byte[] peer = InetAddress.getByName("198.51.100.254").getAddress();
        MemorySegment bytes = new NetlinkRequest(Rtnetlink.RTM_NEWADDR, 0)
                .u8(2).u8(32).u8(0).u8(0).u32(5)
                .attribute(Rtnetlink.IFA_ADDRESS, peer).attribute(Rtnetlink.IFA_LOCAL, local)
                .finish(1, 0);

        assertEquals(new InterfaceAddress(5, InetAddress.getByName("198.51.100.1"), 32),
                InterfaceAddress.parse(NetlinkMessage.split(bytes).getFirst()));
    }

    @Test
    void severalMessagesOfOneDatagramAreSplitAtTheirAlignedEnds() {
        MemorySegment first = new NetlinkRequest(Rtnetlink.RTM_NEWLINK, 0).u8(1).finish(1, 0);  // 17 bytes
        MemorySegment second = new NetlinkRequest(Netlink.NLMSG_DONE, Netlink.NLM_F_MULTI).u32(0).finish(1, 0);
        MemorySegment datagram = MemorySegment.ofArray(new byte[20 + (int) second.byteSize()]);
        datagram.copyFrom(first);
        datagram.asSlice(20).copyFrom(second);

        List<NetlinkMessage> messages = NetlinkMessage.split(datagram);
        assertEquals(List.of(17, 20), messages.stream().map(NetlinkMessage::length).toList());
        assertEquals(Netlink.NLMSG_DONE, messages.get(1).type());
        assertEquals(0, messages.get(1).error());
    }

    @Test
    void anExtendedAckCarriesTheKernelsText() {
        // NLMSG_ERROR, capped: error, the echoed request header, then NLMSGERR_ATTR_MSG
        MemorySegment bytes = new NetlinkRequest(Netlink.NLMSG_ERROR, Netlink.NLM_F_CAPPED | Netlink.NLM_F_ACK_TLVS)
                .u32(-95)
                .u32(Netlink.NLMSG_HDRLEN + 20).u16(Rtnetlink.RTM_NEWLINK).u16(0x605).u32(3).u32(77)
                .attribute(Netlink.NLMSGERR_ATTR_MSG, "Unknown device type")
                .finish(3, 77);

        NetlinkMessage message = NetlinkMessage.split(bytes).getFirst();
        assertEquals(-95, message.error());
        assertEquals("Unknown device type", message.errorText());
    }

    @Test
    void anUncappedExtendedAckSkipsTheEchoedRequest() {
        MemorySegment bytes = new NetlinkRequest(Netlink.NLMSG_ERROR, Netlink.NLM_F_ACK_TLVS)
                .u32(-22)
                .u32(Netlink.NLMSG_HDRLEN + 5).u16(Rtnetlink.RTM_NEWADDR).u16(0x5).u32(3).u32(77).bytes(new byte[]{1, 2, 3, 4, 5})
                .u8(0).u8(0).u8(0) // the echoed request's padding
                .attribute(Netlink.NLMSGERR_ATTR_MSG, "Invalid prefix length")
                .finish(3, 77);

        assertEquals("Invalid prefix length", NetlinkMessage.split(bytes).getFirst().errorText());
    }

    @Test
    void anAckWithoutAttributesHasNoText() {
        MemorySegment bytes = new NetlinkRequest(Netlink.NLMSG_ERROR, Netlink.NLM_F_CAPPED)
                .u32(0).u32(16).u16(20).u16(5).u32(1).u32(1).finish(1, 1);
        assertNull(NetlinkMessage.split(bytes).getFirst().errorText());
    }

    @Test
    void lengthsThatDoNotFitAreNamedWithTheirOffsets() {
        MemorySegment tooShort = MemorySegment.ofArray(new byte[12]);
        assertEquals("12 bytes at byte 0 are less than the 16-byte netlink message header",
                assertThrows(NetlinkFormatException.class, () -> NetlinkMessage.split(tooShort)).getMessage());

        MemorySegment belowHeader = new NetlinkRequest(16, 0).finish(0, 0);
        belowHeader.set(ValueLayout.JAVA_INT_UNALIGNED, 0, 8);
        assertEquals("nlmsg_len 8 at byte 0 is below the 16-byte header",
                assertThrows(NetlinkFormatException.class, () -> NetlinkMessage.split(belowHeader)).getMessage());

        MemorySegment pastEnd = new NetlinkRequest(16, 0).u32(0).finish(0, 0);
        pastEnd.set(ValueLayout.JAVA_INT_UNALIGNED, 0, 0xffff_fff0);
        assertEquals("nlmsg_len 4294967280 at byte 0 runs past the end of the 20-byte datagram",
                assertThrows(NetlinkFormatException.class, () -> NetlinkMessage.split(pastEnd)).getMessage());

        MemorySegment attributes = MemorySegment.ofArray(new byte[]{8, 0, 3, 0, 'l', 'o', 0, 0, 2, 0, 1, 0});
        assertEquals("nla_len 2 at byte 8 is below the 4-byte attribute header",
                assertThrows(NetlinkFormatException.class, () -> NetlinkAttributes.parse(attributes)).getMessage());

        MemorySegment overlong = MemorySegment.ofArray(new byte[]{9, 0, 3, 0, 'l', 'o', 0, 0});
        assertEquals("nla_len 9 at byte 0 (type 3) runs past the 8 bytes that hold it",
                assertThrows(NetlinkFormatException.class, () -> NetlinkAttributes.parse(overlong)).getMessage());

        MemorySegment leftover = MemorySegment.ofArray(new byte[]{8, 0, 3, 0, 'l', 'o', 0, 0, 1, 2});
        assertEquals("2 bytes left at byte 8 are less than the 4-byte attribute header",
                assertThrows(NetlinkFormatException.class, () -> NetlinkAttributes.parse(leftover)).getMessage());
    }

    @Test
    void aLinkMessageWithoutAHeaderOrANameIsRefused() {
        MemorySegment headerless = new NetlinkRequest(Rtnetlink.RTM_NEWLINK, 0).u32(1).finish(0, 0);
        assertEquals("RTM_NEWLINK payload of 4 bytes is shorter than a 16-byte ifinfomsg",
                assertThrows(NetlinkFormatException.class,
                        () -> Link.parse(NetlinkMessage.split(headerless).getFirst())).getMessage());

        MemorySegment nameless = new NetlinkRequest(Rtnetlink.RTM_DELLINK, 0).u32(0).u32(9).u32(0).u32(0).finish(0, 0);
        assertEquals("RTM_DELLINK of interface 9 has no IFLA_IFNAME",
                assertThrows(NetlinkFormatException.class,
                        () -> Link.parse(NetlinkMessage.split(nameless).getFirst())).getMessage());
    }

    @Test
    void theLastOfTwoAttributesOfOneTypeCounts() {
        MemorySegment bytes = new NetlinkRequest(16, 0).attributeU32(4, 1500).attributeU32(4, 9000).finish(0, 0);
        NetlinkAttributes attributes = NetlinkAttributes.parse(NetlinkMessage.split(bytes).getFirst().payload());
        assertEquals(9000, attributes.u32(4).getAsInt());
        assertEquals(2, attributes.all().size());
    }
}
