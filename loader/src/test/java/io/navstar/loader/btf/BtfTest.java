package io.navstar.loader.btf;

import io.navstar.loader.elf.ElfObjectReader;
import io.navstar.loader.elf.TestObjects;
import io.navstar.loader.spec.MapSpec;
import io.navstar.loader.spec.ObjectSpec;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The BTF type model: struct layouts against offsets computed by hand from the C of bpf/test, the kinds
 * clang emits on request (FLOAT, DECL_TAG, TYPE_TAG), hand-written blobs for ENUM64 and for faults
 * (loops, dangling ids and strings, bad headers), and the descriptions the {@code make run} tour prints.
 */
class BtfTest {

    private static final ObjectSpec MAPS = new ElfObjectReader().read(TestObjects.bytes(TestObjects.MAPS), "maps");
    private static final ObjectSpec DATA = new ElfObjectReader().read(TestObjects.bytes(TestObjects.DATA), "data");

    @Test
    void laysOutStructBackendAsTheCDoes() {
        // struct backend { __u32 ip; __u16 port; __u8 proto; __u8 pad; __u32 weight; }: 0, 4, 6, 7, 8; size 12.
        BtfStruct backend = MAPS.btf().struct("backend").orElseThrow();
        assertEquals(12, backend.size());
        assertFalse(backend.union());
        assertMember(backend, "ip", 0, 4);
        assertMember(backend, "port", 4, 2);
        assertMember(backend, "proto", 6, 1);
        assertMember(backend, "pad", 7, 1);
        assertMember(backend, "weight", 8, 4);
        assertEquals(List.of("ip", "port", "proto", "pad", "weight"),
                backend.members().stream().map(BtfStruct.Member::name).toList());
    }

    @Test
    void countsTailPaddingInTheStructSize() {
        // struct flow_key { u32 saddr; u32 daddr; u16 sport; u16 dport; u8 proto; }: 13 bytes used, size 16.
        BtfStruct key = MAPS.btf().struct("flow_key").orElseThrow();
        assertEquals(16, key.size());
        assertMember(key, "sport", 8, 2);
        assertMember(key, "dport", 10, 2);
        assertMember(key, "proto", 12, 1);
        // struct lpm_v4_key { u32 prefixlen; u8 addr[4]; }: array member of 4 bytes at 4.
        BtfStruct lpm = MAPS.btf().struct("lpm_v4_key").orElseThrow();
        assertEquals(8, lpm.size());
        assertMember(lpm, "addr", 4, 4);
    }

    @Test
    void flagsBitFieldsWithTheirBitOffsetsAndWidths() {
        // struct bits { u32 enabled:1; u32 mode:3; u32 count:28; u64 total; }: one u32 unit, total at 8; size 16.
        BtfStruct bits = MAPS.btf().struct("bits").orElseThrow();
        assertEquals(16, bits.size());
        BtfStruct.Member enabled = bits.member("enabled").orElseThrow();
        BtfStruct.Member mode = bits.member("mode").orElseThrow();
        BtfStruct.Member count = bits.member("count").orElseThrow();
        assertTrue(enabled.bitField() && mode.bitField() && count.bitField());
        assertEquals(List.of(0L, 1L, 4L), List.of(enabled.bitOffset(), mode.bitOffset(), count.bitOffset()));
        assertEquals(List.of(1, 3, 28), List.of(enabled.bitSize(), mode.bitSize(), count.bitSize()));
        assertEquals(0, count.byteOffset());
        BtfStruct.Member total = bits.member("total").orElseThrow();
        assertFalse(total.bitField());
        assertEquals(8, total.byteOffset());
        assertEquals(8, total.byteSize());
    }

