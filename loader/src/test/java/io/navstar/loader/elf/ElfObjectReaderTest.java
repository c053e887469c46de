package io.navstar.loader.elf;

import io.navstar.loader.btf.Btf;
import io.navstar.loader.btf.BtfKind;
import io.navstar.loader.btf.BtfType;
import io.navstar.loader.spec.AttachType;
import io.navstar.loader.spec.MapRelocation;
import io.navstar.loader.spec.MapSpec;
import io.navstar.loader.spec.MapType;
import io.navstar.loader.spec.ObjectSpec;
import io.navstar.loader.spec.Pinning;
import io.navstar.loader.spec.ProgramSpec;
import io.navstar.loader.spec.ProgramType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads the clang-built objects of bpf/test/parse_*.bpf.c and checks what the C says: sections to
 * programs, every map kind, global data, relocations, bpf-to-bpf linking and func/line info. Expected
 * numbers come from the C source (sizes, flags) and from {@code llvm-readelf -s} of the objects (symbol
 * sizes and offsets), never from the reader itself.
 */
class ElfObjectReaderTest {

    private static final int BPF_F_NO_PREALLOC = 1;
    private static final int BPF_F_NO_COMMON_LRU = 2;

    private static final ObjectSpec MAPS = read(TestObjects.MAPS);
    private static final ObjectSpec PROGS = read(TestObjects.PROGS);
    private static final ObjectSpec DATA = read(TestObjects.DATA);

    private static ObjectSpec read(String name) {
        return new ElfObjectReader().read(TestObjects.bytes(name), name);
    }

    // ---------------------------------------------------------------- programs

    @ParameterizedTest(name = "{0} in {1}")
    @CsvSource({
            "xdp_first, xdp, XDP, XDP",
            "xdp_second, xdp, XDP, XDP",
            "tcx_in, tcx/ingress, SCHED_CLS, TCX_INGRESS",
            "tcx_out, tcx/egress, SCHED_CLS, TCX_EGRESS",
            "classic_tc, tc, SCHED_CLS, ",
            "tc_second, tc, SCHED_CLS, ",
            "sock_filter, socket, SOCKET_FILTER, ",
            "connect4, cgroup/connect4, CGROUP_SOCK_ADDR, CGROUP_INET4_CONNECT",
            "connect6, cgroup/connect6, CGROUP_SOCK_ADDR, CGROUP_INET6_CONNECT",
            "sendmsg4, cgroup/sendmsg4, CGROUP_SOCK_ADDR, CGROUP_UDP4_SENDMSG",
            "sendmsg6, cgroup/sendmsg6, CGROUP_SOCK_ADDR, CGROUP_UDP6_SENDMSG",
            "recvmsg4, cgroup/recvmsg4, CGROUP_SOCK_ADDR, CGROUP_UDP4_RECVMSG",
            "recvmsg6, cgroup/recvmsg6, CGROUP_SOCK_ADDR, CGROUP_UDP6_RECVMSG",
            "getpeername4, cgroup/getpeername4, CGROUP_SOCK_ADDR, CGROUP_INET4_GETPEERNAME",
            "getpeername6, cgroup/getpeername6, CGROUP_SOCK_ADDR, CGROUP_INET6_GETPEERNAME",
            "getsockname4, cgroup/getsockname4, CGROUP_SOCK_ADDR, CGROUP_INET4_GETSOCKNAME",
            "getsockname6, cgroup/getsockname6, CGROUP_SOCK_ADDR, CGROUP_INET6_GETSOCKNAME",
    })
    void mapsEachSectionToItsProgramAndAttachType(String program, String section, ProgramType type,
                                                  AttachType attach) {
        ProgramSpec spec = PROGS.program(program);
        assertEquals(section, spec.sectionName());
        assertEquals(type, spec.type());
        assertEquals(attach, spec.expectedAttachType());
        assertEquals("Dual BSD/GPL", spec.license());
    }

