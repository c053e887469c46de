package io.navstar.gossip.wire;

/**
 * A frame that cannot be accepted: truncated, too long, of an unknown version or type, or with a
 * field out of bounds. The message names the reason; the transport closes the connection that sent
 * it and counts the error.
 */
public final class FrameException extends Exception {

    public FrameException(String reason) {
        super(reason, null, false, false);
    }
}