    @Test
    void readsFloatDeclTagAndTypeTagKinds() {
        Btf btf = DATA.btf();
        // struct tagged { float ratio; u32 count (decl tag); int (type tag) *where; double scale; }: 0, 4, 8, 16; 24.
        BtfStruct tagged = btf.struct("tagged").orElseThrow();
        assertEquals(24, tagged.size());
        assertMember(tagged, "ratio", 0, 4);
        assertMember(tagged, "count", 4, 4);
        assertMember(tagged, "where", 8, 8);
        assertMember(tagged, "scale", 16, 8);
        assertEquals(BtfKind.FLOAT, btf.type(tagged.member("ratio").orElseThrow().typeId()).kind());
        BtfType.DeclTag tag = (BtfType.DeclTag) btf.type("navstar:counter", BtfKind.DECL_TAG).orElseThrow();
        assertEquals("tagged", btf.type(tag.target()).name());
        assertEquals(1, tag.componentIndex(), "on member #1, count");
        BtfType.Reference pointer = (BtfType.Reference) btf.type(tagged.member("where").orElseThrow().typeId());
        assertEquals(BtfKind.PTR, pointer.kind());
        assertEquals(BtfKind.TYPE_TAG, btf.type(pointer.target()).kind());
        assertEquals("int", btf.type(btf.resolve(pointer.target())).name(), "resolve skips the type tag");
    }

    @Test
    void describesMapTypesForPeople() {
        Btf btf = MAPS.btf();
        MapSpec flows = MAPS.map("flows");
        assertEquals("backend_t = struct backend {__u32 ip; __u16 port; __u8 proto; __u8 pad; __u32 weight;}",
                btf.describe(flows.valueTypeId()));
        assertEquals("struct lpm_v4_key {__u32 prefixlen; __u8 addr[4];}", btf.describe(MAPS.map("routes").keyTypeId()));
        assertEquals("struct bits {__u32 enabled:1; __u32 mode:3; __u32 count:28; __u64 total;}",
                btf.describe(MAPS.map("bit_stats").valueTypeId()));
        assertEquals("datasec .rodata {const volatile __u32 config_port @0; const volatile __u32 config_mode @4; "
                + "const volatile __u64 config_magic @8; const volatile __u64 static_limit @16;}",
                DATA.btf().describe(DATA.map(".rodata").valueTypeId()));
    }

    @Test
    void findsNoDifferenceWithAFaithfulJavaMirror() {
        StructLayout mirror = MemoryLayout.structLayout(
                ValueLayout.JAVA_INT.withName("ip"),
                ValueLayout.JAVA_SHORT.withName("port"),
                ValueLayout.JAVA_BYTE.withName("proto"),
                ValueLayout.JAVA_BYTE.withName("pad"),
                ValueLayout.JAVA_INT.withName("weight"));
        assertEquals(List.of(), MAPS.btf().struct("backend").orElseThrow().differencesFrom(mirror));
        StructLayout flowKey = MemoryLayout.structLayout(
                ValueLayout.JAVA_INT.withName("saddr"), ValueLayout.JAVA_INT.withName("daddr"),
                ValueLayout.JAVA_SHORT.withName("sport"), ValueLayout.JAVA_SHORT.withName("dport"),
                ValueLayout.JAVA_BYTE.withName("proto"), MemoryLayout.paddingLayout(3));
        assertEquals(List.of(), MAPS.btf().struct("flow_key").orElseThrow().differencesFrom(flowKey));
    }

    @Test
    void namesEveryDriftBetweenBtfAndAJavaMirror() {
        StructLayout drifted = MemoryLayout.structLayout(
                ValueLayout.JAVA_INT.withName("ip"),
                ValueLayout.JAVA_INT.withName("port"),      // u16 in C
                ValueLayout.JAVA_BYTE.withName("protocol"), // renamed
                ValueLayout.JAVA_BYTE.withName("pad"),
                ValueLayout.JAVA_INT_UNALIGNED.withName("weight"));
        assertEquals(List.of(
                "struct backend: size 12 in BTF, 14 in Java",
                "struct backend.port: size 2 in BTF, 4 in Java",
                "struct backend: member protocol is in Java but not in BTF",
                "struct backend.pad: offset 7 in BTF, 9 in Java",
                "struct backend.weight: offset 8 in BTF, 10 in Java",
                "struct backend: member proto is in BTF but not in Java"),
                MAPS.btf().struct("backend").orElseThrow().differencesFrom(drifted));
    }

