package io.navstar.loader;

import io.navstar.loader.btf.Btf;
import io.navstar.loader.btf.BtfKind;
import io.navstar.loader.btf.BtfStruct;
import io.navstar.loader.btf.BtfType;
import io.navstar.loader.elf.ElfObjectReader;
import io.navstar.loader.spec.KfuncReference;
import io.navstar.loader.spec.ObjectSpec;
import io.navstar.loader.spec.ProgramSpec;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What binding writes into the instructions, checked without loading (the kernel's BTF file is world-readable,
 * so no root needed): kfunc calls and address loads get the kernel's FUNC id, a missing {@code __weak} kfunc's
 * address is 0 and its call an unknown helper, and nothing else changes.
 */
class ProgramBinderTest {

    private static Btf kernel() {
        assumeTrue(java.nio.file.Files.isReadable(KernelBtf.VMLINUX), "needs " + KernelBtf.VMLINUX);
        return KernelBtf.vmlinux();
    }

    @Test
    void patchesKfuncCallsAndAddressesWithKernelIdsAndPoisonsMissingWeakOnes() {
        Btf kernel = kernel();
        ObjectSpec spec = new ElfObjectReader().read(Kernel.testObject("kfunc_weak"), "kfunc_weak.o");
        ProgramSpec program = spec.program("kfunc_weak");
        byte[] bound = ProgramBinder.bind(program, spec.btf(), kernel);
        ByteBuffer code = ByteBuffer.wrap(bound).order(ByteOrder.LITTLE_ENDIAN);
        int castId = kernel.type("bpf_cast_to_kern_ctx", BtfKind.FUNC).orElseThrow().id();
        byte[] untouched = program.instructions().clone();
        for (KfuncReference reference : program.kfuncReferences()) {
            int at = reference.instructionIndex() * 8;
            int sourceRegister = (bound[at + 1] >>> 4) & 0xf;
            boolean present = reference.name().equals("bpf_cast_to_kern_ctx");
            if (reference.address()) {
                assertEquals(present ? ProgramBinder.BPF_PSEUDO_BTF_ID : 0, sourceRegister, reference.toString());
                assertEquals(present ? castId : 0, code.getInt(at + 4), reference.toString());
                assertEquals(0, code.getInt(at + 12), reference.toString());
                System.arraycopy(bound, at, untouched, at, 16);
            } else {
                assertEquals(present ? ProgramBinder.BPF_PSEUDO_KFUNC_CALL : 0, sourceRegister, reference.toString());
                assertEquals(present ? castId : ProgramBinder.POISONED_KFUNC_CALL, code.getInt(at + 4),
                        reference.toString());
                System.arraycopy(bound, at, untouched, at, 8);
            }
        }
        assertArrayEquals(untouched, bound, "only the kfunc instructions change");
    }

    @Test
    void appliesCoReAndKfuncsTogetherAndLeavesTheSpecAlone() {
        Btf kernel = kernel();
        ObjectSpec spec = new ElfObjectReader().read(Kernel.testObject("core_skb"), "core_skb.o");
        ProgramSpec program = spec.program("core_skb_mark");
        byte[] before = program.instructions().clone();
        byte[] bound = ProgramBinder.bind(program, spec.btf(), kernel);
        assertArrayEquals(before, program.instructions(), "the spec is not modified");
        int load = program.coreRelocations().getFirst().instruction() * 8;
        short offset = ByteBuffer.wrap(bound).order(ByteOrder.LITTLE_ENDIAN).getShort(load + 2);
        assertEquals(offsetOf(kernel, kernel.struct("sk_buff").orElseThrow(), "mark"), offset,
                "the load of mark moved to where the kernel's sk_buff has it");
    }

    /** A member's byte offset, looking through anonymous members: what `pahole -C sk_buff` would show. */
    private static int offsetOf(Btf btf, BtfStruct struct, String name) {
        for (BtfStruct.Member member : struct.members()) {
            if (member.name().equals(name)) {
                return (int) member.byteOffset();
            }
        }
        for (BtfStruct.Member member : struct.members()) {
            if (member.name().isEmpty() && btf.type(btf.resolve(member.typeId())) instanceof BtfType.Composite) {
                int inner = offsetOf(btf, btf.layout(member.typeId()), name);
                if (inner >= 0) {
                    return (int) member.byteOffset() + inner;
                }
            }
        }
        return -1;
    }
}
