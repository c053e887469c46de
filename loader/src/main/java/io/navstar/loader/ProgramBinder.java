package io.navstar.loader;

import io.navstar.loader.btf.Btf;
import io.navstar.loader.btf.BtfKind;
import io.navstar.loader.btf.BtfType;
import io.navstar.loader.btf.CoreRelocationException;
import io.navstar.loader.btf.CoreRelocator;
import io.navstar.loader.spec.KfuncCall;
import io.navstar.loader.spec.ProgramSpec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * Binds a program to a kernel's BTF before loading: applies its CO-RE relocations ({@link CoreRelocator}) and
 * turns each kfunc call into a BPF_PSEUDO_KFUNC_CALL with the kernel's FUNC id (Documentation/bpf/kfuncs.rst;
 * the verifier's add_kfunc_call reads src_reg 2, imm = BTF id, off = 0 for vmlinux). Pure: the target BTF is a
 * parameter, so tests bind against synthetic BTF. Stateless; thread-safe.
 */
final class ProgramBinder {
    /** src_reg of a call to a kernel function (include/uapi/linux/bpf.h BPF_PSEUDO_KFUNC_CALL). */
    static final int BPF_PSEUDO_KFUNC_CALL = 2;
    private static final int BPF_CALL = 0x85;

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
        for (KfuncCall call : program.kfuncCalls()) {
            int at = call.instructionIndex() * ProgramSpec.INSTRUCTION_SIZE;
            if (call.instructionIndex() < 0 || at + ProgramSpec.INSTRUCTION_SIZE > code.length
                    || (code[at] & 0xff) != BPF_CALL) {
                throw new CoreRelocationException("program " + program.name() + ": kfunc " + call.name()
                        + " at instruction " + call.instructionIndex() + ", which is not a call");
            }
            int id = kfuncId(program, call, local, target);
            code[at + 1] = (byte) ((code[at + 1] & 0x0f) | BPF_PSEUDO_KFUNC_CALL << 4);
            buffer.putShort(at + 2, (short) 0); // off 0: the id is in vmlinux BTF, not a module's (fd_array)
            buffer.putInt(at + 4, id);
        }
        return code;
    }

    private static int kfuncId(ProgramSpec program, KfuncCall call, Btf local, Btf target) {
        Optional<BtfType> found = target.type(call.name(), BtfKind.FUNC);
        if (found.isEmpty()) {
            throw new CoreRelocationException("program " + program.name() + ": instruction " + call.instructionIndex()
                    + " calls kfunc " + call.name() + ", which the kernel's BTF does not have (kernel "
                    + Features.kernelRelease() + "; is it newer than this kernel, or in a module?)"
                    + (call.weak() ? "; it is declared __weak, but navstar does not load programs with missing"
                    + " weak kfuncs" : ""));
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