    @Test
    void makesEveryGlobalFunctionOfAProgramSectionAProgramAndNoSubprogramOne() {
        assertEquals(List.of("xdp_first", "xdp_second", "tcx_in", "tcx_out", "classic_tc", "tc_second", "sock_filter",
                "connect4",
                "connect6", "sendmsg4", "sendmsg6", "recvmsg4", "recvmsg6", "getpeername4", "getpeername6",
                "getsockname4", "getsockname6"), List.copyOf(PROGS.programs().keySet()));
        assertEquals("Dual BSD/GPL", PROGS.license());
    }

    @Test
    void linksCalleesIntoTheProgramOnceEachRecursively() {
        // llvm-readelf -s: xdp_first 72 bytes, middle 72, same_section_helper 40, leaf 120 (9, 9, 5, 15 insns).
        ProgramSpec first = PROGS.program("xdp_first");
        assertEquals(9 + 9 + 5 + 15, first.instructionCount());
        Map<String, List<Integer>> calls = callsByCallee(PROGS.btf(), first);
        assertEquals(Set.of("middle", "same_section_helper", "leaf"), calls.keySet());
        assertEquals(1, calls.get("middle").size());
        assertEquals(2, calls.get("leaf").size(), "middle calls leaf twice, into one copy");
        assertEquals(Set.of(9), Set.copyOf(calls.get("middle")), "middle appended right after xdp_first");
        // leaf's ld_imm64 of `hits` is its insn 5 (.text insn 19 - leaf start 14), leaf placed at 23.
        assertEquals(List.of(new MapRelocation(28, "hits", 0, false)), first.mapRelocations());
        assertLdImm64(first, 28);
    }

    @Test
    void linksCallThroughAFunctionSymbolRelocation() {
        // tcx_in calls the global function global_helper: relocation against its symbol, imm = -1.
        ProgramSpec tcxIn = PROGS.program("tcx_in");
        assertEquals(8 + 5, tcxIn.instructionCount());
        assertEquals(Map.of("global_helper", List.of(8)), callsByCallee(PROGS.btf(), tcxIn));
    }

    @Test
    void linksCallbackAddressesAsPseudoFuncReferences() {
        // tcx_out passes add_index to bpf_loop: `r2 = add_index ll` at insn 6, relocated against .text.
        // llvm-readelf -s: tcx_out 128 bytes, add_index 48 (16 and 6 insns).
        ProgramSpec tcxOut = PROGS.program("tcx_out");
        assertEquals(16 + 6, tcxOut.instructionCount());
        assertEquals(0x18, tcxOut.instructions()[6 * 8] & 0xff);
        assertEquals(4, (tcxOut.instructions()[6 * 8 + 1] >>> 4) & 0xf, "src_reg BPF_PSEUDO_FUNC");
        assertEquals(16 - 6 - 1, imm(tcxOut, 6));
        assertEquals(0, imm(tcxOut, 7));
        assertEquals(Map.of("add_index", List.of(16)), callsByCallee(PROGS.btf(), tcxOut));
        assertEquals(List.of(), tcxOut.mapRelocations());
    }

    @Test
    void linksSubprogramsOfOtherTextSections() {
        // in_text_helpers lives in .text.helpers, as clang -ffunction-sections places every function.
        // llvm-readelf -s: tc_second 64 bytes, in_text_helpers 24 (8 and 3 insns).
        ProgramSpec second = PROGS.program("tc_second");
        assertEquals(8 + 3, second.instructionCount());
        assertEquals(Map.of("in_text_helpers", List.of(8)), callsByCallee(PROGS.btf(), second));
        assertTrue(PROGS.programs().keySet().stream().noneMatch(name -> name.equals("in_text_helpers")));
    }

    @Test
    void linksTheSameSubprogramSeparatelyIntoEachProgram() {
        ProgramSpec second = PROGS.program("xdp_second");
        assertEquals(7 + 15, second.instructionCount());
        assertEquals(Map.of("leaf", List.of(7)), callsByCallee(PROGS.btf(), second));
        assertEquals(List.of(new MapRelocation(12, "hits", 0, false)), second.mapRelocations());
        ProgramSpec tc = PROGS.program("classic_tc");
        assertEquals(Map.of("leaf", List.of(8)), callsByCallee(PROGS.btf(), tc));
        // The leaf copies are the same code wherever they land.
        assertArrayEquals(slice(second, 7, 15), slice(tc, 8, 15));
    }

