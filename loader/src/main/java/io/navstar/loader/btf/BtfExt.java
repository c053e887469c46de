package io.navstar.loader.btf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code .BTF.ext} section (Documentation/bpf/btf.rst §4.2): per ELF section, the func_info records
 * that give each function its BTF FUNC type, and the line_info records that map instructions to source
 * lines, and the CO-RE relocation records ({@link CoreRelocation}) that say which instructions hold values the
 * compiler computed from the object's own types. Offsets here are in bytes from the start of the ELF section, as clang writes them; the ELF reader
 * turns them into per-program, per-instruction records for BPF_PROG_LOAD. Every length is checked against
 * the section and every type id and string offset against the {@link Btf}. Immutable; thread-safe.
 */
public final class BtfExt {

    /** Size of struct bpf_func_info: insn_off, type_id. */
    public static final int FUNC_INFO_SIZE = 8;
    /** Size of struct bpf_line_info: insn_off, file_name_off, line_off, line_col. */
    public static final int LINE_INFO_SIZE = 16;

    private static final int MIN_HEADER_SIZE = 24;
    private static final int CORE_HEADER_SIZE = 32;
    private static final int INSTRUCTION_SIZE = 8;

    /** One function's BTF type at a byte offset of its ELF section. */
    public record FuncInfo(long byteOffset, int typeId) {
    }

    /**
     * One instruction's source position at a byte offset of its ELF section.
     *
     * @param fileNameOffset BTF string offset of the source file name
     * @param lineOffset     BTF string offset of the source line's text
     * @param lineColumn     line number in the upper 22 bits, column in the lower 10
     */
    public record LineInfo(long byteOffset, int fileNameOffset, int lineOffset, int lineColumn) {

        /** The source line number. */
        public int line() {
            return lineColumn >>> 10;
        }

        /** The source column. */
        public int column() {
            return lineColumn & 0x3ff;
        }
    }

    private final Map<String, List<FuncInfo>> funcInfo;
    private final Map<String, List<LineInfo>> lineInfo;
    private final Map<String, List<CoreRelocation>> coreRelocations;

    private BtfExt(Map<String, List<FuncInfo>> funcInfo, Map<String, List<LineInfo>> lineInfo,
                   Map<String, List<CoreRelocation>> coreRelocations) {
        this.funcInfo = funcInfo;
        this.lineInfo = lineInfo;
        this.coreRelocations = coreRelocations;
    }

    /**
     * Parses a {@code .BTF.ext} section against the object's BTF.
     *
     * @throws BtfFormatException naming the fault when the bytes are malformed or refer outside {@code btf}
     */
    public static BtfExt parse(byte[] bytes, Btf btf) {
        if (bytes.length < MIN_HEADER_SIZE) {
            throw new BtfFormatException("BTF.ext: " + bytes.length + " bytes is shorter than the header");
        }
        int magic = Btf.u16(bytes, 0);
        if (magic != Btf.MAGIC) {
            throw new BtfFormatException(String.format("BTF.ext: bad magic 0x%04x (expected 0xeb9f)", magic));
        }
        if ((bytes[2] & 0xff) != 1) {
            throw new BtfFormatException("BTF.ext: unsupported version " + (bytes[2] & 0xff));
        }
        long headerLength = Btf.u32(bytes, 4);
        if (headerLength < MIN_HEADER_SIZE || headerLength > bytes.length) {
            throw new BtfFormatException("BTF.ext: header length " + headerLength + " outside [" + MIN_HEADER_SIZE
                    + ", " + bytes.length + "]");
        }
        Map<String, List<FuncInfo>> funcs = new LinkedHashMap<>();
        forEachRecord(bytes, btf, headerLength, Btf.u32(bytes, 8), Btf.u32(bytes, 12), FUNC_INFO_SIZE, "func_info",
                (section, at) -> {
                    long typeId = Btf.u32(bytes, at + 4);
                    if (typeId >= btf.typeCount() || btf.type((int) typeId).kind() != BtfKind.FUNC) {
                        throw new BtfFormatException("BTF.ext: func_info of section " + section + " names type "
                                + typeId + ", which is not a FUNC");
                    }
                    funcs.computeIfAbsent(section, k -> new ArrayList<>())
                            .add(new FuncInfo(Btf.u32(bytes, at), (int) typeId));
                });
        Map<String, List<LineInfo>> lines = new LinkedHashMap<>();
        forEachRecord(bytes, btf, headerLength, Btf.u32(bytes, 16), Btf.u32(bytes, 20), LINE_INFO_SIZE, "line_info",
                (section, at) -> {
                    long file = Btf.u32(bytes, at + 4);
                    long line = Btf.u32(bytes, at + 8);
                    btf.checkString(file, new Place("line_info file name", section));
                    btf.checkString(line, new Place("line_info source line", section));
                    lines.computeIfAbsent(section, k -> new ArrayList<>())
                            .add(new LineInfo(Btf.u32(bytes, at), (int) file, (int) line, (int) Btf.u32(bytes, at + 12)));
                });
        Map<String, List<CoreRelocation>> core = new LinkedHashMap<>();
        if (headerLength >= CORE_HEADER_SIZE) {
            forEachRecord(bytes, btf, headerLength, Btf.u32(bytes, 24), Btf.u32(bytes, 28),
                    CoreRelocation.RECORD_SIZE, "core_relo", (section, at) -> {
                        long byteOffset = Btf.u32(bytes, at);
                        long typeId = Btf.u32(bytes, at + 4);
                        long kindValue = Btf.u32(bytes, at + 12);
                        Place place = new Place("core_relo access string", section);
                        if (byteOffset % INSTRUCTION_SIZE != 0) {
                            throw new BtfFormatException("BTF.ext: core_relo of section " + section + " at byte offset "
                                    + byteOffset + " is not an instruction");
                        }
                        if (typeId == 0 || typeId >= btf.typeCount()) {
                            throw new BtfFormatException("BTF.ext: core_relo of section " + section + " at byte offset "
                                    + byteOffset + " names type " + typeId + ", outside [1, " + btf.typeCount() + ")");
                        }
                        CoreRelocation.Kind kind = CoreRelocation.Kind.ofKernelValue(kindValue);
                        if (kind == null) {
                            throw new BtfFormatException("BTF.ext: core_relo of section " + section + " at byte offset "
                                    + byteOffset + " has unknown kind " + kindValue);
                        }
                        String access = btf.string(Btf.u32(bytes, at + 8), place);
                        core.computeIfAbsent(section, k -> new ArrayList<>()).add(new CoreRelocation(
                                (int) (byteOffset / INSTRUCTION_SIZE), (int) typeId, access, kind));
                    });
        }
        core.replaceAll((k, v) -> v.stream()
                .sorted(java.util.Comparator.comparingInt(CoreRelocation::instruction)).toList());
        // Sorted by offset (clang already writes them so; the kernel needs them so, and the reader searches them).
        funcs.replaceAll((k, v) -> v.stream().sorted(java.util.Comparator.comparingLong(FuncInfo::byteOffset)).toList());
        lines.replaceAll((k, v) -> v.stream().sorted(java.util.Comparator.comparingLong(LineInfo::byteOffset)).toList());
        return new BtfExt(Collections.unmodifiableMap(funcs), Collections.unmodifiableMap(lines),
                Collections.unmodifiableMap(core));
    }

