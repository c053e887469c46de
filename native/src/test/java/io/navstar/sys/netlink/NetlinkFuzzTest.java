package io.navstar.sys.netlink;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Netlink messages written by {@link NetlinkRequest} and random or damaged bytes, through the parsers. Invariants:
 * <ul>
 *   <li>what is written reads back: message header, fixed header and the attribute tree, nested ones included;</li>
 *   <li>on any bytes the parsers either succeed or throw {@link NetlinkFormatException}, never an out-of-bounds or
 *       other exception, and what they return tiles its input: each message and attribute starts where the
 *       aligned end of the one before it is, and lies inside the bytes that hold it;</li>
 *   <li>a message cut short anywhere is refused, never read as a shorter message;</li>
 *   <li>a link parsed from any bytes has a non-empty name with no NUL, no longer than its message.</li>
 * </ul>
 */
class NetlinkFuzzTest {

    /** An attribute to write: a leaf of bytes, or a nest of attributes. */
    record Attr(int type, byte[] value, List<Attr> nested) {
        static Attr leaf(int type, byte[] value) {
            return new Attr(type, value, null);
        }

        static Attr nest(int type, List<Attr> nested) {
            return new Attr(type, null, nested);
        }
    }

    @Provide
    Arbitrary<List<Attr>> attributeTrees() {
        return tree(3);
    }

