package io.navstar.loader.btf;

/**
 * An object's BTF (Documentation/bpf/btf.rst): the type graph, and the bytes to upload with BPF_BTF_LOAD
 * after the fix-ups the kernel needs (DATASEC sizes and VAR offsets). Immutable; safe to share.
 */
public final class Btf {
    private final byte[] kernelBytes;

    public Btf(byte[] kernelBytes) {
        this.kernelBytes = kernelBytes.clone();
    }

    /** The blob for BPF_BTF_LOAD: header, types, strings, fixed up. A copy. */
    public byte[] kernelBytes() {
        return kernelBytes.clone();
    }
}
