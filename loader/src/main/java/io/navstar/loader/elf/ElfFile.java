package io.navstar.loader.elf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A relocatable ELF64 little-endian eBPF object (e_machine EM_BPF), decoded into its section headers and
 * symbol table: the container layer under {@link ElfObjectReader}. Follows the System V gABI (ELF-64
 * Object File Format, sections 4 "Sections" and 5 "Symbol table") including the extended section count
 * and string table index kept in section 0. Every offset, size and index is checked against the file
 * before use. Confined to the one read that made it (it caches string table indexes lazily).
 */
final class ElfFile {

    static final int SHT_PROGBITS = 1;
    static final int SHT_SYMTAB = 2;
    static final int SHT_STRTAB = 3;
    static final int SHT_NOBITS = 8;
    static final int SHT_REL = 9;

    static final long SHF_WRITE = 0x1;
    static final long SHF_ALLOC = 0x2;
    static final long SHF_EXECINSTR = 0x4;

    static final int STT_OBJECT = 1;
    static final int STT_FUNC = 2;
    static final int STT_SECTION = 3;

    static final int STB_LOCAL = 0;
    static final int STB_GLOBAL = 1;
    static final int STB_WEAK = 2;

    static final int STV_INTERNAL = 1;
    static final int STV_HIDDEN = 2;

    static final int SHN_UNDEF = 0;
    static final int SHN_LORESERVE = 0xff00;
    static final int SHN_XINDEX = 0xffff;

    private static final int EM_BPF = 247;
    private static final int ET_REL = 1;
    private static final int HEADER_SIZE = 64;
    private static final int SECTION_HEADER_SIZE = 64;
    private static final int SYMBOL_SIZE = 24;

    /** One section header (gABI Figure 4-8), with its name resolved. */
    record Section(int index, String name, int type, long flags, long offset, long size, int link, int info,
                   long entrySize) {

        boolean executable() {
            return type == SHT_PROGBITS && (flags & SHF_EXECINSTR) != 0;
        }

        @Override
        public String toString() {
            return "section " + index + " (" + name + ")";
        }
    }

    /** One symbol table entry (gABI Figure 5-1), with its name resolved. */
    record Symbol(int index, String name, int type, int bind, int visibility, int sectionIndex, long value,
                  long size) {
    }

    private final String objectName;
    private final byte[] bytes;
    private final List<Section> sections;
    private final List<Symbol> symbols;
    private final Map<String, Section> sectionsByName;
    private final Map<Integer, int[]> stringEnds = new HashMap<>();