    @Test
    void givesEveryLinkedFunctionItsFuncInfoAtItsNewOffset() {
        for (ProgramSpec program : PROGS.programs().values()) {
            assertEquals(8, program.funcInfoRecordSize());
            int[][] funcs = records(program.funcInfo(), 2);
            assertEquals(0, funcs[0][0], program.name() + ": func_info[0] at insn 0");
            assertEquals(program.name(), PROGS.btf().type(funcs[0][1]).name());
            Set<Integer> callTargets = new TreeSet<>();
            callsByCallee(PROGS.btf(), program).values().forEach(callTargets::addAll);
            Set<Integer> funcStarts = new TreeSet<>();
            for (int i = 1; i < funcs.length; i++) {
                funcStarts.add(funcs[i][0]);
                assertEquals(BtfKind.FUNC, PROGS.btf().type(funcs[i][1]).kind());
            }
            assertEquals(callTargets, funcStarts, program.name() + ": one func_info per callee, at its start");
        }
    }

    @Test
    void givesLineInfoInIncreasingInstructionOrderWithinTheProgram() {
        for (ProgramSpec program : PROGS.programs().values()) {
            assertEquals(16, program.lineInfoRecordSize());
            int[][] lines = records(program.lineInfo(), 4);
            assertTrue(lines.length >= 1, program.name());
            assertEquals(0, lines[0][0], program.name() + ": line_info[0] at insn 0");
            assertTrue(lines[0][3] >>> 10 > 0, program.name() + ": the entry has a line number");
            for (int i = 0; i < lines.length; i++) {
                if (i > 0) {
                    assertTrue(lines[i][0] > lines[i - 1][0], program.name() + ": line_info " + i + " not after " + (i - 1));
                }
                assertTrue(lines[i][0] < program.instructionCount());
                assertTrue(PROGS.btf().string(lines[i][1]).endsWith("parse_progs.bpf.c"));
            }
        }
        // Lines of the linked callee are there too: leaf's body `return x * 3 + 1;`.
        ProgramSpec second = PROGS.program("xdp_second");
        boolean leafLine = false;
        for (int[] line : records(second.lineInfo(), 4)) {
            leafLine |= line[0] >= 7 && PROGS.btf().string(line[2]).contains("x * 3 + 1");
        }
        assertTrue(leafLine, "xdp_second carries the source lines of the leaf it calls");
    }

    // ---------------------------------------------------------------- maps

    @Test
    void readsEveryMapKindWithSizesFlagsAndPinning() {
        assertEquals(Set.of("maglev_a", "maglev_tables", "flows", "reverse_nat", "backends", "counters", "bit_stats",
                "routes", "per_vip", "events"), MAPS.maps().keySet());
        assertMap(MAPS.map("flows"), MapType.HASH, 16, 12, 1024, 0, Pinning.BY_NAME);
        assertMap(MAPS.map("reverse_nat"), MapType.LRU_HASH, 16, 16, 4096, BPF_F_NO_COMMON_LRU, Pinning.NONE);
        assertMap(MAPS.map("backends"), MapType.ARRAY, 4, 12, 256, 0, Pinning.NONE);
        assertMap(MAPS.map("counters"), MapType.PERCPU_ARRAY, 4, 8, 8, 0, Pinning.NONE); // __ulong(max_entries, 8)
        assertMap(MAPS.map("bit_stats"), MapType.PERCPU_HASH, 4, 16, 128, BPF_F_NO_PREALLOC, Pinning.NONE);
        assertMap(MAPS.map("routes"), MapType.LPM_TRIE, 8, 4, 64, BPF_F_NO_PREALLOC, Pinning.NONE);
        assertMap(MAPS.map("events"), MapType.RINGBUF, 0, 0, 256 * 1024, 0, Pinning.NONE);
        assertMap(MAPS.map("maglev_tables"), MapType.ARRAY_OF_MAPS, 4, 4, 4, 0, Pinning.NONE);
        assertMap(MAPS.map("per_vip"), MapType.HASH_OF_MAPS, 4, 4, 32, 0, Pinning.NONE);
        for (MapSpec map : MAPS.maps().values()) {
            assertNull(map.initialData(), map.name());
            assertFalse(map.freeze(), map.name());
        }
    }

