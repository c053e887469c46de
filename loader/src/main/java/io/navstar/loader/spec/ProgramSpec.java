package io.navstar.loader.spec;

import io.navstar.loader.btf.CoreRelocation;

import java.util.List;
import java.util.Objects;

/**
 * What a program should be, as read from one executable ELF section with its bpf-to-bpf callees already
 * linked in (their instructions appended and call offsets fixed); pure data. Map references remain as
 * {@link MapRelocation}s, resolved when the loader knows the map descriptors.
 *
 * @param name               the program's function name
 * @param sectionName        the ELF section it came from ("xdp", "tcx/ingress", "cgroup/connect4", ...)
 * @param type               program type implied by the section
 * @param expectedAttachType expected attach type implied by the section, or null when the type needs none
 * @param license            the object's license string ("GPL", "Dual BSD/GPL", ...)
 * @param instructions       the instructions, 8 bytes each, little-endian as in the object
 * @param mapRelocations     the ld_imm64 instructions that take a map
 * @param funcInfo           bpf_func_info records for BPF_PROG_LOAD (insn_off in instructions), or empty
 * @param funcInfoRecordSize size of one bpf_func_info record, 0 when none
 * @param lineInfo           bpf_line_info records for BPF_PROG_LOAD, or empty
 * @param lineInfoRecordSize size of one bpf_line_info record, 0 when none
 * @param coreRelocations    CO-RE relocations, instruction indices in this program, applied at load time against
 *                           the kernel's BTF (see {@link io.navstar.loader.btf.CoreRelocator})
 * @param kfuncReferences    calls to kernel functions and loads of their addresses, resolved at load time
 *                           against the kernel's BTF
 */
public record ProgramSpec(
        String name,
        String sectionName,
        ProgramType type,
        AttachType expectedAttachType,
        String license,
        byte[] instructions,
        List<MapRelocation> mapRelocations,
        byte[] funcInfo,
        int funcInfoRecordSize,
        byte[] lineInfo,
        int lineInfoRecordSize,
        List<CoreRelocation> coreRelocations,
        List<KfuncReference> kfuncReferences) {

    /** Size in bytes of one eBPF instruction. */
    public static final int INSTRUCTION_SIZE = 8;

    public ProgramSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(instructions, "instructions");
        if (instructions.length % INSTRUCTION_SIZE != 0) {
            throw new IllegalArgumentException("program " + name + ": " + instructions.length
                    + " bytes of instructions is not a multiple of " + INSTRUCTION_SIZE);
        }
        mapRelocations = List.copyOf(mapRelocations);
        funcInfo = funcInfo == null ? new byte[0] : funcInfo;
        lineInfo = lineInfo == null ? new byte[0] : lineInfo;
        coreRelocations = coreRelocations == null ? List.of() : List.copyOf(coreRelocations);
        kfuncReferences = kfuncReferences == null ? List.of() : List.copyOf(kfuncReferences);
    }

    /** A program with neither CO-RE relocations nor kfunc calls (hand-assembled, or from an older reader). */
    public ProgramSpec(String name, String sectionName, ProgramType type, AttachType expectedAttachType,
                       String license, byte[] instructions, List<MapRelocation> mapRelocations, byte[] funcInfo,
                       int funcInfoRecordSize, byte[] lineInfo, int lineInfoRecordSize) {
        this(name, sectionName, type, expectedAttachType, license, instructions, mapRelocations, funcInfo,
                funcInfoRecordSize, lineInfo, lineInfoRecordSize, List.of(), List.of());
    }

    /** True when loading needs the kernel's BTF (CO-RE relocations or kfunc calls). */
    public boolean needsKernelBtf() {
        return !coreRelocations.isEmpty() || !kfuncReferences.isEmpty();
    }

    /** Number of instructions. */
    public int instructionCount() {
        return instructions.length / INSTRUCTION_SIZE;
    }
}
