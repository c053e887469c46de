package io.navstar.loader.btf;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CO-RE resolver against a synthetic target, no kernel needed: a local struct with a {@code ___flavor}
 * whose fields the target has in another order, one inside an anonymous union, bitfields at other bit offsets
 * (one straddling a byte so the load must widen), a field that shrank, arrays, enums, and what is missing.
 */
class CoreRelocatorTest {

    // ---------------------------------------------------------------- the object's ("local") types

    private final BtfBuilder localBuilder = new BtfBuilder();
    private final int lU8 = localBuilder.integer("__u8", 1, 8, false);
    private final int lU32 = localBuilder.integer("__u32", 4, 32, false);
    private final int lS32 = localBuilder.integer("int", 4, 32, true);
    /** struct skb___test { __u32 len; __u8 pkt_type:3; __u8 ip_summed:2; __u32 mark; int prio; __u32 count;
     * __u32 absent; } */
    private final int lSkb = struct(localBuilder, "skb___test", 28,
            member(localBuilder, "len", lU32, 0, 0),
            member(localBuilder, "pkt_type", lU8, 32, 3),
            member(localBuilder, "ip_summed", lU8, 35, 2),
            member(localBuilder, "mark", lU32, 64, 0),
            member(localBuilder, "prio", lS32, 96, 0),
            member(localBuilder, "count", lU32, 128, 0),
            member(localBuilder, "absent", lU32, 160, 0));
    private final int lIndex = localBuilder.integer("__ARRAY_SIZE_TYPE__", 4, 32, false);
    private final int lArray = localBuilder.add("", BtfKind.ARRAY, 0, false, 0, lU32, lIndex, 4);
    /** struct table___v2 { __u32 slots[4]; } */
    private final int lTable = struct(localBuilder, "table___v2", 16, member(localBuilder, "slots", lArray, 0, 0));
    /** enum verdict___old { PASS = 1, DROP = 2, REDIRECT = 3 } */
    private final int lEnum = localBuilder.add("verdict___old", BtfKind.ENUM, 3, false, 4,
            localBuilder.string("PASS"), 1, localBuilder.string("DROP"), 2, localBuilder.string("REDIRECT"), 3);
    /** struct gone { __u32 x; }: no such type in the target. */
    private final int lGone = struct(localBuilder, "gone", 4, member(localBuilder, "x", lU32, 0, 0));
    private final Btf local = Btf.parse(localBuilder.build());

    // ---------------------------------------------------------------- the target's types

    private final BtfBuilder targetBuilder = new BtfBuilder();
    private final int tU8 = targetBuilder.integer("u8", 1, 8, false);
    private final int tU16 = targetBuilder.integer("u16", 2, 16, false);
    private final int tU32 = targetBuilder.integer("u32", 4, 32, false);
    private final int tS32 = targetBuilder.integer("int", 4, 32, true);
    private final int tU64 = targetBuilder.integer("u64", 8, 64, false);
    /** union { u32 mark; u32 reserved_tailroom; } */
    private final int tUnion = targetBuilder.add("", BtfKind.UNION, 2, false, 4,
            member(targetBuilder, "mark", tU32, 0, 0)[0], tU32, 0,
            member(targetBuilder, "reserved_tailroom", tU32, 0, 0)[0], tU32, 0);
    /**
     * struct skb { u64 next; union {mark; ...}; u32 len; u8 :5 pad; u8 ip_summed:2 @133; u8 pkt_type:3 @134
     * (straddles bytes 16 and 17); int prio @160; u16 count @192; }
     */
    private final int tSkb = struct(targetBuilder, "skb", 32,
            member(targetBuilder, "next", tU64, 0, 0),
            new int[] {0, tUnion, 64},
            member(targetBuilder, "len", tU32, 96, 0),
            member(targetBuilder, "ip_summed", tU8, 133, 2),
            member(targetBuilder, "pkt_type", tU8, 135, 3),
            member(targetBuilder, "prio", tS32, 160, 0),
            member(targetBuilder, "count", tU16, 192, 0));
    private final int tIndex = targetBuilder.integer("__ARRAY_SIZE_TYPE__", 4, 32, false);
    private final int tArray = targetBuilder.add("", BtfKind.ARRAY, 0, false, 0, tU32, tIndex, 8);
    /** struct table { u64 generation; u32 slots[8]; } */
    private final int tTable = struct(targetBuilder, "table", 40, member(targetBuilder, "generation", tU64, 0, 0),
            member(targetBuilder, "slots", tArray, 64, 0));
    /** enum verdict { DROP = 20, PASS = 10 } (REDIRECT is gone) */
    private final int tEnum = targetBuilder.add("verdict", BtfKind.ENUM, 2, false, 4,
            targetBuilder.string("DROP"), 20, targetBuilder.string("PASS"), 10);
    private final Btf target = Btf.parse(targetBuilder.build());

