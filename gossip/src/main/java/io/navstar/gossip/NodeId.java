package io.navstar.gossip;

import java.net.InetSocketAddress;

/**
 * The identity of one gossip node: the IPv4 address and TCP port it listens on, as Lashup named a
 * node by its Erlang node name. Comparable (unsigned address, then port) so sorted views and trees
 * are deterministic; {@link #WIRE_BYTES} bytes on the wire.
 *
 * <p>Immutable and thread-safe. A node's restart keeps its {@code NodeId}; the incarnation is told
 * apart by the epoch in its membership entry.
 */
public record NodeId(int address, int port) implements Comparable<NodeId> {

    /** Bytes of the wire encoding: four of address, two of port, network order. */
    public static final int WIRE_BYTES = 6;

    public NodeId {
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /** A node id from a dotted-quad IPv4 literal (no name resolution) and a port. */
    public static NodeId of(String ipv4, int port) {
        String[] parts = ipv4.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not a dotted-quad IPv4 address: " + ipv4);
        }
        int address = 0;
        for (String part : parts) {
            int octet;
            try {
                octet = Integer.parseInt(part);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a dotted-quad IPv4 address: " + ipv4, e);
            }
            if (octet < 0 || octet > 255) {
                throw new IllegalArgumentException("not a dotted-quad IPv4 address: " + ipv4);
            }
            address = (address << 8) | octet;
        }
        return new NodeId(address, port);
    }

    /** Parses {@code a.b.c.d:port}, the form {@link #toString()} prints. */
    public static NodeId parse(String hostAndPort) {
        int colon = hostAndPort.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("expected a.b.c.d:port, got " + hostAndPort);
        }
        int port;
        try {
            port = Integer.parseInt(hostAndPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a.b.c.d:port, got " + hostAndPort, e);
        }
        return of(hostAndPort.substring(0, colon), port);
    }

    /** The dotted-quad address. */
    public String host() {
        return ((address >>> 24) & 0xFF) + "." + ((address >>> 16) & 0xFF) + "."
                + ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }

    /** The socket address to connect to or bind. */
    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(host(), port);
    }

    @Override
    public int compareTo(NodeId other) {
        int byAddress = Integer.compareUnsigned(address, other.address);
        return byAddress != 0 ? byAddress : Integer.compare(port, other.port);
    }

    @Override
    public int hashCode() {
        // mix so that sequential addresses spread over open-addressing tables
        int h = address * 0x9E3779B9 + port;
        return h ^ (h >>> 16);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodeId other && other.address == address && other.port == port;
    }

    @Override
    public String toString() {
        return host() + ":" + port;
    }
}