    @Test
    void findsTypesByNameAndKind() {
        Btf btf = MAPS.btf();
        assertTrue(btf.type("backend", BtfKind.STRUCT).isPresent());
        assertEquals(Optional.empty(), btf.type("backend", BtfKind.UNION));
        assertEquals(Optional.empty(), btf.struct("no_such_struct"));
        assertEquals(btf.struct("backend"), btf.struct("backend_t"), "a typedef of a struct names it too");
        assertEquals(Optional.empty(), btf.struct("__u32"), "a typedef of an integer is no struct");
        assertEquals(4, btf.sizeOf(btf.idsNamed("__u32").get(0)));
        assertTrue(btf.dataSectionId(".maps").isPresent());
    }

    // ---------------------------------------------------------------- hand-written blobs

    @Test
    void readsEnum64Values() {
        BtfBuilder builder = new BtfBuilder();
        int big = builder.add("big", BtfKind.ENUM64, 2, true, 8,
                builder.string("MINUS_ONE"), -1, -1, builder.string("HIGH"), 0, 0x10);
        Btf btf = Btf.parse(builder.build());
        BtfType.Enum type = (BtfType.Enum) btf.type(big);
        assertEquals(BtfKind.ENUM64, type.kind());
        assertTrue(type.signed());
        assertEquals(-1L, type.values().get(0).value());
        assertEquals(0x10_0000_0000L, type.values().get(1).value());
        assertEquals(8, btf.sizeOf(big));
        assertEquals("enum big {MINUS_ONE = -1, HIGH = 68719476736}", btf.describe(big));
    }

    @Test
    void fixesKsymsKfuncDeclarationsUpAsLibbpfDoes() {
        BtfBuilder builder = new BtfBuilder();
        int voidPtr = builder.add("", BtfKind.PTR, 0, false, 0);
        int proto = builder.add("", BtfKind.FUNC_PROTO, 1, false, voidPtr, 0, voidPtr); // one unnamed void * param
        int kfunc = builder.add("bpf_kfunc_call_test", BtfKind.FUNC, 2, false, proto); // linkage extern
        int ksyms = builder.add(".ksyms", BtfKind.DATASEC, 1, false, 0, kfunc, 0, 0);
        Btf btf = Btf.parse(builder.build());
        assertEquals("datasec .ksyms {func bpf_kfunc_call_test @0;}", btf.describe(ksyms));

        Btf fixed = btf.withDataSectionsFixed(NO_SECTIONS);
        BtfType.Func func = (BtfType.Func) fixed.type(kfunc);
        assertEquals(1, func.linkage(), "extern FUNC becomes global (the kernel refuses linkage 2)");
        assertEquals("bpf_kfunc_call_test", ((BtfType.FuncProto) fixed.type(proto)).params().getFirst().name(),
                "unnamed parameter takes the function's name (the kernel refuses unnamed ones)");
        BtfType.Datasec datasec = (BtfType.Datasec) fixed.type(ksyms);
        assertEquals(4, datasec.size());
        BtfType.Var placeholder = (BtfType.Var) fixed.type(datasec.variables().getFirst().type());
        assertEquals("navstar_ksym", placeholder.name());
        assertEquals(4, fixed.sizeOf(placeholder.type()), "an int was added for the placeholder");
        assertEquals("datasec .ksyms {int navstar_ksym @0;}", fixed.describe(ksyms));
        assertEquals(btf.typeCount() + 2, fixed.typeCount(), "int and placeholder VAR appended, ids kept");
    }

    @Test
    void refusesExternVariablesInKsyms() {
        BtfBuilder builder = new BtfBuilder();
        int u32 = builder.integer("u32", 4, 32, false);
        int var = builder.add("bpf_prog_active", BtfKind.VAR, 0, false, u32, 2); // extern
        builder.add(".ksyms", BtfKind.DATASEC, 1, false, 0, var, 0, 4);
        Btf btf = Btf.parse(builder.build());
        BtfFormatException e = assertThrows(BtfFormatException.class, () -> btf.withDataSectionsFixed(NO_SECTIONS));
        assertEquals("BTF: DATASEC .ksyms: VAR bpf_prog_active: only kfunc declarations (extern functions marked"
                + " __ksym) are supported, not extern variables", e.getMessage());
    }

