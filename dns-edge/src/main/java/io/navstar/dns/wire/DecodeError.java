package io.navstar.dns.wire;

/**
 * Why a DNS message could not be decoded. Decoders on the hot path return the negative {@link #code()}
 * instead of throwing; {@link #of(int)} turns it back into this enum for logs and tests. Append-only:
 * retired values stay reserved.
 */
public enum DecodeError {
    /** The message ends inside a header, name, question or record. */
    TRUNCATED(-1),
    /** A compression pointer points forward or at itself, or too many pointers were followed (RFC 1035 §4.1.4). */
    POINTER_LOOP(-2),
    /** A label starts with the reserved 0x40 or 0x80 bits (RFC 6891 §5 retired extended labels). */
    BAD_LABEL_TYPE(-3),
    /** The name is longer than 255 octets (RFC 1035 §2.3.4). */
    NAME_TOO_LONG(-4),
    /** A label is longer than 63 octets; unreachable on the wire (6 bits) but kept for text input. */
    LABEL_TOO_LONG(-5),
    /** QDCOUNT is not 1 (RFC 9619). */
    BAD_QUESTION_COUNT(-6),
    /** More than one OPT record, or an OPT record with a non-root owner (RFC 6891 §6.1.1). */
    BAD_OPT(-7),
    /** The message is shorter than a header, or is a response where a query was expected. */
    NOT_A_QUERY(-8),
    /** An RDATA length runs past the end of the message. */
    BAD_RDLENGTH(-9);

    private final int code;

    DecodeError(int code) {
        this.code = code;
    }

    /** The negative number decoders return for this error. */
    public int code() {
        return code;
    }

    /** The error for a negative code returned by a decoder. */
    public static DecodeError of(int code) {
        for (DecodeError e : values()) {
            if (e.code == code) {
                return e;
            }
        }
        throw new IllegalArgumentException("not a decode error code: " + code);
    }
}
