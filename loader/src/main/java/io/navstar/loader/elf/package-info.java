/**
 * Reading clang-built eBPF objects into {@link io.navstar.loader.spec.ObjectSpec}s, as pure data with no syscall.
 *
 * <p>{@link io.navstar.loader.elf.ElfObjectReader} accepts what {@code clang -g -O2 -target bpf -c} writes:
 * relocatable ELF64, little-endian, EM_BPF. Programs come from the sections {@link
 * io.navstar.loader.elf.ProgramSection} names (one per global function, several per section allowed), each made
 * self-contained by appending the subprograms it calls; maps from BTF-defined {@code .maps} and from the global
 * data sections ({@code .data*}, {@code .rodata*}, {@code .bss*}, one single-entry array each).
 *
 * <p>Also read, for the loader to bind at load time: CO-RE relocations ({@code .BTF.ext} core_relo records, kept
 * per program as {@link io.navstar.loader.btf.CoreRelocation}s) and calls to (and address loads of) kernel
 * functions declared {@code extern ... __ksym} (kept as {@link io.navstar.loader.spec.KfuncReference}s, a call
 * marked BPF_PSEUDO_KFUNC_CALL), with the {@code .ksyms} DATASEC rewritten so the kernel accepts the object's BTF.
 *
 * <p>Refused, each with an {@link io.navstar.loader.elf.ElfFormatException} or
 * {@link io.navstar.loader.btf.BtfFormatException} saying so: legacy {@code maps} sections, {@code __kconfig}
 * externs, typed {@code __ksym} variables, calls to any other undefined symbol, {@code .values} initialisers of
 * maps of maps, unknown map types and program sections, big-endian objects.
 */
package io.navstar.loader.elf;