    @Test
    void namesKeyAndValueTypesByTheirBtfIds() {
        Btf btf = MAPS.btf();
        MapSpec flows = MAPS.map("flows");
        assertEquals("flow_key", btf.type(flows.keyTypeId()).name());
        assertEquals("backend_t", btf.type(flows.valueTypeId()).name(), "the declared type, typedef kept");
        assertEquals("backend", btf.type(btf.resolve(flows.valueTypeId())).name());
        assertEquals("__u32", btf.type(MAPS.map("backends").keyTypeId()).name());
        assertEquals("backend", btf.type(MAPS.map("backends").valueTypeId()).name());
        assertEquals("bits", btf.type(MAPS.map("bit_stats").valueTypeId()).name());
        assertEquals("lpm_v4_key", btf.type(MAPS.map("routes").keyTypeId()).name());
        // Sizes given as numbers: no types. Ring buffers and maps of maps: the kernel refuses BTF ids.
        for (String name : List.of("counters", "events", "maglev_tables", "per_vip")) {
            assertEquals(0, MAPS.map(name).keyTypeId(), name);
            assertEquals(0, MAPS.map(name).valueTypeId(), name);
        }
    }

    @Test
    void readsInnerMapDefinitionsOfMapsOfMaps() {
        MapSpec arrayInner = MAPS.map("maglev_tables").innerMap();
        assertNotNull(arrayInner);
        assertMap(arrayInner, MapType.ARRAY, 4, 12, 16, 0, Pinning.NONE);
        assertEquals("backend", MAPS.btf().type(arrayInner.valueTypeId()).name());
        MapSpec hashInner = MAPS.map("per_vip").innerMap();
        assertNotNull(hashInner);
        assertMap(hashInner, MapType.HASH, 2, 8, 8, 0, Pinning.NONE);
        assertEquals("__u16", MAPS.btf().type(hashInner.keyTypeId()).name());
        assertNull(MAPS.map("flows").innerMap());
    }

    @Test
    void relocatesEveryMapReferenceToTheMapByName() {
        ProgramSpec program = MAPS.program("use_maps");
        List<String> referenced = program.mapRelocations().stream().map(MapRelocation::mapName).toList();
        assertEquals(List.of("flows", "reverse_nat", "backends", "counters", "bit_stats", "routes", "maglev_tables",
                "per_vip", "events"), referenced, "the order of the calls in use_maps");
        for (MapRelocation relocation : program.mapRelocations()) {
            assertFalse(relocation.direct());
            assertEquals(0, relocation.valueOffset());
            assertLdImm64(program, relocation.instructionIndex());
            assertEquals(0, imm(program, relocation.instructionIndex()));
            assertEquals(0, imm(program, relocation.instructionIndex() + 1));
        }
    }

    // ---------------------------------------------------------------- global data

