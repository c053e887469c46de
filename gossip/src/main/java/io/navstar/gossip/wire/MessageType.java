package io.navstar.gossip.wire;

/**
 * Wire message types. The codes are append-only: a retired code stays reserved and is never
 * reused, so that a frame from an older or newer node is either understood or rejected, never
 * misread.
 */
public enum MessageType {
    /** HyParView JOIN (§4.1): the sender asks to enter the overlay. */
    JOIN(1),
    /** The sender added the receiver to its active view; the receiver adds the sender back. */
    JOIN_REPLY(2),
    /** HyParView FORWARDJOIN random walk (§4.1). */
    FORWARD_JOIN(3),
    /** HyParView NEIGHBOR request with a priority (§4.3). */
    NEIGHBOR(4),
    /** Answer to {@link #NEIGHBOR}. */
    NEIGHBOR_REPLY(5),
    /** HyParView DISCONNECT (§4.1): the sender dropped the receiver from its active view. */
    DISCONNECT(6),
    /** HyParView SHUFFLE random walk (§4.4). */
    SHUFFLE(7),
    /** HyParView SHUFFLEREPLY (§4.4). */
    SHUFFLE_REPLY(8),
    /** Health or reachability probe. */
    PING(9),
    /** Answer to {@link #PING}. */
    PONG(10),
    /** Global membership entries, flooded over the active view. */
    MEMBERSHIP_UPDATE(11),
    /** A payload multicast along the BFS tree it carries. */
    MULTICAST(12),
    /** A point-to-point payload of a registered channel. */
    APP(13),
    /** Transport handshake: the server's nonce. */
    CHALLENGE(64),
    /** Transport handshake: the client's identity, nonce and proof of the cluster secret. */
    HELLO(65),
    /** Transport handshake: the server's proof of the cluster secret. */
    WELCOME(66);

    private static final MessageType[] BY_CODE = new MessageType[256];

    static {
        for (MessageType type : values()) {
            BY_CODE[type.code] = type;
        }
    }

    private final int code;

    MessageType(int code) {
        this.code = code;
    }

    /** The one-byte wire code. */
    public int code() {
        return code;
    }

    /** The type with this wire code, or null when the code is unknown. */
    public static MessageType fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /** Whether this type belongs to the transport handshake rather than to the protocol. */
    public boolean isHandshake() {
        return code >= 64;
    }
}
