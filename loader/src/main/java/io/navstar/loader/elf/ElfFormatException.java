package io.navstar.loader.elf;

import io.navstar.loader.spec.ObjectFormatException;

/**
 * An ELF object that cannot be read as an eBPF object: truncated or garbage bytes, the wrong class,
 * byte order or machine, section or symbol indices and offsets out of range, relocations the loader
 * cannot apply, or maps and programs it does not support. The message names the object and the place.
 */
public final class ElfFormatException extends ObjectFormatException {
    private static final long serialVersionUID = 1L;

    public ElfFormatException(String message) {
        super(message);
    }
}
