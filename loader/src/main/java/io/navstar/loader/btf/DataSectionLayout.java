package io.navstar.loader.btf;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the BTF fix-up needs to know about the ELF object around it: the size of each data section and
 * where each variable's symbol sits in it. clang writes DATASEC sizes and variable offsets as 0 and
 * leaves them to the loader (libbpf does the same fix-up in btf_fixup_datasec).
 */
public interface DataSectionLayout {

    /** The size in bytes of the ELF section with this name, or empty when the object has no such section. */
    OptionalLong sectionSize(String sectionName);

    /** The symbol of the variable with this name in that section, or empty when there is none. */
    Optional<VariableSymbol> variable(String sectionName, String variableName);

    /**
     * A variable's symbol.
     *
     * @param offset byte offset of the variable in its section (the symbol's value)
     * @param hidden true when the symbol's visibility is hidden or internal: the VAR becomes static
     */
    record VariableSymbol(long offset, boolean hidden) {
    }
}
