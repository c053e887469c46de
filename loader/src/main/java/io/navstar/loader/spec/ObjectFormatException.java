package io.navstar.loader.spec;

/**
 * The one exception family for an eBPF object that cannot be read: truncated or garbage ELF, BTF that
 * breaks its own rules, a map or program the loader does not support. The message names the object,
 * the place (section, offset, type id) and the rule broken, so the user can act without a debugger.
 * Subclasses say which layer found the fault; callers usually catch this type.
 */
public class ObjectFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ObjectFormatException(String message) {
        super(message);
    }

    public ObjectFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
