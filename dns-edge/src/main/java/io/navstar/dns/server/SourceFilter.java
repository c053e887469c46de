package io.navstar.dns.server;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Which client addresses may use recursion (forwarding and the cache): a list of CIDR ranges.
 * Immutable; {@link #allows} is allocation-free for IPv4 clients (it reads the address as an int
 * through {@link Inet4Address#hashCode()}, which OpenJDK defines as the address itself) and copies the
 * 16 address bytes for IPv6 clients; {@link #allowsV4} and {@link #allowsV6} take raw addresses (the
 * UDP transport reads them from the kernel's sockaddr) and allocate nothing.
 */
public final class SourceFilter {
    private final int[] v4Network;
    private final int[] v4Mask;
    private final byte[][] v6Network;
    private final int[] v6Prefix;

    private SourceFilter(int[] v4Network, int[] v4Mask, byte[][] v6Network, int[] v6Prefix) {
        this.v4Network = v4Network;
        this.v4Mask = v4Mask;
        this.v6Network = v6Network;
        this.v6Prefix = v6Prefix;
    }

    /**
     * Parses ranges such as {@code 10.0.0.0/8} or {@code fc00::/7}; a bare address is a /32 or /128.
     *
     * @throws IllegalArgumentException on a malformed range
     */
    public static SourceFilter of(List<String> cidrs) {
        int v4 = 0;
        int v6 = 0;
        InetAddress[] addrs = new InetAddress[cidrs.size()];
        int[] prefixes = new int[cidrs.size()];
        for (int i = 0; i < cidrs.size(); i++) {
            String c = cidrs.get(i).trim();
            int slash = c.indexOf('/');
            addrs[i] = InetAddress.ofLiteral(slash < 0 ? c : c.substring(0, slash));
            int max = addrs[i] instanceof Inet4Address ? 32 : 128;
            prefixes[i] = slash < 0 ? max : Integer.parseInt(c.substring(slash + 1));
            if (prefixes[i] < 0 || prefixes[i] > max) {
                throw new IllegalArgumentException("bad prefix length in " + c);
            }
            if (max == 32) {
                v4++;
            } else {
                v6++;
            }
        }
        int[] net4 = new int[v4];
        int[] mask4 = new int[v4];
        byte[][] net6 = new byte[v6][];
        int[] prefix6 = new int[v6];
        v4 = 0;
        v6 = 0;
        for (int i = 0; i < addrs.length; i++) {
            if (addrs[i] instanceof Inet4Address a) {
                mask4[v4] = prefixes[i] == 0 ? 0 : -1 << (32 - prefixes[i]);
                net4[v4] = a.hashCode() & mask4[v4];
                v4++;
            } else {
                net6[v6] = addrs[i].getAddress();
                prefix6[v6++] = prefixes[i];
            }
        }
        return new SourceFilter(net4, mask4, net6, prefix6);
    }

    public boolean allows(InetSocketAddress client) {
        if (client == null) {
            return false;
        }
        InetAddress address = client.getAddress();
        if (address instanceof Inet4Address) {
            return allowsV4(address.hashCode()); // OpenJDK: Inet4Address.hashCode() is the address
        }
        return allowsV6(address.getAddress());
    }

    /** Whether the IPv4 address {@code ip} (most significant byte first, as on the wire) is allowed. */
    public boolean allowsV4(int ip) {
        for (int i = 0; i < v4Network.length; i++) {
            if ((ip & v4Mask[i]) == v4Network[i]) {
                return true;
            }
        }
        return false;
    }

    /** Whether the 16-byte IPv6 address {@code ip} is allowed; allocation-free. */
    public boolean allowsV6(byte[] ip) {
        for (int i = 0; i < v6Network.length; i++) {
            if (matches(ip, v6Network[i], v6Prefix[i])) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(byte[] ip, byte[] network, int prefix) {
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (ip[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xFF << (8 - rest);
        return (ip[full] & mask) == (network[full] & mask);
    }
}
