package io.navstar.loader.spec;

import java.util.Objects;

/**
 * A call to a kernel function (kfunc, Documentation/bpf/kfuncs.rst) declared in the object as
 * {@code extern ... __ksym}: at load time the call's immediate becomes the function's BTF id in the kernel's
 * vmlinux BTF, with src_reg BPF_PSEUDO_KFUNC_CALL.
 *
 * @param instructionIndex the call instruction in the linked program
 * @param name             the kernel function's name
 * @param weak             true when declared {@code __weak} (a missing weak kfunc is still an error here)
 * @param localFuncTypeId  the object's BTF FUNC type of the declaration, 0 when the object has none
 */
public record KfuncCall(int instructionIndex, String name, boolean weak, int localFuncTypeId) {

    public KfuncCall {
        Objects.requireNonNull(name, "name");
    }
}
