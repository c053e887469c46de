package io.navstar.loader.spec;

import java.util.Objects;

/**
 * A reference to a kernel function (kfunc, Documentation/bpf/kfuncs.rst) declared in the object as
 * {@code extern ... __ksym}: a call, or the ld_imm64 that takes its address (what libbpf's
 * {@code bpf_ksym_exists()} compiles to). At load time a call becomes BPF_PSEUDO_KFUNC_CALL with the function's
 * BTF id in the kernel's vmlinux BTF, and an address load BPF_PSEUDO_BTF_ID of that id. When the kernel lacks a
 * {@code __weak} kfunc, as libbpf does, the address loads 0 and the call becomes one to a helper id no kernel has,
 * so the verifier refuses the program only if that call is reachable (guard it with {@code bpf_ksym_exists}).
 *
 * @param instructionIndex the call or ld_imm64 instruction in the linked program
 * @param name             the kernel function's name
 * @param address          true for an ld_imm64 of the function's address, false for a call
 * @param weak             true when declared {@code __weak}: the kernel may lack it
 * @param localFuncTypeId  the object's BTF FUNC type of the declaration, 0 when the object has none
 */
public record KfuncReference(int instructionIndex, String name, boolean address, boolean weak, int localFuncTypeId) {

    public KfuncReference {
        Objects.requireNonNull(name, "name");
    }
}
