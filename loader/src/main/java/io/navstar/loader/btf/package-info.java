/**
 * BTF, the BPF Type Format (Documentation/bpf/btf.rst): {@link io.navstar.loader.btf.Btf} decodes a
 * {@code .BTF} section into {@link io.navstar.loader.btf.BtfType}s (every kind up to ENUM64), answers lookups,
 * sizes, {@link io.navstar.loader.btf.BtfStruct} layouts and human descriptions, and fixes DATASECs (and the
 * {@code .ksyms} kfunc declarations) up for BPF_BTF_LOAD; {@link io.navstar.loader.btf.BtfExt} reads
 * {@code .BTF.ext} func and line info and CO-RE relocation records; {@link io.navstar.loader.btf.CoreRelocator}
 * applies CO-RE relocations against a target BTF (the kernel's, or a synthetic one). Pure data; malformed input
 * raises {@link io.navstar.loader.btf.BtfFormatException}, an unsatisfiable relocation
 * {@link io.navstar.loader.btf.CoreRelocationException}.
 */
package io.navstar.loader.btf;
