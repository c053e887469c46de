package io.navstar.loader.btf;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The core_relo part of .BTF.ext (struct bpf_core_relo records): every kind read, every fault named. */
class BtfExtCoreRelocationTest {

    private final BtfBuilder builder = new BtfBuilder();
    private final int u32 = builder.integer("u32", 4, 32, false);
    private final int section = builder.string("tc");
    private final int access = builder.string("0:1");
    private final Btf btf = Btf.parse(builder.build());

    /** A .BTF.ext with no func/line info and one core_relo block for section "tc": {insn_off, type, access, kind}. */
    private byte[] ext(int[]... records) {
        ByteBuffer b = ByteBuffer.allocate(32 + 4 + 8 + 16 * records.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0xeb9f).put((byte) 1).put((byte) 0).putInt(32);
        b.putInt(0).putInt(0).putInt(0).putInt(0);                 // func_info, line_info: none
        b.putInt(0).putInt(4 + 8 + 16 * records.length);           // core_relo at 0
        b.putInt(16).putInt(section).putInt(records.length);
        for (int[] record : records) {
            for (int word : record) {
                b.putInt(word);
            }
        }
        return b.array();
    }

    @Test
    void readsARecordOfEveryKindWithItsInstructionTypeAndAccess() {
        CoreRelocation.Kind[] kinds = CoreRelocation.Kind.values();
        int[][] records = new int[kinds.length][];
        for (int i = 0; i < kinds.length; i++) {
            records[i] = new int[] {8 * (kinds.length - i), u32, access, kinds[i].kernelValue()}; // out of order
        }
        BtfExt ext = BtfExt.parse(ext(records), btf);
        List<CoreRelocation> parsed = ext.coreRelocations("tc");
        assertEquals(13, parsed.size());
        for (int i = 0; i < kinds.length; i++) {
            CoreRelocation relocation = parsed.get(kinds.length - 1 - i); // sorted by instruction
            assertEquals(new CoreRelocation(kinds.length - i, u32, "0:1", kinds[i]), relocation);
        }
        assertEquals(Map.of("tc", 13), ext.coreRelocationCounts());
        assertEquals(List.of(), ext.coreRelocations("xdp"));
        assertEquals(Arrays.stream(kinds).map(CoreRelocation.Kind::kernelValue).toList(),
                List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), "enum bpf_core_relo_kind numbers");
    }

    @Test
    void namesEachFaultOfARecord() {
        assertEquals("BTF.ext: core_relo of section tc at byte offset 8 has unknown kind 13",
                assertThrows(BtfFormatException.class, () -> BtfExt.parse(ext(new int[] {8, u32, access, 13}), btf))
                        .getMessage());
        assertEquals("BTF.ext: core_relo of section tc at byte offset 12 is not an instruction",
                assertThrows(BtfFormatException.class, () -> BtfExt.parse(ext(new int[] {12, u32, access, 0}), btf))
                        .getMessage());
        assertEquals("BTF.ext: core_relo of section tc at byte offset 8 names type 0, outside [1, 2)",
                assertThrows(BtfFormatException.class, () -> BtfExt.parse(ext(new int[] {8, 0, access, 0}), btf))
                        .getMessage());
        assertEquals("BTF.ext: core_relo of section tc at byte offset 8 names type 7, outside [1, 2)",
                assertThrows(BtfFormatException.class, () -> BtfExt.parse(ext(new int[] {8, 7, access, 0}), btf))
                        .getMessage());
        assertThrows(BtfFormatException.class, () -> BtfExt.parse(ext(new int[] {8, u32, 9999, 0}), btf),
                "access string offset beyond the strings");
    }
}
