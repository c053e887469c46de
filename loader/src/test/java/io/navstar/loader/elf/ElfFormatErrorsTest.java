package io.navstar.loader.elf;

import io.navstar.loader.spec.ObjectFormatException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each kind of bad object gets its own clear message naming the object and the place: bad identification,
 * sections or strings past the file, unknown map types, relocations to symbols that do not exist or are
 * not maps, calls into the middle of a function, unknown program sections.
 */
class ElfFormatErrorsTest {

    private static final String NAME = "obj.o";

    @Test
    void shouldRejectFileThatIsNotElf() {
        assertEquals("obj.o: not an ELF file (bad magic)", message(new byte[64]));
        assertEquals("obj.o: 3 bytes is shorter than the 64-byte ELF64 header", message(new byte[3]));
    }

    @Test
    void shouldRejectWrongClassByteOrderAndMachine() {
        byte[] elf32 = progs();
        elf32[4] = 1;
        assertEquals("obj.o: ELF class 1 is not ELFCLASS64", message(elf32));
        byte[] bigEndian = progs();
        bigEndian[5] = 2;
        assertEquals("obj.o: big-endian ELF is not supported (ELFDATA2MSB)", message(bigEndian));
        byte[] x86 = progs();
        le(x86).putShort(0x12, (short) 62);
        assertEquals("obj.o: machine 62 is not EM_BPF (247): compile with clang -target bpf", message(x86));
        byte[] executable = progs();
        le(executable).putShort(0x10, (short) 2);
        assertEquals("obj.o: ELF type 2 is not ET_REL (a relocatable object, as clang -c writes)", message(executable));
    }

    @Test
    void shouldRejectTruncatedFileNamingTheSectionHeaderTable() {
        byte[] whole = progs();
        byte[] cut = java.util.Arrays.copyOf(whole, 3000);
        long tableOffset = le(whole).getLong(0x28);
        assertEquals("obj.o: section header table at " + tableOffset + " beyond file size 3000", message(cut));
    }

    @Test
    void shouldRejectSectionWhoseDataLiesBeyondTheFile() {
        byte[] bytes = progs();
        int index = sectionIndex(bytes, ".reltc");
        int header = sectionHeader(bytes, index);
        le(bytes).putLong(header + 0x18, 4096L * 1024);
        long size = le(bytes).getLong(header + 0x20);
        assertEquals("obj.o: section " + index + " (.reltc) offset 4194304 + " + size + " beyond file size "
                + bytes.length, message(bytes));
    }

    @Test
    void shouldRejectSectionNameOffsetOutOfRange() {
        byte[] bytes = progs();
        int index = sectionIndex(bytes, "socket");
        le(bytes).putInt(sectionHeader(bytes, index), 1_000_000);
        String message = message(bytes);
        assertTrue(message.startsWith("obj.o: name of section " + index + ": string offset 1000000 beyond string table"),
                message);
    }

    @Test
    void shouldRejectUnknownMapTypeNamingTheMap() {
        ObjectFormatException e = assertThrows(ObjectFormatException.class, () -> new ElfObjectReader()
                .read(TestObjects.bytes(TestObjects.BAD_UNKNOWN_MAP), "parse_bad_unknown_map.o"));
        assertEquals("parse_bad_unknown_map.o: map mystery: unsupported map type 99 (enum bpf_map_type)",
                e.getMessage());
    }

    @Test
    void shouldRefuseInitialValuesOfMapOfMapsRatherThanDropThem() {
        ObjectFormatException e = assertThrows(ObjectFormatException.class, () -> new ElfObjectReader()
                .read(TestObjects.bytes(TestObjects.BAD_INNER_VALUES), "parse_bad_inner_values.o"));
        assertEquals("parse_bad_inner_values.o: map outer: initial values (.values = { ... }) are not supported; "
                + "insert the inner maps from user space", e.getMessage());
    }

    /**
     * A relocation section into .maps had its first entry read before its size was checked, so one of 4 bytes at
     * the end of the file escaped as an ArrayIndexOutOfBoundsException instead of a format error.
     */
    @Test
    void shouldRejectRelocationsIntoMapsShorterThanOneEntry() {
        byte[] bytes = TestObjects.bytes(TestObjects.MAPS);
        int rel = sectionIndex(bytes, ".rel.BTF");
        int header = sectionHeader(bytes, rel);
        le(bytes).putInt(header + 0x2c, sectionIndex(bytes, ".maps")); // sh_info: the section it relocates
        le(bytes).putLong(header + 0x18, bytes.length - 4L);
        le(bytes).putLong(header + 0x20, 4);
        assertEquals("obj.o: section " + rel + " (.rel.BTF): entry size 16 and size 4 do not describe 16-byte"
                + " Elf64_Rel entries", message(bytes));
    }