    private final CoreRelocator relocator = new CoreRelocator(local, target);

    private long value(int type, String access, CoreRelocation.Kind kind) {
        return relocator.resolve(new CoreRelocation(0, type, access, kind)).targetValue();
    }

    @Test
    void movesPlainFieldsToWhereTheTargetHasThemThroughAnonymousUnions() {
        assertEquals(12, value(lSkb, "0:0", CoreRelocation.Kind.FIELD_BYTE_OFFSET), "len");
        assertEquals(8, value(lSkb, "0:3", CoreRelocation.Kind.FIELD_BYTE_OFFSET), "mark, inside the anonymous union");
        assertEquals(4, value(lSkb, "0:3", CoreRelocation.Kind.FIELD_BYTE_SIZE));
        assertEquals(20, value(lSkb, "0:4", CoreRelocation.Kind.FIELD_BYTE_OFFSET), "prio");
        assertEquals(1, value(lSkb, "0:4", CoreRelocation.Kind.FIELD_SIGNED), "int is signed");
        assertEquals(0, value(lSkb, "0:0", CoreRelocation.Kind.FIELD_SIGNED), "u32 is not");
        assertEquals(32 + 12, value(lSkb, "1:0", CoreRelocation.Kind.FIELD_BYTE_OFFSET),
                "the first index steps over whole target structs");
    }

    @Test
    void resolvesBitfieldsAtOtherBitOffsetsForBpfCoreReadBitfield() {
        // ip_summed at bits 133..134: one byte at offset 16, shifted left 64 - (133 + 2 - 128) = 57, right 62.
        assertEquals(16, value(lSkb, "0:2", CoreRelocation.Kind.FIELD_BYTE_OFFSET));
        assertEquals(1, value(lSkb, "0:2", CoreRelocation.Kind.FIELD_BYTE_SIZE));
        assertEquals(57, value(lSkb, "0:2", CoreRelocation.Kind.FIELD_LSHIFT_U64));
        assertEquals(62, value(lSkb, "0:2", CoreRelocation.Kind.FIELD_RSHIFT_U64));
        // pkt_type at bits 135..137 straddles bytes 16 and 17: a 2-byte load at 16, left 64 - 10, right 61.
        assertEquals(16, value(lSkb, "0:1", CoreRelocation.Kind.FIELD_BYTE_OFFSET));
        assertEquals(2, value(lSkb, "0:1", CoreRelocation.Kind.FIELD_BYTE_SIZE));
        assertEquals(54, value(lSkb, "0:1", CoreRelocation.Kind.FIELD_LSHIFT_U64));
        assertEquals(61, value(lSkb, "0:1", CoreRelocation.Kind.FIELD_RSHIFT_U64));
        // What BPF_CORE_READ_BITFIELD then computes from a little-endian load of those bytes:
        long pktType = 5;
        long ipSummed = 3;
        long loaded = ipSummed << (133 - 128) | pktType << (135 - 128);     // the 2 bytes at offset 16
        assertEquals(pktType, (loaded << 54) >>> 61);
        assertEquals(ipSummed, ((loaded & 0xff) << 57) >>> 62);
    }

    @Test
    void existsKindsAnswerZeroWhenTheTargetLacksTheFieldTypeOrValue() {
        assertEquals(1, value(lSkb, "0:3", CoreRelocation.Kind.FIELD_EXISTS));
        CoreRelocator.Resolution absent = relocator.resolve(new CoreRelocation(0, lSkb, "0:6",
                CoreRelocation.Kind.FIELD_EXISTS));
        assertFalse(absent.found());
        assertEquals(0, absent.targetValue());
        assertEquals(1, absent.localValue());
        assertEquals(0, value(lGone, "0", CoreRelocation.Kind.TYPE_EXISTS));
        assertEquals(1, value(lSkb, "0", CoreRelocation.Kind.TYPE_EXISTS));
        assertEquals(0, value(lEnum, "2", CoreRelocation.Kind.ENUMVAL_EXISTS), "REDIRECT is gone");
        assertEquals(1, value(lEnum, "1", CoreRelocation.Kind.ENUMVAL_EXISTS));
    }

