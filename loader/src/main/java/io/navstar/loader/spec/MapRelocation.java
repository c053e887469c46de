package io.navstar.loader.spec;

/**
 * An ld_imm64 instruction that must receive a map at load time. The ELF reader leaves the instruction
 * ready but for the map: both immediates are 0, except that a {@link #direct()} relocation already holds
 * {@link #valueOffset()} in the second half's immediate. The loader sets the first half's src_reg to
 * BPF_PSEUDO_MAP_FD (1) or BPF_PSEUDO_MAP_VALUE (2) and its immediate to the map descriptor.
 *
 * @param instructionIndex index (in 8-byte instructions) of the first half of the ld_imm64
 * @param mapName          the map it refers to, a key of {@link ObjectSpec#maps()}
 * @param valueOffset      for {@link #direct()} relocations, the byte offset into the map's value
 * @param direct           true for BPF_PSEUDO_MAP_VALUE (global data: address of the value + offset),
 *                         false for BPF_PSEUDO_MAP_FD (the map itself)
 */
public record MapRelocation(int instructionIndex, String mapName, int valueOffset, boolean direct) {
}
