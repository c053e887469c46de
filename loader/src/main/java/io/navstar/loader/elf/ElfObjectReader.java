package io.navstar.loader.elf;

import io.navstar.loader.btf.Btf;
import io.navstar.loader.btf.BtfExt;
import io.navstar.loader.btf.BtfFormatException;
import io.navstar.loader.btf.BtfType;
import io.navstar.loader.btf.CoreRelocation;
import io.navstar.loader.btf.DataSectionLayout;
import io.navstar.loader.spec.KfuncReference;
import io.navstar.loader.spec.MapRelocation;
import io.navstar.loader.spec.MapSpec;
import io.navstar.loader.spec.MapType;
import io.navstar.loader.spec.ObjectSpec;
import io.navstar.loader.spec.Pinning;
import io.navstar.loader.spec.ProgramSpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads a clang-built eBPF object ({@code clang -g -O2 -target bpf -c}) into an {@link ObjectSpec}, with
 * no syscall: BTF-defined maps from {@code .maps}, global data sections as single-entry array maps,
 * one program per global function of each executable section (libbpf's convention, so several
 * programs may share a section), ld_imm64 relocations to maps and global data, bpf-to-bpf calls linked
 * into self-contained instruction streams, and func/line info from {@code .BTF.ext} rewritten per program.
 *
 * <p>Everything read from the file is bounds-checked; malformed input raises an
 * {@link io.navstar.loader.spec.ObjectFormatException} ({@link ElfFormatException} or
 * {@link io.navstar.loader.btf.BtfFormatException}) naming the object and the place, never another
 * exception. Stateless: one instance may read any number of objects from any number of threads.
 */
public final class ElfObjectReader {

    /** BPF_F_RDONLY_PROG: the program may not write the map (include/uapi/linux/bpf.h). */
    public static final int BPF_F_RDONLY_PROG = 1 << 7;
    /** BPF_F_MMAPABLE: the array may be mmap()ed by userspace, as libbpf creates global data maps. */
    public static final int BPF_F_MMAPABLE = 1 << 10;

    /**
     * The largest global data section read (4 MiB): an array map's value_size may not exceed the kernel's
     * KMALLOC_MAX_SIZE (kernel/bpf/arraymap.c array_map_alloc_check), 4 MiB on x86-64 with 4 KiB pages.
     */
    static final long MAX_GLOBAL_DATA_SIZE = 4L << 20;

    /** The longest program the kernel loads (BPF_COMPLEXITY_LIMIT_INSNS, include/linux/bpf.h). */
    static final int MAX_PROGRAM_INSTRUCTIONS = 1_000_000;
    /** A bound on all programs of one object together, so a crafted object cannot exhaust memory. */
    static final long MAX_OBJECT_INSTRUCTIONS = 8_000_000;

    private static final int INSN = ProgramSpec.INSTRUCTION_SIZE;
    private static final int BPF_LD_IMM64 = 0x18;
    private static final int BPF_CALL = 0x85;
    private static final int BPF_PSEUDO_CALL = 1;
    private static final int BPF_PSEUDO_FUNC = 4;
    private static final int BPF_PSEUDO_KFUNC_CALL = 2;