    @Test
    void shouldRejectDatasecEntryThatIsNeitherVarNorFunc() {
        BtfBuilder builder = new BtfBuilder();
        int u32 = builder.integer("u32", 4, 32, false);
        builder.add(".data", BtfKind.DATASEC, 1, false, 4, u32, 0, 4);
        BtfFormatException e = assertThrows(BtfFormatException.class, () -> Btf.parse(builder.build()));
        assertEquals("BTF: type 2 (DATASEC .data) lists type 1 which is neither a VAR nor a FUNC", e.getMessage());
    }

    private static final DataSectionLayout NO_SECTIONS = new DataSectionLayout() {
        @Override
        public java.util.OptionalLong sectionSize(String sectionName) {
            return java.util.OptionalLong.empty();
        }

        @Override
        public Optional<VariableSymbol> variable(String sectionName, String variableName) {
            return Optional.empty();
        }
    };

    @Test
    void shouldRejectTypedefCycle() {
        BtfBuilder builder = new BtfBuilder();
        builder.typedef("a", 2);
        builder.add("", BtfKind.CONST, 0, false, 1);
        BtfFormatException e = assertThrows(BtfFormatException.class, () -> Btf.parse(builder.build()));
        assertEquals("BTF: type 1 (TYPEDEF a) loops back to itself through typedefs, qualifiers or array elements",
                e.getMessage());
    }

    @Test
    void shouldRejectArrayOfItself() {
        BtfBuilder builder = new BtfBuilder();
        int u32 = builder.integer("u32", 4, 32, false);
        builder.typedef("t", 3);
        builder.add("", BtfKind.ARRAY, 0, false, 0, 2, u32, 4);
        BtfFormatException e = assertThrows(BtfFormatException.class, () -> Btf.parse(builder.build()));
        assertEquals("BTF: type 2 (TYPEDEF t) loops back to itself through typedefs, qualifiers or array elements",
                e.getMessage());
    }

    @Test
    void acceptsLoopsThroughPointers() {
        // struct list { struct list *next; }: the loop passes through a pointer, as C allows.
        BtfBuilder builder = new BtfBuilder();
        int list = builder.add("list", BtfKind.STRUCT, 1, false, 8, builder.string("next"), 2, 0);
        builder.add("", BtfKind.PTR, 0, false, 1);
        Btf btf = Btf.parse(builder.build());
        assertEquals("struct list {struct list *next;}", btf.describe(list));
        assertEquals(8, btf.sizeOf(list));
    }

    @Test
    void shouldRefuseSizeOfArraysNestedDeeperThanTheKernelResolves() {
        BtfBuilder builder = new BtfBuilder();
        int element = builder.integer("u8", 1, 8, false);
        for (int depth = 0; depth < 40; depth++) {
            element = builder.add("", BtfKind.ARRAY, 0, false, 0, element, 1, 1);
        }
        Btf btf = Btf.parse(builder.build());
        int deepest = element;
        BtfFormatException e = assertThrows(BtfFormatException.class, () -> btf.sizeOf(deepest));
        assertTrue(e.getMessage().contains("nest deeper than 32"), e.getMessage());
    }

    @Test
    void shouldRejectReferenceToMissingTypeId() {
        BtfBuilder builder = new BtfBuilder();
        builder.add("p", BtfKind.PTR, 0, false, 7);
        BtfFormatException e = assertThrows(BtfFormatException.class, () -> Btf.parse(builder.build()));
        assertEquals("BTF: type 1 (PTR p) refers to type id 7, but the last id is 1", e.getMessage());
    }

