package io.navstar.agent.lb.model;

import java.util.Objects;

/**
 * What a client connects to: a VIP's address, port and protocol (the key of the kernel's VIP map).
 *
 * @param endpoint the VIP's address and port
 * @param protocol TCP or UDP
 */
public record VipKey(Endpoint endpoint, Protocol protocol) implements Comparable<VipKey> {

    public VipKey {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(protocol, "protocol");
    }

    /** Parses {@code 11.0.0.1:80} with a protocol name. */
    public static VipKey of(String endpoint, String protocol) {
        return new VipKey(Endpoint.parse(endpoint), Protocol.parse(protocol));
    }

    @Override
    public int compareTo(VipKey other) {
        int c = endpoint.compareTo(other.endpoint);
        return c != 0 ? c : protocol.compareTo(other.protocol);
    }

    @Override
    public String toString() {
        return protocol.name().toLowerCase(java.util.Locale.ROOT) + "://" + endpoint;
    }
}
