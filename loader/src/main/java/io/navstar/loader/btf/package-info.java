/**
 * BTF, the BPF Type Format (Documentation/bpf/btf.rst): {@link io.navstar.loader.btf.Btf} decodes a
 * {@code .BTF} section into {@link io.navstar.loader.btf.BtfType}s (every kind up to ENUM64), answers lookups,
 * sizes, {@link io.navstar.loader.btf.BtfStruct} layouts and human descriptions, and fixes DATASECs up for
 * BPF_BTF_LOAD; {@link io.navstar.loader.btf.BtfExt} reads {@code .BTF.ext} func and line info. Pure data;
 * malformed input raises {@link io.navstar.loader.btf.BtfFormatException}.
 */
package io.navstar.loader.btf;