    ElfFile(byte[] bytes, String objectName) {
        this.bytes = bytes;
        this.objectName = objectName;
        checkIdentification();
        long sectionHeaderOffset = u64(0x28);
        int sectionHeaderSize = u16(0x3a);
        long sectionCount = u16(0x3c);
        int namesIndex = u16(0x3e);
        if (sectionHeaderOffset == 0 || sectionHeaderOffset < 0) {
            throw fail("no section header table");
        }
        if (sectionHeaderSize != SECTION_HEADER_SIZE) {
            throw fail("section header size " + sectionHeaderSize + " (expected " + SECTION_HEADER_SIZE + ")");
        }
        if (sectionHeaderOffset > bytes.length || bytes.length - sectionHeaderOffset < SECTION_HEADER_SIZE) {
            throw fail("section header table at " + sectionHeaderOffset + " beyond file size " + bytes.length);
        }
        int first = (int) sectionHeaderOffset;
        if (sectionCount == 0) {
            sectionCount = u64(first + 0x20); // gABI: the real count is section 0's sh_size
        }
        if (namesIndex == SHN_XINDEX) {
            namesIndex = (int) u32(first + 0x28); // ... and the real string table index its sh_link
        }
        if (sectionCount < 0 || sectionCount > (bytes.length - sectionHeaderOffset) / SECTION_HEADER_SIZE) {
            throw fail("section header table at " + sectionHeaderOffset + " with " + sectionCount
                    + " entries of " + SECTION_HEADER_SIZE + " bytes beyond file size " + bytes.length);
        }
        int count = (int) sectionCount;
        if (namesIndex <= 0 || namesIndex >= count) {
            throw fail("section name table index " + namesIndex + " out of range [1, " + count + ")");
        }
        List<long[]> headers = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int at = first + i * SECTION_HEADER_SIZE;
            headers.add(new long[] {u32(at), u32(at + 4), u64(at + 8), u64(at + 0x18), u64(at + 0x20), u32(at + 0x28),
                    u32(at + 0x2c), u64(at + 0x38)});
        }
        long[] namesHeader = headers.get(namesIndex);
        if (namesHeader[1] != SHT_STRTAB) {
            throw fail("section name table (section " + namesIndex + ") has type " + namesHeader[1]
                    + ", not SHT_STRTAB");
        }
        checkExtent(namesIndex, "section names", namesHeader[3], namesHeader[4]);
        List<Section> parsed = new ArrayList<>(count);
        Map<String, Section> byName = new HashMap<>();
        for (int i = 0; i < count; i++) {
            long[] h = headers.get(i);
            String name = i == 0 ? "" : string(namesIndex, namesHeader[3], namesHeader[4], h[0], "name of section " + i);
            Section section = new Section(i, name, (int) h[1], h[2], h[3], h[4], (int) h[5], (int) h[6], h[7]);
            if (i != 0 && section.type() != SHT_NOBITS) {
                checkExtent(i, name, section.offset(), section.size());
            }
            parsed.add(section);
            byName.putIfAbsent(name, section);
        }
        this.sections = Collections.unmodifiableList(parsed);
        this.sectionsByName = byName;
        this.symbols = readSymbols();
    }

    private void checkIdentification() {
        if (bytes.length < HEADER_SIZE) {
            throw fail(bytes.length + " bytes is shorter than the " + HEADER_SIZE + "-byte ELF64 header");
        }
        if (bytes[0] != 0x7f || bytes[1] != 'E' || bytes[2] != 'L' || bytes[3] != 'F') {
            throw fail("not an ELF file (bad magic)");
        }
        if (bytes[4] != 2) {
            throw fail("ELF class " + bytes[4] + " is not ELFCLASS64");
        }
        if (bytes[5] != 1) {
            throw fail(bytes[5] == 2 ? "big-endian ELF is not supported (ELFDATA2MSB)"
                    : "ELF data encoding " + bytes[5] + " is not ELFDATA2LSB");
        }
        if (bytes[6] != 1) {
            throw fail("ELF version " + bytes[6] + " is not EV_CURRENT");
        }
        int type = u16(0x10);
        if (type != ET_REL) {
            throw fail("ELF type " + type + " is not ET_REL (a relocatable object, as clang -c writes)");
        }
        int machine = u16(0x12);
        if (machine != EM_BPF) {
            throw fail("machine " + machine + " is not EM_BPF (247): compile with clang -target bpf");
        }
    }

    private void checkExtent(int index, String name, long offset, long size) {
        if (offset < 0 || size < 0 || offset > bytes.length || size > bytes.length - offset) {
            throw fail("section " + index + " (" + name + ") offset " + offset + " + " + size
                    + " beyond file size " + bytes.length);
        }
    }

    private List<Symbol> readSymbols() {
        Section table = null;
        for (Section section : sections) {
            if (section.type() == SHT_SYMTAB) {
                if (table != null) {
                    throw fail("more than one symbol table (sections " + table.index() + " and " + section.index() + ")");
                }
                table = section;
            }
        }
        if (table == null) {
            throw fail("no symbol table (stripped object?)");
        }
        if (table.entrySize() != SYMBOL_SIZE || table.size() % SYMBOL_SIZE != 0) {
            throw fail(table + ": entry size " + table.entrySize() + " and size " + table.size()
                    + " do not describe " + SYMBOL_SIZE + "-byte symbols");
        }
        if (table.link() <= 0 || table.link() >= sections.size() || sections.get(table.link()).type() != SHT_STRTAB) {
            throw fail(table + ": string table index " + table.link() + " is not a SHT_STRTAB section");
        }
        Section names = sections.get(table.link());
        int count = (int) (table.size() / SYMBOL_SIZE);
        List<Symbol> parsed = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int at = (int) table.offset() + i * SYMBOL_SIZE;
            long nameOffset = u32(at);
            int info = bytes[at + 4] & 0xff;
            int other = bytes[at + 5] & 0xff;
            int sectionIndex = u16(at + 6);
            String name = i == 0 ? "" : string(names.index(), names.offset(), names.size(), nameOffset,
                    "name of symbol " + i);
            if (sectionIndex != SHN_UNDEF && sectionIndex < SHN_LORESERVE && sectionIndex >= sections.size()) {
                throw fail("symbol " + i + " (" + name + ") in section " + sectionIndex + ", but the object has "
                        + sections.size() + " sections");
            }
            parsed.add(new Symbol(i, name, info & 0xf, info >>> 4, other & 0x3, sectionIndex, u64(at + 8),
                    u64(at + 16)));
        }
        return Collections.unmodifiableList(parsed);
    }

    private String string(int tableIndex, long tableOffset, long tableSize, long offset, String what) {
        if (offset >= tableSize) {
            throw fail(what + ": string offset " + offset + " beyond string table (section " + tableIndex
                    + ") of " + tableSize + " bytes");
        }
        int[] ends = stringEnds.computeIfAbsent(tableIndex, k -> {
            int[] next = new int[(int) tableSize];
            int nul = -1;
            for (int i = next.length - 1; i >= 0; i--) {
                if (bytes[(int) tableOffset + i] == 0) {
                    nul = i;
                }
                next[i] = nul;
            }
            return next;
        });
        int end = ends[(int) offset];
        if (end < 0) {
            throw fail(what + ": string at offset " + offset + " of section " + tableIndex + " is not terminated");
        }
        return new String(bytes, (int) (tableOffset + offset), end - (int) offset, StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- accessors

    String objectName() {
        return objectName;
    }

    List<Section> sections() {
        return sections;
    }

    Section section(int index) {
        if (index < 0 || index >= sections.size()) {
            throw fail("section index " + index + " out of range [0, " + sections.size() + ")");
        }
        return sections.get(index);
    }

    Optional<Section> section(String name) {
        return Optional.ofNullable(sectionsByName.get(name));
    }

    List<Symbol> symbols() {
        return symbols;
    }

    Symbol symbol(int index, String where) {
        if (index < 0 || index >= symbols.size()) {
            throw fail(where + ": symbol index " + index + " out of range [0, " + symbols.size() + ")");
        }
        return symbols.get(index);
    }

    /** The section's bytes (a copy); for SHT_NOBITS, the caller must not ask (it has no file bytes). */
    byte[] data(Section section) {
        if (section.type() == SHT_NOBITS) {
            throw new IllegalStateException(section + " has no file data");
        }
        byte[] out = new byte[(int) section.size()];
        System.arraycopy(bytes, (int) section.offset(), out, 0, out.length);
        return out;
    }

    /** A little-endian u32 at this byte offset inside the section; the caller checks the range. */
    long sectionU32(Section section, long offsetInSection) {
        return u32((int) (section.offset() + offsetInSection));
    }

    /** A little-endian u64 at this byte offset inside the section; the caller checks the range. */
    long sectionU64(Section section, long offsetInSection) {
        return u64((int) (section.offset() + offsetInSection));
    }

    ElfFormatException fail(String message) {
        return new ElfFormatException(objectName + ": " + message);
    }

    private int u16(int at) {
        return (bytes[at] & 0xff) | (bytes[at + 1] & 0xff) << 8;
    }

    private long u32(int at) {
        return (bytes[at] & 0xffL) | (bytes[at + 1] & 0xffL) << 8 | (bytes[at + 2] & 0xffL) << 16
                | (bytes[at + 3] & 0xffL) << 24;
    }

    private long u64(int at) {
        return u32(at) | u32(at + 4) << 32;
    }
}
