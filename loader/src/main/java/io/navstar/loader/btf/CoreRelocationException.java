package io.navstar.loader.btf;

import io.navstar.loader.spec.ObjectFormatException;

/**
 * A CO-RE relocation that cannot be applied against the target BTF: the type, field or enumerator it names is
 * not there (and the relocation is not one of the {@code _EXISTS} kinds, which answer 0), the access string does
 * not fit the object's own type, or the instruction does not hold what the compiler should have put there. The
 * message names the program, the instruction, the relocation kind, the type and the access string.
 */
public final class CoreRelocationException extends ObjectFormatException {
    private static final long serialVersionUID = 1L;

    public CoreRelocationException(String message) {
        super(message);
    }
}