    /** What a string offset was read for, rendered only in an error message. */
    private record Place(String what, String section) {
        @Override
        public String toString() {
            return "BTF.ext " + what + (section == null ? "" : " of section " + section);
        }
    }

    private interface RecordSink {
        void accept(String section, int at);
    }

    /** Walks one info block: u32 record size, then {sec_name_off, num_info, records} until its end. */
    private static void forEachRecord(byte[] bytes, Btf btf, long headerLength, long offset, long length,
                                      int minimumRecordSize, String what, RecordSink sink) {
        if (length == 0) {
            return;
        }
        long start = headerLength + offset;
        long end = start + length;
        if (end > bytes.length) {
            throw new BtfFormatException("BTF.ext: " + what + " " + offset + " + " + length + " beyond section size "
                    + (bytes.length - headerLength));
        }
        if (length < 4) {
            throw new BtfFormatException("BTF.ext: " + what + " of " + length + " bytes has no record size");
        }
        long recordSize = Btf.u32(bytes, (int) start);
        if (recordSize < minimumRecordSize || (recordSize & 3) != 0 || recordSize > 1024) {
            throw new BtfFormatException("BTF.ext: " + what + " record size " + recordSize + " (expected at least "
                    + minimumRecordSize + ", a multiple of 4)");
        }
        long pos = start + 4;
        while (pos < end) {
            if (pos + 8 > end) {
                throw new BtfFormatException("BTF.ext: " + what + " block header at " + (pos - headerLength)
                        + " truncated");
            }
            String section = btf.string(Btf.u32(bytes, (int) pos), new Place(what + " section name", null));
            long count = Btf.u32(bytes, (int) pos + 4);
            pos += 8;
            if (count == 0 || count * recordSize > end - pos) {
                throw new BtfFormatException("BTF.ext: " + what + " of section " + section + ": " + count
                        + " records of " + recordSize + " bytes do not fit the " + (end - pos) + " bytes left");
            }
            for (long i = 0; i < count; i++) {
                sink.accept(section, (int) pos);
                pos += recordSize;
            }
        }
    }

    /** The func_info records of this ELF section, by increasing offset (empty when none). */
    public List<FuncInfo> funcInfo(String sectionName) {
        return funcInfo.getOrDefault(sectionName, List.of());
    }

    /** The line_info records of this ELF section, by increasing offset (empty when none). */
    public List<LineInfo> lineInfo(String sectionName) {
        return lineInfo.getOrDefault(sectionName, List.of());
    }

    /**
     * The CO-RE relocation records of this ELF section (struct bpf_core_relo), by increasing instruction, with
     * instructions counted from the start of the section (empty when none).
     */
    public List<CoreRelocation> coreRelocations(String sectionName) {
        return coreRelocations.getOrDefault(sectionName, List.of());
    }

    /** The number of CO-RE relocation records per ELF section that has any. */
    public Map<String, Integer> coreRelocationCounts() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        coreRelocations.forEach((section, records) -> counts.put(section, records.size()));
        return Collections.unmodifiableMap(counts);
    }
}