    @Test
    void resolvesTypesEnumValuesAndArrayElements() {
        assertEquals(tSkb, value(lSkb, "0", CoreRelocation.Kind.TYPE_ID_TARGET));
        assertEquals(lSkb, value(lSkb, "0", CoreRelocation.Kind.TYPE_ID_LOCAL));
        assertEquals(32, value(lSkb, "0", CoreRelocation.Kind.TYPE_SIZE));
        assertEquals(0, value(lSkb, "0", CoreRelocation.Kind.TYPE_MATCHES),
                "skb___test has 'absent', which skb lacks: the layouts do not match");
        assertEquals(1, value(lTable, "0", CoreRelocation.Kind.TYPE_MATCHES));
        assertEquals(10, value(lEnum, "0", CoreRelocation.Kind.ENUMVAL_VALUE), "PASS");
        assertEquals(20, value(lEnum, "1", CoreRelocation.Kind.ENUMVAL_VALUE), "DROP");
        assertEquals(8 + 2 * 4, value(lTable, "0:0:2", CoreRelocation.Kind.FIELD_BYTE_OFFSET), "slots[2]");
        assertEquals(4, value(lTable, "0:0:2", CoreRelocation.Kind.FIELD_BYTE_SIZE));
        assertEquals(32, value(lTable, "0:0", CoreRelocation.Kind.FIELD_BYTE_SIZE), "slots: 8 u32 in the target");
    }

    @Test
    void missingFieldOrTypeIsAnErrorNamingTypeAndAccess() {
        CoreRelocationException field = assertThrows(CoreRelocationException.class,
                () -> value(lSkb, "0:6", CoreRelocation.Kind.FIELD_BYTE_OFFSET));
        assertEquals("FIELD_BYTE_OFFSET of struct skb___test (type " + lSkb + "), access \"0:6\" = skb___test.absent:"
                + " no field of that name and kind in the target's struct skb (type ids [" + tSkb + "])",
                field.getMessage());
        CoreRelocationException type = assertThrows(CoreRelocationException.class,
                () -> value(lGone, "0:0", CoreRelocation.Kind.FIELD_BYTE_OFFSET));
        assertTrue(type.getMessage().endsWith("access \"0:0\" = gone.x: the target has no struct named gone"),
                type.getMessage());
        CoreRelocationException value = assertThrows(CoreRelocationException.class,
                () -> value(lEnum, "2", CoreRelocation.Kind.ENUMVAL_VALUE));
        assertTrue(value.getMessage().contains("the target has no enumerator REDIRECT"), value.getMessage());
        assertThrows(CoreRelocationException.class, () -> value(lGone, "0", CoreRelocation.Kind.TYPE_SIZE));
    }

    @Test
    void malformedAccessStringsAreErrorsNotCrashes() {
        for (String bad : List.of("", "0:", ":1", "0:x", "0:-1", "0:1:2:3:4", "0:99", "99999999999", "0:0:9")) {
            assertThrows(CoreRelocationException.class,
                    () -> value(lSkb, bad, CoreRelocation.Kind.FIELD_BYTE_OFFSET), bad);
        }
        assertThrows(CoreRelocationException.class, () -> value(lSkb, "0:1", CoreRelocation.Kind.TYPE_SIZE),
                "a type relocation's access is \"0\"");
        assertThrows(CoreRelocationException.class, () -> value(9999, "0", CoreRelocation.Kind.TYPE_SIZE));
    }

