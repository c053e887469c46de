package io.navstar.loader;

import io.navstar.loader.btf.Btf;
import io.navstar.loader.btf.BtfKind;
import io.navstar.loader.btf.BtfType;
import io.navstar.loader.btf.CoreRelocationException;
import io.navstar.loader.btf.CoreRelocator;
import io.navstar.loader.spec.KfuncReference;
import io.navstar.loader.spec.ProgramSpec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * Binds a program to a kernel's BTF before loading: applies its CO-RE relocations ({@link CoreRelocator}), turns
 * each kfunc call into a BPF_PSEUDO_KFUNC_CALL with the kernel's FUNC id (Documentation/bpf/kfuncs.rst; the
 * verifier's add_kfunc_call reads src_reg 2, imm = BTF id, off = 0 for vmlinux) and each kfunc address load
 * ({@code bpf_ksym_exists}) into a BPF_PSEUDO_BTF_ID ld_imm64 (check_pseudo_btf_id takes a FUNC id too). A
 * {@code __weak} kfunc the kernel lacks loads address 0 and its calls become an unknown helper, as in libbpf. Pure: the target BTF is a
 * parameter, so tests bind against synthetic BTF. Stateless; thread-safe.
 */
final class ProgramBinder {
    /** src_reg of a call to a kernel function (include/uapi/linux/bpf.h BPF_PSEUDO_KFUNC_CALL). */
    static final int BPF_PSEUDO_KFUNC_CALL = 2;
    /** src_reg of an ld_imm64 of a kernel symbol's address by BTF id (BPF_PSEUDO_BTF_ID). */
    static final int BPF_PSEUDO_BTF_ID = 3;
    /**
     * The helper id a call to a missing {@code __weak} kfunc becomes: no kernel has it, so the verifier refuses the
     * program if, and only if, the call is reachable (libbpf uses the same base, POISON_CALL_KFUNC_BASE).
     */
    static final int POISONED_KFUNC_CALL = 2_002_000_000;
    private static final int BPF_CALL = 0x85;
    private static final int LD_IMM64 = 0x18;

    private ProgramBinder() {
    }

    /**
     * The program's instructions with CO-RE relocations and kfunc calls resolved against {@code target}.
     *
     * @param local the object's BTF (which the CO-RE relocations refer to); may be null when there are none
     * @throws CoreRelocationException naming the program, instruction, type and access (or kfunc) that the
     *                                 target cannot satisfy
     */
    static byte[] bind(ProgramSpec program, Btf local, Btf target) {
        byte[] code = program.instructions();
        if (!program.coreRelocations().isEmpty()) {
            if (local == null) {
                throw new CoreRelocationException("program " + program.name()
                        + ": CO-RE relocations without the object's BTF");
            }
            code = new CoreRelocator(local, target).apply(program.name(), code, program.coreRelocations());
        } else {
            code = code.clone();
        }
        ByteBuffer buffer = ByteBuffer.wrap(code).order(ByteOrder.LITTLE_ENDIAN);
        for (KfuncReference reference : program.kfuncReferences()) {
            long end = ((long) reference.instructionIndex() + (reference.address() ? 2 : 1))
                    * ProgramSpec.INSTRUCTION_SIZE;
            int at = reference.instructionIndex() * ProgramSpec.INSTRUCTION_SIZE;
            int opcode = reference.instructionIndex() < 0 || end > code.length ? -1 : code[at] & 0xff;
            if (reference.address() ? opcode != LD_IMM64
                    : opcode != BPF_CALL) {
                throw new CoreRelocationException("program " + program.name() + ": kfunc " + reference.name()
                        + " at instruction " + reference.instructionIndex() + ", which is not "
                        + (reference.address() ? "an ld_imm64" : "a call"));
            }
            int id = kfuncId(program, reference, local, target);
            int sourceRegister;
            int immediate;
            if (id == 0) {                  // a __weak kfunc this kernel lacks (libbpf's convention)
                sourceRegister = 0;
                immediate = reference.address() ? 0 : POISONED_KFUNC_CALL;
            } else {
                sourceRegister = reference.address() ? BPF_PSEUDO_BTF_ID : BPF_PSEUDO_KFUNC_CALL;
                immediate = id;
            }
            code[at + 1] = (byte) ((code[at + 1] & 0x0f) | sourceRegister << 4);
            buffer.putShort(at + 2, (short) 0);
            buffer.putInt(at + 4, immediate);
            if (reference.address()) {
                buffer.putInt(at + ProgramSpec.INSTRUCTION_SIZE + 4, 0); // BTF object fd 0: vmlinux, not a module
            }
        }
        return code;
    }

    /** The kernel's FUNC id of the kfunc, or 0 when it is a {@code __weak} one the kernel lacks. */
    private static int kfuncId(ProgramSpec program, KfuncReference call, Btf local, Btf target) {
        Optional<BtfType> found = target.type(call.name(), BtfKind.FUNC);
        if (found.isEmpty() && call.weak()) {
            return 0;
        }
        if (found.isEmpty()) {
            throw new CoreRelocationException("program " + program.name() + ": instruction " + call.instructionIndex()
                    + (call.address() ? " takes the address of" : " calls") + " kfunc " + call.name()
                    + ", which the kernel's BTF does not have (kernel " + Features.kernelRelease()
                    + "; is it newer than this kernel, or in a module? declare it __weak and guard it with"
                    + " bpf_ksym_exists() if the program can do without it)");
        }
        BtfType.Func kernelFunc = (BtfType.Func) found.get();
        if (local != null && call.localFuncTypeId() > 0 && call.localFuncTypeId() < local.typeCount()
                && local.type(call.localFuncTypeId()) instanceof BtfType.Func localFunc
                && local.type(localFunc.proto()) instanceof BtfType.FuncProto localProto
                && target.type(kernelFunc.proto()) instanceof BtfType.FuncProto kernelProto
                && localProto.params().size() != kernelProto.params().size()) {
            throw new CoreRelocationException("program " + program.name() + ": kfunc " + call.name() + " is declared"
                    + " with " + localProto.params().size() + " parameters, but the kernel's takes "
                    + kernelProto.params().size());
        }
        return kernelFunc.id();
    }
}
