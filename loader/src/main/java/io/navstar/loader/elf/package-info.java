/**
 * Reading clang-built eBPF objects into {@link io.navstar.loader.spec.ObjectSpec}s, as pure data with no syscall.
 *
 * <p>{@link io.navstar.loader.elf.ElfObjectReader} accepts what {@code clang -g -O2 -target bpf -c} writes:
 * relocatable ELF64, little-endian, EM_BPF. Programs come from the sections {@link
 * io.navstar.loader.elf.ProgramSection} names (one per global function, several per section allowed), each made
 * self-contained by appending the subprograms it calls; maps from BTF-defined {@code .maps} and from the global
 * data sections ({@code .data*}, {@code .rodata*}, {@code .bss*}, one single-entry array each).
 *
 * <p>Refused, each with an {@link io.navstar.loader.elf.ElfFormatException} saying so: legacy {@code maps}
 * sections, CO-RE relocations, externs ({@code .kconfig}, {@code .ksyms}, kfuncs), {@code .values}
 * initialisers of maps of maps, unknown map types and program sections, big-endian objects.
 */
package io.navstar.loader.elf;