    @Test
    void shouldRejectRelocationToSymbolIndexOutOfRange() {
        byte[] bytes = progs();
        int rel = sectionIndex(bytes, ".reltcx/ingress");
        le(bytes).putInt(sectionData(bytes, rel) + 12, 9999); // r_info's symbol half
        String message = message(bytes);
        assertTrue(message.startsWith("obj.o: section " + rel + " (.reltcx/ingress) entry 0: symbol index 9999 out of range"),
                message);
    }

    @Test
    void shouldRejectRelocationToSymbolThatIsNoMapDataOrCode() {
        byte[] bytes = progs();
        ElfFile elf = new ElfFile(bytes, NAME);
        int license = elf.symbols().stream().filter(s -> s.name().equals("LICENSE")).findFirst().orElseThrow().index();
        int rel = sectionIndex(bytes, ".rel.text"); // its one entry: leaf's ld_imm64 of `hits`
        le(bytes).putInt(sectionData(bytes, rel) + 12, license);
        String message = message(bytes);
        assertTrue(message.contains("symbol 'LICENSE' in section") && message.endsWith(
                "(license) is neither a map, global data nor code"), message);
    }

    @Test
    void shouldRejectCallIntoTheMiddleOfAFunction() {
        byte[] bytes = progs();
        int tc = sectionIndex(bytes, "tc");
        int code = sectionData(bytes, tc);
        // classic_tc insn 1 is `call 13` against .text (leaf at .text insn 14); make it 14.
        assertEquals(13, le(bytes).getInt(code + 8 + 4));
        le(bytes).putInt(code + 8 + 4, 14);
        String message = message(bytes);
        assertTrue(message.endsWith("instruction 1 of section " + tc + " (tc): target instruction 15 of section 2 (.text)"
                + " is not the start of a function"), message);
    }

    @Test
    void shouldRejectUnknownProgramSection() {
        byte[] bytes = progs();
        int socket = sectionIndex(bytes, "socket");
        int tcx = sectionIndex(bytes, "tcx/ingress");
        // Name the socket section "ingress" by pointing into the middle of "tcx/ingress".
        int tcxName = le(bytes).getInt(sectionHeader(bytes, tcx));
        le(bytes).putInt(sectionHeader(bytes, socket), tcxName + 4);
        String message = message(bytes);
        assertTrue(message.startsWith("obj.o: section " + socket + " (ingress): not a program section navstar knows"),
                message);
    }

    @Test
    void shouldNameTheObjectInBtfErrors() {
        byte[] bytes = progs();
        int offset = sectionData(bytes, sectionIndex(bytes, ".BTF"));
        int typesStart = offset + le(bytes).getInt(offset + 4) + le(bytes).getInt(offset + 8);
        le(bytes).putInt(typesStart + 8, 5000); // type 1 (a PTR in this object) now points at type 5000
        String message = message(bytes);
        assertTrue(message.startsWith("obj.o: BTF: type 1 (PTR) refers to type id 5000, but the last id is"), message);
    }

    // ---------------------------------------------------------------- helpers

    @Test
    void shouldRejectCallToAnUndefinedSymbolThatIsNoKfunc() {
        byte[] bytes = TestObjects.bytes(TestObjects.CORE);
        // Rename the ELF symbol bpf_cast_to_kern_ctx (not its BTF declaration): an undefined call, no kfunc.
        ElfFile elf = new ElfFile(bytes, NAME);
        int strtab = sectionData(bytes, sectionIndex(bytes, ".strtab"));
        long strtabSize = elf.section(".strtab").orElseThrow().size();
        byte[] name = "bpf_cast_to_kern_ctx\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int at = -1;
        for (int i = strtab; i + name.length <= strtab + strtabSize && at < 0; i++) {
            if (java.util.Arrays.equals(bytes, i, i + name.length, name, 0, name.length)) {
                at = i;
            }
        }
        assertTrue(at > 0, "symbol name in .strtab");
        bytes[at + name.length - 2] = 'X';
        String message = message(bytes);
        assertTrue(message.contains("call to undefined symbol 'bpf_cast_to_kern_ctX': only kernel functions declared"
                + " 'extern ... __ksym' (kfuncs, in BTF DATASEC .ksyms) may be called undefined"), message);
    }

    private static byte[] progs() {
        return TestObjects.bytes(TestObjects.PROGS);
    }

    private static String message(byte[] bytes) {
        return assertThrows(ObjectFormatException.class, () -> new ElfObjectReader().read(bytes, NAME)).getMessage();
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static int sectionIndex(byte[] bytes, String name) {
        return new ElfFile(bytes, NAME).section(name).orElseThrow().index();
    }

    private static int sectionHeader(byte[] bytes, int index) {
        return (int) le(bytes).getLong(0x28) + 64 * index;
    }

    /** The file offset of a section's data (sh_offset). */
    private static int sectionData(byte[] bytes, int index) {
        return (int) le(bytes).getLong(sectionHeader(bytes, index) + 0x18);
    }
}