    @Test
    void patchesImmediatesOffsetsAndLdImm64AndResizesAShrunkUnsignedLoad() {
        byte[] code = new byte[6 * 8];
        ByteBuffer b = ByteBuffer.wrap(code).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) 0xb7).putInt(4, 8);               // r1 = 8 (mov imm): byte offset of mark here
        b.put(8, (byte) 0x61).put(9, (byte) 0x21).putShort(10, (short) 0); // r1 = *(u32 *)(r2 + 0): len
        b.put(16, (byte) 0x61).put(17, (byte) 0x21).putShort(18, (short) 16); // r1 = *(u32 *)(r2 + 16): count
        b.put(24, (byte) 0x18).putInt(28, 28);             // r1 = 28 ll: sizeof(struct skb___test)
        b.put(40, (byte) 0x95);                            // exit
        byte[] patched = relocator.apply("prog", code, List.of(
                new CoreRelocation(0, lSkb, "0:3", CoreRelocation.Kind.FIELD_BYTE_OFFSET),
                new CoreRelocation(1, lSkb, "0:0", CoreRelocation.Kind.FIELD_BYTE_OFFSET),
                new CoreRelocation(2, lSkb, "0:5", CoreRelocation.Kind.FIELD_BYTE_OFFSET),
                new CoreRelocation(3, lSkb, "0", CoreRelocation.Kind.TYPE_SIZE)));
        ByteBuffer p = ByteBuffer.wrap(patched).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(8, p.getInt(4), "mov imm: mark at 8");
        assertEquals(12, p.getShort(10), "ldx off: len at 12");
        assertEquals(0x61, p.get(8) & 0xff, "len is u32 on both sides: width kept");
        assertEquals(24, p.getShort(18), "ldx off: count at 24");
        assertEquals(0x69, p.get(16) & 0xff, "count shrank to u16: the load became BPF_H");
        assertEquals(32, p.getInt(28), "ld_imm64 low word");
        assertEquals(0, p.getInt(36), "ld_imm64 high word");
        assertEquals(8, ByteBuffer.wrap(code).order(ByteOrder.LITTLE_ENDIAN).getInt(4), "input left alone");
    }

    @Test
    void refusesAnInstructionThatDoesNotHoldTheLocalValue() {
        byte[] code = new byte[8];
        code[0] = (byte) 0xb7;
        code[4] = 5; // mov r0 = 5, but mark is at local offset 8
        CoreRelocationException e = assertThrows(CoreRelocationException.class, () -> relocator.apply("prog", code,
                List.of(new CoreRelocation(0, lSkb, "0:3", CoreRelocation.Kind.FIELD_BYTE_OFFSET))));
        assertEquals("program prog: CO-RE relocation at instruction 0: FIELD_BYTE_OFFSET of struct skb___test (type "
                + lSkb + "), access \"0:3\" = skb___test.mark: the instruction holds 5 where the object's own BTF"
                + " gives 8 (relocation and instruction disagree)", e.getMessage());
        CoreRelocationException outside = assertThrows(CoreRelocationException.class, () -> relocator.apply("prog",
                code, List.of(new CoreRelocation(7, lSkb, "0:3", CoreRelocation.Kind.FIELD_BYTE_OFFSET))));
        assertTrue(outside.getMessage().contains("outside the program's 1 instructions"), outside.getMessage());
        assertThrows(CoreRelocationException.class, () -> relocator.apply("prog", code, List.of(
                new CoreRelocation(400_000_000, lSkb, "0:3", CoreRelocation.Kind.FIELD_BYTE_OFFSET))),
                "an index whose byte offset overflows an int");
        byte[] jump = {0x05, 0, 0, 0, 8, 0, 0, 0};
        CoreRelocationException notPatchable = assertThrows(CoreRelocationException.class, () -> relocator.apply(
                "prog", jump, List.of(new CoreRelocation(0, lSkb, "0:3", CoreRelocation.Kind.FIELD_BYTE_OFFSET))));
        assertTrue(notPatchable.getMessage().contains("is not one CO-RE patches"), notPatchable.getMessage());
    }

    @Test
    void essentialNameDropsTheFlavor() {
        assertEquals("sk_buff", CoreRelocator.essentialName("sk_buff___navstar"));
        assertEquals("sk_buff", CoreRelocator.essentialName("sk_buff"));
        assertEquals("a", CoreRelocator.essentialName("a___b___c"));
        assertEquals("___x", CoreRelocator.essentialName("___x"));
    }

    // ---------------------------------------------------------------- building BTF

    /** A member's three words (name, type, offset); bitfields use the kind_flag encoding (size << 24 | offset). */
    private static int[] member(BtfBuilder builder, String name, int type, int bitOffset, int bitSize) {
        return new int[] {builder.string(name), type, bitSize << 24 | bitOffset};
    }

    /** A struct with kind_flag set (so bitfield sizes are in the members). */
    private static int struct(BtfBuilder builder, String name, int size, int[]... members) {
        int[] words = new int[members.length * 3];
        for (int i = 0; i < members.length; i++) {
            System.arraycopy(members[i], 0, words, 3 * i, 3);
        }
        return builder.add(name, BtfKind.STRUCT, members.length, true, size, words);
    }
}