    @Test
    void shouldRejectStringOffsetBeyondStringSection() {
        BtfBuilder builder = new BtfBuilder();
        builder.integer("int", 4, 32, true);
        byte[] blob = builder.build();
        ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN).putInt(24, 999); // name_off of type 1
        BtfFormatException e = assertThrows(BtfFormatException.class, () -> Btf.parse(blob));
        assertTrue(e.getMessage().startsWith("BTF: type 1: string offset 999 beyond string section of"), e.getMessage());
    }

    @Test
    void shouldRejectUnterminatedString() {
        BtfBuilder builder = new BtfBuilder();
        builder.integer("int", 4, 32, true);
        byte[] blob = builder.build();
        blob[blob.length - 1] = 'x';
        BtfFormatException e = assertThrows(BtfFormatException.class, () -> Btf.parse(blob));
        assertEquals("BTF: type 1: string at offset 1 is not terminated", e.getMessage());
    }

    @Test
    void shouldRejectBadHeaders() {
        byte[] good = new BtfBuilder().build();
        assertEquals("BTF: 10 bytes is shorter than the 24-byte header",
                assertThrows(BtfFormatException.class, () -> Btf.parse(new byte[10])).getMessage());
        byte[] bigEndian = good.clone();
        bigEndian[0] = (byte) 0xeb;
        bigEndian[1] = (byte) 0x9f;
        assertEquals("BTF: big-endian BTF is not supported",
                assertThrows(BtfFormatException.class, () -> Btf.parse(bigEndian)).getMessage());
        byte[] version = good.clone();
        version[2] = 2;
        assertEquals("BTF: unsupported version 2",
                assertThrows(BtfFormatException.class, () -> Btf.parse(version)).getMessage());
        byte[] longStrings = good.clone();
        ByteBuffer.wrap(longStrings).order(ByteOrder.LITTLE_ENDIAN).putInt(20, 4096);
        assertEquals("BTF: string section 0 + 4096 beyond blob size 1",
                assertThrows(BtfFormatException.class, () -> Btf.parse(longStrings)).getMessage());
    }

    /**
     * BPF_BTF_LOAD refuses a blob with bytes after its sections or between them ("Unsupported section found"), so
     * the parser does too, instead of handing on BTF that fails only when loaded.
     */
    @Test
    void shouldRejectBytesAfterTheSectionsOrBetweenThemAsTheKernelDoes() {
        BtfBuilder builder = new BtfBuilder();
        builder.integer("int", 4, 32, true);
        byte[] good = builder.build();
        Btf.parse(good);
        byte[] trailing = Arrays.copyOf(good, good.length + 4);
        assertEquals("BTF: type section 0 + 16 and string section 16 + 5 do not fill the 25 bytes after the header"
                        + " without a gap (the kernel refuses gaps and trailing bytes)",
                assertThrows(BtfFormatException.class, () -> Btf.parse(trailing)).getMessage());
        byte[] gap = new byte[good.length + 4]; // 4 bytes between the header and the type section
        System.arraycopy(good, 0, gap, 0, 24);
        System.arraycopy(good, 24, gap, 28, good.length - 24);
        ByteBuffer.wrap(gap).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 4).putInt(16, 16 + 4);
        assertTrue(assertThrows(BtfFormatException.class, () -> Btf.parse(gap)).getMessage()
                .startsWith("BTF: type section 4 + 16 and string section 20 + 5 do not fill the 25 bytes"));
    }

    @Test
    void shouldRejectUnknownKindAndTruncatedType() {
        BtfBuilder builder = new BtfBuilder();
        builder.add("x", BtfKind.INT, 0, false, 4, 32);
        byte[] blob = builder.build();
        blob[24 + 7] = 25; // kind byte of type 1
        assertEquals("BTF: type 1: unknown kind 25",
                assertThrows(BtfFormatException.class, () -> Btf.parse(blob)).getMessage());
        BtfBuilder struct = new BtfBuilder();
        struct.add("s", BtfKind.STRUCT, 1000, false, 8); // claims 1000 members, has none
        BtfFormatException e = assertThrows(BtfFormatException.class, () -> Btf.parse(struct.build()));
        assertTrue(e.getMessage().contains("12000 bytes of data beyond the type section"), e.getMessage());
    }

    private static void assertMember(BtfStruct struct, String name, long offset, long size) {
        BtfStruct.Member member = struct.member(name).orElseThrow(() -> new AssertionError("no member " + name));
        assertEquals(offset, member.byteOffset(), struct.name() + "." + name + " offset");
        assertEquals(size, member.byteSize(), struct.name() + "." + name + " size");
        assertFalse(member.bitField(), struct.name() + "." + name + " is no bit field");
    }
}