    @Test
    void turnsGlobalDataSectionsIntoSingleEntryArrays() {
        assertEquals(List.of(".rodata", ".data", ".data.tuning", ".bss"), List.copyOf(DATA.maps().keySet()));
        MapSpec rodata = DATA.map(".rodata");
        assertMap(rodata, MapType.ARRAY, 4, 24, 1, ElfObjectReader.BPF_F_RDONLY_PROG | ElfObjectReader.BPF_F_MMAPABLE,
                Pinning.NONE);
        assertTrue(rodata.freeze());
        ByteBuffer ro = ByteBuffer.wrap(rodata.initialData()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(8080, ro.getInt(0));
        assertEquals(3, ro.getInt(4));
        assertEquals(0x1122334455667788L, ro.getLong(8));
        assertEquals(1000, ro.getLong(16), "static_limit");

        MapSpec data = DATA.map(".data");
        assertMap(data, MapType.ARRAY, 4, 12, 1, ElfObjectReader.BPF_F_MMAPABLE, Pinning.NONE);
        assertFalse(data.freeze());
        ByteBuffer rw = ByteBuffer.wrap(data.initialData()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(7, rw.getInt(0));
        assertEquals((short) 0xaaaa, rw.getShort(4));
        assertEquals((short) 0xbbbb, rw.getShort(6));
        assertEquals(5, rw.getInt(8), "hidden_flag");

        assertEquals(42, ByteBuffer.wrap(DATA.map(".data.tuning").initialData()).order(ByteOrder.LITTLE_ENDIAN).getInt());
        MapSpec bss = DATA.map(".bss");
        assertEquals(48, bss.valueSize(), "static_counter 4 + pad 4 + drops 8 + last_len 4 + pad 4 + struct tagged 24");
        assertArrayEquals(new byte[48], bss.initialData());
        for (MapSpec map : DATA.maps().values()) {
            BtfType valueType = DATA.btf().type(map.valueTypeId());
            assertEquals(BtfKind.DATASEC, valueType.kind(), map.name());
            assertEquals(map.name(), valueType.name());
            assertEquals(0, map.keyTypeId());
        }
    }

    @Test
    void relocatesGlobalVariablesToTheirSectionMapAndOffset() {
        ProgramSpec program = DATA.program("use_globals");
        Map<String, Set<Integer>> offsets = new HashMap<>();
        for (MapRelocation relocation : program.mapRelocations()) {
            assertTrue(relocation.direct());
            assertLdImm64(program, relocation.instructionIndex());
            assertEquals(0, imm(program, relocation.instructionIndex()));
            assertEquals(relocation.valueOffset(), imm(program, relocation.instructionIndex() + 1));
            offsets.computeIfAbsent(relocation.mapName(), k -> new TreeSet<>()).add(relocation.valueOffset());
        }
        // llvm-readelf -s: config_port .rodata+0, config_mode +4, config_magic +8, static_limit +16 (a static:
        // relocated against the section symbol, offset in the immediate); static_counter .bss+0 (likewise),
        // drops +8, last_len +16; packets_seen .data+0, data_pair +4, hidden_flag +8; tuned_value .data.tuning+0.
        assertEquals(Set.of(0, 4, 8, 16), offsets.get(".rodata"));
        assertEquals(Set.of(0, 8, 16), offsets.get(".bss"));
        assertEquals(Set.of(0, 4, 8), offsets.get(".data"));
        assertEquals(Set.of(0), offsets.get(".data.tuning"));
    }

    @Test
    void fixesDataSectionSizesAndVariableOffsetsFromTheElfObject() {
        // clang leaves DATASEC sizes and offsets 0; the raw section shows it.
        Btf raw = Btf.parse(rawSection(TestObjects.DATA, ".BTF"));
        BtfType.Datasec rawBss = (BtfType.Datasec) raw.type(".bss", BtfKind.DATASEC).orElseThrow();
        assertEquals(0, rawBss.size());

        Btf fixed = DATA.btf();
        assertEquals(Map.of("static_counter", 0, "drops", 8, "last_len", 16, "tagged_sample", 24),
                varOffsets(fixed, ".bss"));
        assertEquals(48, datasec(fixed, ".bss").size());
        assertEquals(Map.of("config_port", 0, "config_mode", 4, "config_magic", 8, "static_limit", 16),
                varOffsets(fixed, ".rodata"));
        assertEquals(24, datasec(fixed, ".rodata").size());
        assertEquals(Map.of("packets_seen", 0, "data_pair", 4, "hidden_flag", 8), varOffsets(fixed, ".data"));
        List<Integer> sorted = datasec(fixed, ".bss").variables().stream().map(BtfType.VarSecinfo::offset).toList();
        assertEquals(sorted.stream().sorted().toList(), sorted, "variables sorted by offset");
        // The maps section too (llvm-readelf: flows at 0, maglev_tables at 0xe0, events at 0x110, maglev_a at
        // 0x120 of 0x140).
        Btf mapsBtf = MAPS.btf();
        assertEquals(0x140, datasec(mapsBtf, ".maps").size());
        assertEquals(0, varOffsets(mapsBtf, ".maps").get("flows"));
        assertEquals(0xe0, varOffsets(mapsBtf, ".maps").get("maglev_tables"));
        assertEquals(0x110, varOffsets(mapsBtf, ".maps").get("events"));
        assertEquals(0x120, varOffsets(mapsBtf, ".maps").get("maglev_a"));
        // A hidden symbol's variable becomes static (linkage 0), as libbpf makes it.
        assertEquals(1, ((BtfType.Var) raw.type("hidden_flag", BtfKind.VAR).orElseThrow()).linkage());
        assertEquals(0, ((BtfType.Var) fixed.type("hidden_flag", BtfKind.VAR).orElseThrow()).linkage());
        assertEquals(1, ((BtfType.Var) fixed.type("packets_seen", BtfKind.VAR).orElseThrow()).linkage());
        // Same length as the object's section: the fix-up only patches.
        assertEquals(rawSection(TestObjects.DATA, ".BTF").length, fixed.kernelBytes().length);
    }

    // ---------------------------------------------------------------- helpers

    private static void assertMap(MapSpec map, MapType type, int keySize, int valueSize, int maxEntries, int flags,
                                  Pinning pinning) {
        assertEquals(type, map.type(), map.name());
        assertEquals(keySize, map.keySize(), map.name() + " key size");
        assertEquals(valueSize, map.valueSize(), map.name() + " value size");
        assertEquals(maxEntries, map.maxEntries(), map.name() + " max entries");
        assertEquals(flags, map.flags(), map.name() + " flags");
        assertEquals(pinning, map.pinning(), map.name() + " pinning");
    }

    private static void assertLdImm64(ProgramSpec program, int index) {
        assertEquals(0x18, program.instructions()[index * 8] & 0xff, "ld_imm64 at " + index);
        assertEquals(0, program.instructions()[(index + 1) * 8] & 0xff, "ld_imm64 second half at " + (index + 1));
    }

    static int imm(ProgramSpec program, int index) {
        return ByteBuffer.wrap(program.instructions()).order(ByteOrder.LITTLE_ENDIAN).getInt(index * 8 + 4);
    }

    /** For each pseudo call or callback address, the callee's name (from the func_info at the call's target) and the targets. */
    static Map<String, List<Integer>> callsByCallee(Btf btf, ProgramSpec program) {
        Map<Integer, String> funcAt = new HashMap<>();
        for (int[] func : records(program.funcInfo(), 2)) {
            funcAt.put(func[0], btf.type(func[1]).name());
        }
        Map<String, List<Integer>> calls = new HashMap<>();
        byte[] code = program.instructions();
        for (int i = 0; i < program.instructionCount(); i++) {
            int opcode = code[i * 8] & 0xff;
            int srcReg = (code[i * 8 + 1] >>> 4) & 0xf;
            boolean call = opcode == 0x85 && srcReg == 1;
            boolean callback = opcode == 0x18 && srcReg == 4;
            if (call || callback) {
                int target = i + imm(program, i) + 1;
                assertTrue(target >= 0 && target < program.instructionCount(), program.name() + ": call at " + i
                        + " leaves the program (target " + target + ")");
                String callee = funcAt.get(target);
                assertNotNull(callee, program.name() + ": call at " + i + " targets " + target
                        + ", where no function starts");
                calls.computeIfAbsent(callee, k -> new ArrayList<>()).add(target);
            }
            if (opcode == 0x18) {
                i++;
            }
        }
        return calls;
    }

    static int[][] records(byte[] bytes, int fields) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int[][] out = new int[bytes.length / (4 * fields)][fields];
        for (int[] record : out) {
            for (int f = 0; f < fields; f++) {
                record[f] = buffer.getInt();
            }
        }
        return out;
    }

    private static byte[] slice(ProgramSpec program, int start, int count) {
        byte[] out = new byte[count * 8];
        System.arraycopy(program.instructions(), start * 8, out, 0, out.length);
        return out;
    }

    private static BtfType.Datasec datasec(Btf btf, String name) {
        return (BtfType.Datasec) btf.type(name, BtfKind.DATASEC).orElseThrow();
    }

    private static Map<String, Integer> varOffsets(Btf btf, String section) {
        return datasec(btf, section).variables().stream()
                .collect(Collectors.toMap(v -> btf.type(v.type()).name(), BtfType.VarSecinfo::offset));
    }

    static byte[] rawSection(String object, String section) {
        ElfFile elf = new ElfFile(TestObjects.bytes(object), object);
        return elf.data(elf.section(section).orElseThrow());
    }
}
