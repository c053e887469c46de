package io.navstar.gossip.security;

import io.navstar.gossip.NodeId;
import io.navstar.gossip.wire.MessageCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The cluster-secret challenge-response of the transport handshake. The server sends a fresh
 * nonce; the client answers with its identity, its own nonce and
 * {@code HMAC-SHA256(secret, "navstar-hello" | serverNonce | clientNonce | clientNode)}; the server
 * answers with {@code HMAC-SHA256(secret, "navstar-welcome" | clientNonce | serverNonce | serverNode)}.
 * Neither side reveals the secret, fresh nonces on both sides defeat replay, and the labels keep a
 * hello from being reflected as a welcome. Without a secret the MACs are empty and any peer is
 * accepted (tests and simulation only).
 *
 * <p>Thread-safe: {@link Mac} instances are made per call.
 */
public final class ClusterAuthenticator {

    private static final byte[] HELLO_LABEL = "navstar-hello".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WELCOME_LABEL = "navstar-welcome".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EMPTY = new byte[0];

    /** The shortest cluster secret accepted: 128 bits, the HMAC key length below which guessing is feasible. */
    public static final int MIN_SECRET_BYTES = 16;

    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    /** @param secret the cluster secret, or null for none */
    public ClusterAuthenticator(byte[] secret) {
        if (secret != null && secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("a cluster secret needs at least " + MIN_SECRET_BYTES + " bytes, got "
                    + secret.length);
        }
        this.key = secret == null ? null : new SecretKeySpec(secret, "HmacSHA256");
    }

    public boolean hasSecret() {
        return key != null;
    }

    public byte[] newNonce() {
        byte[] nonce = new byte[MessageCodec.NONCE_BYTES];
        random.nextBytes(nonce);
        return nonce;
    }

    public byte[] helloMac(byte[] serverNonce, byte[] clientNonce, NodeId client) {
        return mac(HELLO_LABEL, serverNonce, clientNonce, client);
    }

    public byte[] welcomeMac(byte[] clientNonce, byte[] serverNonce, NodeId server) {
        return mac(WELCOME_LABEL, clientNonce, serverNonce, server);
    }

    /** Constant-time comparison of a received MAC with the expected one. */
    public boolean verify(byte[] expected, byte[] received) {
        return MessageDigest.isEqual(expected, received);
    }

    private byte[] mac(byte[] label, byte[] firstNonce, byte[] secondNonce, NodeId node) {
        if (key == null) {
            return EMPTY;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(label);
            mac.update(firstNonce);
            mac.update(secondNonce);
            mac.update(ByteBuffer.allocate(NodeId.WIRE_BYTES).putInt(node.address()).putShort((short) node.port()).flip());
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