    private static Arbitrary<List<Attr>> tree(int depth) {
        Arbitrary<Integer> types = Arbitraries.integers().between(0, Netlink.NLA_TYPE_MASK);
        Arbitrary<Attr> leaves = types.flatMap(type -> Arbitraries.bytes().array(byte[].class).ofMaxSize(70)
                .map(value -> Attr.leaf(type, value)));
        if (depth == 0) {
            return leaves.list().ofMaxSize(5);
        }
        Arbitrary<Attr> nests = types.flatMap(type -> tree(depth - 1).map(children -> Attr.nest(type, children)));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, leaves), net.jqwik.api.Tuple.of(1, nests))
                .list().ofMaxSize(6);
    }

    private static void write(NetlinkRequest request, List<Attr> attributes) {
        for (Attr attribute : attributes) {
            if (attribute.nested() == null) {
                request.attribute(attribute.type(), attribute.value());
            } else {
                request.beginNested(attribute.type());
                write(request, attribute.nested());
                request.endNested();
            }
        }
    }

    private static void assertReadsBack(List<Attr> expected, NetlinkAttributes actual) {
        assertEquals(expected.size(), actual.all().size());
        for (int i = 0; i < expected.size(); i++) {
            Attr want = expected.get(i);
            NetlinkAttributes.Attribute got = actual.all().get(i);
            assertEquals(want.type(), got.type());
            if (want.nested() == null) {
                assertArrayEquals(want.value(), got.value().toArray(ValueLayout.JAVA_BYTE));
            } else {
                assertReadsBack(want.nested(), NetlinkAttributes.parse(got.value()));
            }
        }
    }

    @Property(tries = 400)
    void whatIsWrittenReadsBack(@ForAll("attributeTrees") List<Attr> attributes,
                                @ForAll @IntRange(min = 16, max = 0xffff) int type,
                                @ForAll @IntRange(min = 0, max = 0xffff) int flags,
                                @ForAll @IntRange(min = 0, max = 4) int fixedWords,
                                @ForAll int sequence, @ForAll int portId) {
        NetlinkRequest request = new NetlinkRequest(type, flags);
        for (int i = 0; i < fixedWords; i++) {
            request.u32(0x01020304 * (i + 1));
        }
        write(request, attributes);
        MemorySegment bytes = request.finish(sequence, portId);

        List<NetlinkMessage> messages = NetlinkMessage.split(bytes);
        assertEquals(1, messages.size());
        NetlinkMessage message = messages.getFirst();
        assertEquals(type, message.type());
        assertEquals(flags | Netlink.NLM_F_REQUEST, message.flags());
        assertEquals(sequence, message.sequence());
        assertEquals(portId, message.portId());
        assertEquals(bytes.byteSize(), message.length());
        for (int i = 0; i < fixedWords; i++) {
            assertEquals(0x01020304 * (i + 1), message.payload().get(ValueLayout.JAVA_INT_UNALIGNED, 4L * i));
        }
        assertReadsBack(attributes, NetlinkAttributes.parse(message.payload().asSlice(4L * fixedWords)));
    }

    @Property(tries = 300)
    void aMessageCutShortIsRefusedNeverReadAsAShorterOne(@ForAll("attributeTrees") List<Attr> attributes,
                                                         @ForAll @IntRange(min = 1, max = 10_000) int cutSeed) {
        NetlinkRequest request = new NetlinkRequest(Rtnetlink.RTM_NEWLINK, 0).u32(0).u32(0).u32(0).u32(0);
        write(request, attributes);
        byte[] whole = request.finish(1, 1).toArray(ValueLayout.JAVA_BYTE);
        int cut = cutSeed % whole.length; // 0 .. length-1 bytes kept
        MemorySegment truncated = MemorySegment.ofArray(Arrays.copyOf(whole, cut));
        if (cut == 0) {
            assertTrue(NetlinkMessage.split(truncated).isEmpty());
        } else {
            assertThrows(NetlinkFormatException.class, () -> NetlinkMessage.split(truncated));
        }
    }

    @Property(tries = 1000)
    void anyBytesParseOrAreRefusedAndWhatParsesTilesItsInput(@ForAll @Size(max = 200) byte[] bytes) {
        checkDatagram(MemorySegment.ofArray(bytes));
    }

    @Property(tries = 1000)
    void damagedValidMessagesParseOrAreRefused(@ForAll("attributeTrees") List<Attr> attributes,
                                               @ForAll @Size(min = 1, max = 4) List<@IntRange(min = 0, max = 100_000) Integer> positions,
                                               @ForAll @Size(min = 4, max = 4) byte[] values) {
        NetlinkRequest request = new NetlinkRequest(Rtnetlink.RTM_NEWLINK, 0).u32(0).u32(3).u32(1).u32(0);
        write(request, attributes);
        byte[] bytes = request.finish(1, 0).toArray(ValueLayout.JAVA_BYTE);
        for (int i = 0; i < positions.size(); i++) {
            bytes[positions.get(i) % bytes.length] = values[i];
        }
        checkDatagram(MemorySegment.ofArray(bytes));
    }

    /** Splits, then parses every payload as attributes (nests tried recursively) and as a link. */
    private static void checkDatagram(MemorySegment datagram) {
        List<NetlinkMessage> messages;
        try {
            messages = NetlinkMessage.split(datagram);
        } catch (NetlinkFormatException refused) {
            return;
        }
        long expectedStart = 0;
        for (NetlinkMessage message : messages) {
            assertEquals(expectedStart, offset(datagram, message.bytes()), "messages tile the datagram");
            assertTrue(message.length() >= Netlink.NLMSG_HDRLEN);
            assertTrue(expectedStart + message.length() <= datagram.byteSize(), "message inside the datagram");
            expectedStart += Netlink.align(message.length());
            checkAttributes(message.payload());
            checkLink(message);
        }
        assertTrue(expectedStart >= datagram.byteSize(), "nothing left over");
    }

    private static void checkAttributes(MemorySegment stretch) {
        NetlinkAttributes attributes;
        try {
            attributes = NetlinkAttributes.parse(stretch);
        } catch (NetlinkFormatException refused) {
            return;
        }
        long expectedStart = 0;
        for (NetlinkAttributes.Attribute attribute : attributes.all()) {
            long valueStart = offset(stretch, attribute.value());
            assertEquals(expectedStart + Netlink.NLA_HDRLEN, valueStart, "attributes tile their stretch");
            long end = valueStart + attribute.value().byteSize();
            assertTrue(end <= stretch.byteSize(), "attribute inside its stretch");
            assertTrue(attribute.type() >= 0 && attribute.type() <= Netlink.NLA_TYPE_MASK);
            expectedStart = Netlink.align(end);
            checkAttributes(attribute.value());
        }
        assertTrue(expectedStart >= stretch.byteSize(), "nothing left over");
    }

    /** Where {@code inner} starts inside {@code outer}, both views of one heap array (their addresses are offsets). */
    private static long offset(MemorySegment outer, MemorySegment inner) {
        assertEquals(outer.heapBase().orElseThrow(), inner.heapBase().orElseThrow(), "a view of the same bytes");
        return inner.address() - outer.address();
    }

    private static void checkLink(NetlinkMessage message) {
        Link link;
        try {
            link = Link.parse(message);
        } catch (NetlinkFormatException refused) {
            return;
        }
        assertFalse(link.name().isEmpty());
        assertFalse(link.name().contains("\0"));
        // each char decodes at least one byte (an invalid byte becomes one U+FFFD, which re-encodes as three)
        assertTrue(link.name().length() <= message.length());
        assertTrue(link.addressBytes().length <= message.length());
        try {
            InterfaceAddress.parse(message);
        } catch (NetlinkFormatException refused) {
            // fine: only the exception type is checked here
        }
    }
}
