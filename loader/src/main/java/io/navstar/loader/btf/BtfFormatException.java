package io.navstar.loader.btf;

import io.navstar.loader.spec.ObjectFormatException;

/**
 * BTF or BTF.ext that cannot be used: bad header, offsets or lengths past the data, type ids or string
 * offsets out of range, loops through typedefs or arrays, a DATASEC that cannot be fixed up.
 */
public final class BtfFormatException extends ObjectFormatException {
    private static final long serialVersionUID = 1L;

    public BtfFormatException(String message) {
        super(message);
    }
}
