package io.navstar.gossip.kv.wire;

/**
 * Bytes that do not decode: truncated, over a bound, out of canonical order, a bad checksum or an
 * unknown version or type. The message says which and where; nothing of the input is accepted.
 */
public final class CorruptDataException extends RuntimeException {

    public CorruptDataException(String message) {
        super(message);
    }

    public CorruptDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