    /** Reads the object at this path. */
    public ObjectSpec read(Path path) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read eBPF object " + path, e);
        }
        return read(bytes, path.toString());
    }

    /**
     * Reads an object from its bytes.
     *
     * @param nameForErrors what error messages call the object (a path or resource name)
     */
    public ObjectSpec read(byte[] bytes, String nameForErrors) {
        try {
            return new Reading(new ElfFile(bytes, nameForErrors)).read();
        } catch (BtfFormatException e) {
            throw new BtfFormatException(nameForErrors + ": " + e.getMessage());
        }
    }

    /** The state of one read. */
    private static final class Reading implements DataSectionLayout {
        private final ElfFile elf;
        private final Map<Integer, List<Function>> functionsBySection = new HashMap<>();
        private final Map<Integer, Map<Integer, Function>> functionStarts = new HashMap<>();
        private final Map<Integer, byte[]> sectionData = new HashMap<>();
        private long linkedInstructions;
        private final Map<Integer, Map<Integer, ElfFile.Symbol>> relocationsBySection = new HashMap<>();
        private final Map<Integer, String> dataMapBySection = new HashMap<>();
        private final Map<Long, String> btfMapByOffset = new HashMap<>();
        private Map<String, Map<String, ElfFile.Symbol>> variables;
        private int mapsSection = -1;
        private Btf btf;
        private BtfExt btfExt;
        /** The kfuncs the object declares (FUNCs of its .ksyms DATASEC): name to BTF FUNC id. */
        private final Map<String, Integer> kfuncs = new HashMap<>();
        private String license = "";

        Reading(ElfFile elf) {
            this.elf = elf;
        }

        ObjectSpec read() {
            for (ElfFile.Section section : elf.sections()) {
                if (section.name().equals("maps") && section.type() == ElfFile.SHT_PROGBITS) {
                    throw elf.fail("legacy map definitions in section 'maps' are not supported: declare maps "
                            + "with BTF in SEC(\".maps\")");
                }
            }
            elf.section("license").ifPresent(section -> license = cString(section));
            readBtf();
            Map<String, MapSpec> maps = new LinkedHashMap<>();
            readBtfMaps(maps);
            readGlobalData(maps);
            collectFunctions();
            collectRelocations();
            Map<String, ProgramSpec> programs = new LinkedHashMap<>();
            for (ElfFile.Section section : elf.sections()) {
                if (!section.executable() || section.size() == 0 || isSubprogramSection(section.name())) {
                    continue;
                }
                ProgramSection kind = ProgramSection.of(section.name()).orElseThrow(() -> elf.fail(section
                        + ": not a program section navstar knows (known: "
                        + ProgramSection.known().stream().map(ProgramSection::name).toList() + ")"));
                List<Function> functions = functionsBySection.getOrDefault(section.index(), List.of());
                if (functions.isEmpty()) {
                    throw elf.fail(section + ": " + section.size() + " bytes of code but no function symbol");
                }
                for (Function function : functions) {
                    if (function.global()) {
                        programs.put(function.name(), link(function, kind));
                    }
                }
            }
            return new ObjectSpec(Collections.unmodifiableMap(maps), Collections.unmodifiableMap(programs), btf,
                    license);
        }

        /** {@code .text} and {@code .text.*} (clang -ffunction-sections) hold subprograms only, as in libbpf. */
        private static boolean isSubprogramSection(String name) {
            return name.equals(".text") || name.startsWith(".text.");
        }

        private String cString(ElfFile.Section section) {
            if (section.type() == ElfFile.SHT_NOBITS) {
                return "";
            }
            byte[] data = elf.data(section);
            int end = 0;
            while (end < data.length && data[end] != 0) {
                end++;
            }
            return new String(data, 0, end, StandardCharsets.UTF_8);
        }

        // ------------------------------------------------------------ BTF

        private void readBtf() {
            Optional<ElfFile.Section> btfSection = elf.section(".BTF");
            if (btfSection.isEmpty()) {
                return;
            }
            if (btfSection.get().type() != ElfFile.SHT_PROGBITS) {
                throw elf.fail(btfSection.get() + " is not SHT_PROGBITS");
            }
            Btf declared = Btf.parse(elf.data(btfSection.get()));
            declared.dataSectionId(".ksyms").ifPresent(id -> {
                for (BtfType.VarSecinfo entry : ((BtfType.Datasec) declared.type(id)).variables()) {
                    if (declared.type(entry.type()) instanceof BtfType.Func func) {
                        kfuncs.putIfAbsent(func.name(), func.id());
                    }
                }
            });
            btf = declared.withDataSectionsFixed(this); // type ids stay: the .ksyms fix-up only appends
            Optional<ElfFile.Section> extSection = elf.section(".BTF.ext");
            if (extSection.isPresent() && extSection.get().type() == ElfFile.SHT_PROGBITS) {
                btfExt = BtfExt.parse(elf.data(extSection.get()), btf);
            }
        }

        @Override
        public OptionalLong sectionSize(String sectionName) {
            return elf.section(sectionName).map(s -> OptionalLong.of(s.size())).orElse(OptionalLong.empty());
        }

        @Override
        public Optional<VariableSymbol> variable(String sectionName, String variableName) {
            if (variables == null) {
                variables = new HashMap<>();
                for (ElfFile.Symbol symbol : elf.symbols()) {
                    if (symbol.type() == ElfFile.STT_OBJECT && symbol.sectionIndex() != ElfFile.SHN_UNDEF
                            && symbol.sectionIndex() < ElfFile.SHN_LORESERVE) {
                        variables.computeIfAbsent(elf.section(symbol.sectionIndex()).name(), k -> new HashMap<>())
                                .putIfAbsent(symbol.name(), symbol);
                    }
                }
            }
            ElfFile.Symbol symbol = variables.getOrDefault(sectionName, Map.of()).get(variableName);
            if (symbol == null) {
                return Optional.empty();
            }
            boolean hidden = symbol.visibility() == ElfFile.STV_HIDDEN || symbol.visibility() == ElfFile.STV_INTERNAL;
            return Optional.of(new VariableSymbol(symbol.value(), hidden));
        }

        // ------------------------------------------------------------ maps

        private void readBtfMaps(Map<String, MapSpec> maps) {
            Optional<ElfFile.Section> section = elf.section(".maps");
            if (section.isEmpty()) {
                return;
            }
            if (btf == null) {
                throw elf.fail("section .maps needs BTF to describe its maps: compile with clang -g");
            }
            mapsSection = section.get().index();
            for (Map.Entry<String, BtfMapReader.Definition> entry : new BtfMapReader(btf, elf.objectName()).read()
                    .entrySet()) {
                maps.put(entry.getKey(), entry.getValue().spec());
                btfMapByOffset.put(entry.getValue().offset(), entry.getKey());
            }
        }

        private void readGlobalData(Map<String, MapSpec> maps) {
            for (ElfFile.Section section : elf.sections()) {
                String name = section.name();
                boolean alloc = (section.flags() & ElfFile.SHF_ALLOC) != 0;
                boolean data = section.type() == ElfFile.SHT_PROGBITS && (name.equals(".data")
                        || name.startsWith(".data.") || name.equals(".rodata") || name.startsWith(".rodata."));
                boolean bss = section.type() == ElfFile.SHT_NOBITS && (name.equals(".bss") || name.startsWith(".bss."));
                if (!alloc || !(data || bss) || section.size() == 0) {
                    continue;
                }
                if (section.size() > MAX_GLOBAL_DATA_SIZE) {
                    throw elf.fail(section + ": " + section.size() + " bytes of global data exceed the "
                            + MAX_GLOBAL_DATA_SIZE + " bytes an array map value may hold");
                }
                if (maps.containsKey(name)) {
                    throw elf.fail(section + ": a map of the same name already exists");
                }
                boolean readOnly = name.startsWith(".rodata");
                byte[] initial = bss ? new byte[(int) section.size()] : elf.data(section);
                int valueTypeId = btf == null ? 0 : btf.dataSectionId(name).orElse(0);
                maps.put(name, new MapSpec(name, MapType.ARRAY, 4, (int) section.size(), 1,
                        BPF_F_MMAPABLE | (readOnly ? BPF_F_RDONLY_PROG : 0), Pinning.NONE, 0, valueTypeId, null,
                        initial, readOnly));
                dataMapBySection.put(section.index(), name);
            }
        }

        // ------------------------------------------------------------ functions and relocations

        /** One function: instructions [start, end) of an executable section, indices in instructions. */
        private record Function(ElfFile.Section section, String name, int start, int end, boolean global) {
            int length() {
                return end - start;
            }
        }

        private void collectFunctions() {
            for (ElfFile.Symbol symbol : elf.symbols()) {
                if (symbol.type() != ElfFile.STT_FUNC || symbol.sectionIndex() == ElfFile.SHN_UNDEF
                        || symbol.sectionIndex() >= ElfFile.SHN_LORESERVE) {
                    continue;
                }
                ElfFile.Section section = elf.section(symbol.sectionIndex());
                if (!section.executable()) {
                    throw elf.fail("function " + symbol.name() + " in " + section + ", which is not executable");
                }
                long value = symbol.value();
                long size = symbol.size();
                if (value < 0 || size <= 0 || value % INSN != 0 || size % INSN != 0 || value > section.size()
                        || size > section.size() - value) {
                    throw elf.fail("function " + symbol.name() + " at " + value + " + " + size + " does not fit "
                            + section + " of " + section.size() + " bytes in whole instructions");
                }
                boolean global = symbol.bind() == ElfFile.STB_GLOBAL || symbol.bind() == ElfFile.STB_WEAK;
                functionsBySection.computeIfAbsent(section.index(), k -> new ArrayList<>()).add(new Function(section,
                        symbol.name(), (int) (value / INSN), (int) ((value + size) / INSN), global));
            }
            for (Map.Entry<Integer, List<Function>> entry : functionsBySection.entrySet()) {
                List<Function> functions = entry.getValue();
                functions.sort((a, b) -> Integer.compare(a.start(), b.start()));
                Map<Integer, Function> starts = new HashMap<>();
                functions.forEach(function -> starts.put(function.start(), function));
                functionStarts.put(entry.getKey(), starts);
                for (int i = 1; i < functions.size(); i++) {
                    if (functions.get(i).start() < functions.get(i - 1).end()) {
                        throw elf.fail("functions " + functions.get(i - 1).name() + " and " + functions.get(i).name()
                                + " overlap in " + functions.get(i).section());
                    }
                }
            }
        }

        private void collectRelocations() {
            for (ElfFile.Section rel : elf.sections()) {
                if (rel.type() != ElfFile.SHT_REL) {
                    continue;
                }
                ElfFile.Section target = elf.section(rel.info());
                boolean intoMaps = target.index() == mapsSection && rel.size() > 0;
                if (!target.executable() && !intoMaps) {
                    continue; // .rel.BTF, .rel.BTF.ext, DWARF: nothing to apply
                }
                if (rel.entrySize() != 16 || rel.size() % 16 != 0) {
                    throw elf.fail(rel + ": entry size " + rel.entrySize() + " and size " + rel.size()
                            + " do not describe 16-byte Elf64_Rel entries");
                }
                if (intoMaps) {
                    refuseInnerMapInitialValues(rel); // .rel.maps: inner map slots
                }
                Map<Integer, ElfFile.Symbol> byInstruction = relocationsBySection.computeIfAbsent(target.index(),
                        k -> new HashMap<>());
                for (long at = 0; at < rel.size(); at += 16) {
                    long offset = elf.sectionU64(rel, at);
                    long info = elf.sectionU64(rel, at + 8);
                    if (offset < 0 || offset % INSN != 0 || offset >= target.size()) {
                        throw elf.fail(rel + ": relocation at offset " + offset + " is not an instruction of "
                                + target);
                    }
                    String where = rel + " entry " + at / 16;
                    ElfFile.Symbol symbol = elf.symbol((int) Math.min(info >>> 32, Integer.MAX_VALUE), where);
                    int opcode = (int) (elf.sectionU32(target, offset) & 0xff);
                    if (opcode != BPF_LD_IMM64 && opcode != BPF_CALL) {
                        throw elf.fail("relocation at instruction " + offset / INSN + " of " + target + " against '"
                                + symbol.name() + "': instruction code " + String.format("0x%02x", opcode)
                                + " is neither ld_imm64 nor call");
                    }
                    if (byInstruction.put((int) (offset / INSN), symbol) != null) {
                        throw elf.fail(rel + ": two relocations for instruction " + offset / INSN + " of " + target);
                    }
                }
            }
        }

        /**
         * Relocations into .maps are the {@code .values = { [i] = &inner }} initialisers of maps of maps (or
         * program arrays). An {@link ObjectSpec} has no place for them, so rather than create the map empty
         * behind the author's back, the reader refuses the object and says what to do instead.
         */
        private void refuseInnerMapInitialValues(ElfFile.Section rel) {
            long offset = elf.sectionU64(rel, 0);
            String map = null;
            long start = -1;
            for (Map.Entry<Long, String> entry : btfMapByOffset.entrySet()) {
                if (entry.getKey() <= offset && entry.getKey() > start) {
                    start = entry.getKey();
                    map = entry.getValue();
                }
            }
            throw elf.fail("map " + (map == null ? "at .maps offset " + offset : map)
                    + ": initial values (.values = { ... }) are not supported; insert the inner maps from user space");
        }

        private Function functionAt(ElfFile.Section section, long instruction, At where) {
            Function function = instruction < 0 || instruction > Integer.MAX_VALUE ? null
                    : functionStarts.getOrDefault(section.index(), Map.of()).get((int) instruction);
            if (function != null) {
                return function;
            }
            throw elf.fail(where + ": target instruction " + instruction + " of " + section
                    + " is not the start of a function");
        }

        // ------------------------------------------------------------ linking

        /**
         * Links one program: its own function first, then every function it reaches through bpf-to-bpf calls
         * (and BPF_PSEUDO_FUNC callback addresses), each appended once, with call offsets rewritten for the
         * new layout, as libbpf's bpf_object__reloc_code does.
         */
        private ProgramSpec link(Function main, ProgramSection kind) {
            List<Function> placed = new ArrayList<>();
            Map<Function, Integer> placement = new HashMap<>();
            placed.add(main);
            placement.put(main, 0);
            int total = main.length();
            List<byte[]> code = new ArrayList<>();
            for (int p = 0; p < placed.size(); p++) {
                Function function = placed.get(p);
                byte[] data = sectionData.computeIfAbsent(function.section().index(),
                        index -> elf.data(function.section()));
                code.add(data);
                for (int i = function.start(); i < function.end(); i++) {
                    Target target = callTarget(function, data, i);
                    if (target != null && !placement.containsKey(target.function())) {
                        placement.put(target.function(), total);
                        placed.add(target.function());
                        total += target.function().length();
                        if (total > MAX_PROGRAM_INSTRUCTIONS) {
                            throw elf.fail("program " + main.name() + " would link to more than "
                                    + MAX_PROGRAM_INSTRUCTIONS + " instructions, the kernel's limit");
                        }
                    }
                    if ((data[i * INSN] & 0xff) == BPF_LD_IMM64) {
                        i++;
                    }
                }
            }
            linkedInstructions += total;
            if (linkedInstructions > MAX_OBJECT_INSTRUCTIONS) {
                throw elf.fail("programs would link to more than " + MAX_OBJECT_INSTRUCTIONS
                        + " instructions in all (each gets its own copy of the subprograms it calls)");
            }
            byte[] out = new byte[total * INSN];
            List<MapRelocation> mapRelocations = new ArrayList<>();
            List<KfuncReference> kfuncReferences = new ArrayList<>();
            List<CoreRelocation> coreRelocations = new ArrayList<>();
            for (int p = 0; p < placed.size(); p++) {
                Function function = placed.get(p);
                byte[] data = code.get(p);
                int base = placement.get(function);
                System.arraycopy(data, function.start() * INSN, out, base * INSN, function.length() * INSN);
                if (btfExt != null) {
                    for (CoreRelocation relocation : btfExt.coreRelocations(function.section().name())) {
                        if (relocation.instruction() >= function.start() && relocation.instruction() < function.end()) {
                            coreRelocations.add(relocation.at(base + relocation.instruction() - function.start()));
                        }
                    }
                }
                for (int i = function.start(); i < function.end(); i++) {
                    int newIndex = base + i - function.start();
                    Target target = callTarget(function, data, i);
                    if (target != null) {
                        int newTarget = placement.get(target.function());
                        putImm(out, newIndex, newTarget - newIndex - 1);
                        if (target.pseudoFunc()) {
                            setSrcReg(out, newIndex, BPF_PSEUDO_FUNC);
                            putImm(out, newIndex + 1, 0);
                        }
                    } else {
                        Optional<KfuncReference> kfunc = kfuncReference(function, data, i, newIndex);
                        if (kfunc.isPresent()) {
                            // The kernel's FUNC id goes in at load time; a call is marked as a kfunc call now.
                            if (!kfunc.get().address()) {
                                setSrcReg(out, newIndex, BPF_PSEUDO_KFUNC_CALL);
                            } else {
                                putImm(out, newIndex + 1, 0);
                            }
                            putImm(out, newIndex, 0);
                            kfuncReferences.add(kfunc.get());
                        } else {
                            mapRelocation(function, data, i, newIndex, out).ifPresent(mapRelocations::add);
                        }
                    }
                    if ((data[i * INSN] & 0xff) == BPF_LD_IMM64) {
                        i++;
                    }
                }
            }
            byte[][] info = infoRecords(placed, placement);
            return new ProgramSpec(main.name(), main.section().name(), kind.type(), kind.attachType(), license, out,
                    mapRelocations, info[0], info[0].length == 0 ? 0 : BtfExt.FUNC_INFO_SIZE, info[1],
                    info[1].length == 0 ? 0 : BtfExt.LINE_INFO_SIZE, coreRelocations, kfuncReferences);
        }

        /**
         * A call or ld_imm64 against an undefined symbol: a kfunc, when the object's BTF declares the symbol as an
         * extern FUNC in the .ksyms DATASEC ({@code extern ... __ksym}); anything else undefined is refused.
         */
        private Optional<KfuncReference> kfuncReference(Function function, byte[] data, int i, int newIndex) {
            ElfFile.Symbol symbol = relocationsBySection.getOrDefault(function.section().index(), Map.of()).get(i);
            if (symbol == null || symbol.sectionIndex() != ElfFile.SHN_UNDEF) {
                return Optional.empty();
            }
            boolean address = (data[i * INSN] & 0xff) == BPF_LD_IMM64;
            At where = new At(function.section(), i);
            String reference = (address ? "address of" : "call to") + " undefined symbol '" + symbol.name() + "'";
            if (btf == null) {
                throw elf.fail(where + ": " + reference + ": kfuncs need the object's BTF (compile with clang -g)");
            }
            int funcType = kfuncs.getOrDefault(symbol.name(), 0);
            if (funcType == 0) {
                throw elf.fail(where + ": " + reference + ": only kernel functions declared 'extern ... __ksym'"
                        + " (kfuncs, in BTF DATASEC .ksyms) may be " + (address ? "referenced" : "called")
                        + " undefined; extern variables (__kconfig, typed __ksym) are not supported");
            }
            if (address && i + 1 >= function.end()) {
                throw elf.fail(where + ": ld_imm64 is cut off by the end of function " + function.name());
            }
            return Optional.of(new KfuncReference(newIndex, symbol.name(), address, symbol.bind() == ElfFile.STB_WEAK,
                    funcType));
        }

        /** An instruction of a section, for error messages: rendered only when an error is thrown. */
        private record At(ElfFile.Section section, long instruction) {
            @Override
            public String toString() {
                return "instruction " + instruction + " of " + section;
            }
        }

        /** Where a call or callback address at instruction {@code i} leads. */
        private record Target(Function function, boolean pseudoFunc) {
        }

        private Target callTarget(Function function, byte[] data, int i) {
            int opcode = data[i * INSN] & 0xff;
            if (opcode != BPF_CALL && opcode != BPF_LD_IMM64) {
                return null;
            }
            int srcReg = (data[i * INSN + 1] >>> 4) & 0xf;
            int imm = imm(data, i);
            ElfFile.Symbol symbol = relocationsBySection.getOrDefault(function.section().index(), Map.of()).get(i);
            At where = new At(function.section(), i);
            if (opcode == BPF_CALL && srcReg == BPF_PSEUDO_CALL) {
                if (symbol != null && symbol.sectionIndex() == ElfFile.SHN_UNDEF) {
                    return null; // a kfunc: kfuncReference records it
                }
                if (symbol == null) {
                    // A call the compiler resolved within the section: imm is relative to the next instruction.
                    return target(function.section(), (long) i + imm + 1, where);
                }
                ElfFile.Section section = codeSection(symbol, where);
                // libbpf: callee = symbol value / 8 + imm + 1 (imm is -1 for calls against a function symbol).
                return target(section, symbol.value() / INSN + imm + 1, where);
            }
            if (opcode == BPF_LD_IMM64 && symbol != null && symbol.sectionIndex() != ElfFile.SHN_UNDEF
                    && symbol.sectionIndex() < ElfFile.SHN_LORESERVE
                    && elf.section(symbol.sectionIndex()).executable()) {
                if (i + 1 >= function.end()) {
                    throw elf.fail(where + ": ld_imm64 is cut off by the end of function " + function.name());
                }
                if (imm % INSN != 0) {
                    throw elf.fail(where + ": callback address offset " + imm + " is not a whole instruction");
                }
                return new Target(functionAt(elf.section(symbol.sectionIndex()), (symbol.value() + imm) / INSN, where),
                        true);
            }
            if (opcode == BPF_CALL && symbol != null) {
                throw elf.fail(where + ": call with src_reg " + srcReg + " against symbol '" + symbol.name()
                        + "': clang marks calls against symbols src_reg 1 (BPF_PSEUDO_CALL)");
            }
            return null;
        }

        private Target target(ElfFile.Section section, long instruction, At where) {
            return new Target(functionAt(section, instruction, where), false);
        }

        private ElfFile.Section codeSection(ElfFile.Symbol symbol, At where) {
            if (symbol.sectionIndex() == ElfFile.SHN_UNDEF) {
                throw elf.fail(where + ": call to undefined symbol '" + symbol.name()
                        + "': externs are not supported");
            }
            if (symbol.sectionIndex() >= ElfFile.SHN_LORESERVE || !elf.section(symbol.sectionIndex()).executable()) {
                throw elf.fail(where + ": call to symbol '" + symbol.name() + "', which is not in a code section");
            }
            return elf.section(symbol.sectionIndex());
        }

        private Optional<MapRelocation> mapRelocation(Function function, byte[] data, int i,
                                                                              int newIndex, byte[] out) {
            if ((data[i * INSN] & 0xff) != BPF_LD_IMM64) {
                return Optional.empty(); // collectRelocations refused relocations of any other instruction
            }
            ElfFile.Symbol symbol = relocationsBySection.getOrDefault(function.section().index(), Map.of()).get(i);
            if (symbol == null) {
                return Optional.empty();
            }
            String where = "relocation at instruction " + i + " of " + function.section();
            if (i + 1 >= function.end()) {
                throw elf.fail(where + ": ld_imm64 is cut off by the end of function " + function.name());
            }
            if (symbol.sectionIndex() == ElfFile.SHN_UNDEF) {
                throw elf.fail(where + ": reference to undefined symbol '" + symbol.name()
                        + "': externs (.kconfig, .ksyms) are not supported");
            }
            if (symbol.sectionIndex() >= ElfFile.SHN_LORESERVE) {
                throw elf.fail(where + ": symbol '" + symbol.name() + "' has special section index "
                        + symbol.sectionIndex());
            }
            long offset = symbol.value() + imm(data, i);
            if (symbol.sectionIndex() == mapsSection) {
                String map = btfMapByOffset.get(offset);
                if (map == null) {
                    throw elf.fail(where + ": symbol '" + symbol.name() + "' + " + imm(data, i)
                            + " is no map of .maps");
                }
                putImm(out, newIndex, 0);
                putImm(out, newIndex + 1, 0);
                return Optional.of(new MapRelocation(newIndex, map, 0, false));
            }
            String dataMap = dataMapBySection.get(symbol.sectionIndex());
            if (dataMap != null) {
                ElfFile.Section section = elf.section(symbol.sectionIndex());
                if (offset < 0 || offset >= section.size()) {
                    throw elf.fail(where + ": offset " + offset + " into " + section + " beyond its "
                            + section.size() + " bytes");
                }
                putImm(out, newIndex, 0);
                putImm(out, newIndex + 1, (int) offset);
                return Optional.of(new MapRelocation(newIndex, dataMap, (int) offset, true));
            }
            throw elf.fail(where + ": symbol '" + symbol.name() + "' in " + elf.section(symbol.sectionIndex())
                    + " is neither a map, global data nor code");
        }

        /**
         * The program's func_info and line_info for BPF_PROG_LOAD: each placed function's records from
         * .BTF.ext, moved from section byte offsets to instruction offsets in the linked program.
         */
        private byte[][] infoRecords(List<Function> placed, Map<Function, Integer> placement) {
            if (btfExt == null) {
                return new byte[][] {new byte[0], new byte[0]};
            }
            List<int[]> funcs = new ArrayList<>();
            List<int[]> lines = new ArrayList<>();
            for (Function function : placed) {
                long start = (long) function.start() * INSN;
                long end = (long) function.end() * INSN;
                int base = placement.get(function);
                List<BtfExt.FuncInfo> funcInfo = btfExt.funcInfo(function.section().name());
                for (int r = firstAtOrAfter(funcInfo, BtfExt.FuncInfo::byteOffset, start); r < funcInfo.size()
                        && funcInfo.get(r).byteOffset() < end; r++) {
                    BtfExt.FuncInfo record = funcInfo.get(r);
                    funcs.add(new int[] {instructionOffset(record.byteOffset(), start, base, "func_info"),
                            record.typeId()});
                }
                List<BtfExt.LineInfo> lineInfo = btfExt.lineInfo(function.section().name());
                for (int r = firstAtOrAfter(lineInfo, BtfExt.LineInfo::byteOffset, start); r < lineInfo.size()
                        && lineInfo.get(r).byteOffset() < end; r++) {
                    BtfExt.LineInfo record = lineInfo.get(r);
                    lines.add(new int[] {instructionOffset(record.byteOffset(), start, base, "line_info"),
                            record.fileNameOffset(), record.lineOffset(), record.lineColumn()});
                }
            }
            return new byte[][] {pack(funcs), pack(lines)};
        }

        /** Binary search in records sorted by offset (BtfExt sorts them): the first at or after {@code offset}. */
        private static <T> int firstAtOrAfter(List<T> records, java.util.function.ToLongFunction<T> offsetOf,
                                              long offset) {
            int low = 0;
            int high = records.size();
            while (low < high) {
                int middle = (low + high) >>> 1;
                if (offsetOf.applyAsLong(records.get(middle)) < offset) {
                    low = middle + 1;
                } else {
                    high = middle;
                }
            }
            return low;
        }

        private int instructionOffset(long byteOffset, long functionStart, int base, String what) {
            if (byteOffset % INSN != 0) {
                throw elf.fail(".BTF.ext " + what + " at byte offset " + byteOffset + " is not an instruction");
            }
            return base + (int) ((byteOffset - functionStart) / INSN);
        }

        private static byte[] pack(List<int[]> records) {
            if (records.isEmpty()) {
                return new byte[0];
            }
            int width = records.get(0).length;
            byte[] out = new byte[records.size() * width * 4];
            int at = 0;
            for (int[] record : records) {
                for (int field : record) {
                    putU32(out, at, field);
                    at += 4;
                }
            }
            return out;
        }
    }

    // ---------------------------------------------------------------- instruction fields

    /** The 32-bit immediate of instruction {@code index} (struct bpf_insn: code, regs, off, imm). */
    private static int imm(byte[] code, int index) {
        int at = index * INSN + 4;
        return (code[at] & 0xff) | (code[at + 1] & 0xff) << 8 | (code[at + 2] & 0xff) << 16 | code[at + 3] << 24;
    }

    private static void putImm(byte[] code, int index, int value) {
        putU32(code, index * INSN + 4, value);
    }

    private static void setSrcReg(byte[] code, int index, int srcReg) {
        int at = index * INSN + 1;
        code[at] = (byte) ((code[at] & 0x0f) | srcReg << 4);
    }

    private static void putU32(byte[] out, int at, int value) {
        out[at] = (byte) value;
        out[at + 1] = (byte) (value >>> 8);
        out[at + 2] = (byte) (value >>> 16);
        out[at + 3] = (byte) (value >>> 24);
    }
}
