package io.navstar.sys.socket;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

/**
 * IPv4 and IPv6 socket addresses in native memory: their layout, and writing and reading them from
 * {@link InetSocketAddress}es. Stateless; any thread.
 */
public final class InetSockaddr {
    /**
     * Room for either socket address: {@code struct sockaddr_in} (16 bytes: family, port, address) or
     * {@code struct sockaddr_in6} (28 bytes: family, port, flowinfo, 16-byte address, scope id), see
     * ip(7) and ipv6(7). Family in host order, port and addresses in network order.
     */
    public static final int SOCKADDR_SIZE = 28;
    public static final long SA_FAMILY = 0;
    public static final long SA_PORT = 2;
    public static final long SIN_ADDR = 4;
    public static final long SIN6_ADDR = 8;
    public static final long SIN6_SCOPE_ID = 24;
    public static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    public static final ValueLayout.OfInt NET_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private InetSockaddr() {
    }

    /**
     * Writes {@code address} as a sockaddr for a socket of {@code family} (an IPv4 address becomes
     * v4-mapped {@code ::ffff:a.b.c.d} for an AF_INET6 socket, RFC 4291 §2.5.5.2); returns its length.
     */
    public static int write(MemorySegment sockaddr, InetSocketAddress address, int family) {
        sockaddr.fill((byte) 0);
        sockaddr.set(ValueLayout.JAVA_SHORT_UNALIGNED, SA_FAMILY, (short) family);
        sockaddr.set(NET_SHORT, SA_PORT, (short) address.getPort());
        InetAddress ip = address.getAddress();
        if (family == Sockets.AF_INET) {
            sockaddr.set(NET_INT, SIN_ADDR, ip.hashCode()); // OpenJDK: Inet4Address.hashCode() is the address
            return 16;
        }
        if (ip instanceof Inet4Address) {
            sockaddr.set(NET_SHORT, SIN6_ADDR + 10, (short) 0xFFFF);
            sockaddr.set(NET_INT, SIN6_ADDR + 12, ip.hashCode());
        } else {
            MemorySegment.copy(ip.getAddress(), 0, sockaddr, ValueLayout.JAVA_BYTE, SIN6_ADDR, 16);
            sockaddr.set(ValueLayout.JAVA_INT_UNALIGNED, SIN6_SCOPE_ID, ((Inet6Address) ip).getScopeId());
        }
        return SOCKADDR_SIZE;
    }

    /** Reads a sockaddr the kernel wrote (allocates: for forwarded queries and tests only). */
    public static InetSocketAddress read(MemorySegment sockaddr) {
        int port = Short.toUnsignedInt(sockaddr.get(NET_SHORT, SA_PORT));
        try {
            if (sockaddr.get(ValueLayout.JAVA_SHORT_UNALIGNED, SA_FAMILY) == Sockets.AF_INET) {
                byte[] ip = new byte[4];
                MemorySegment.copy(sockaddr, ValueLayout.JAVA_BYTE, SIN_ADDR, ip, 0, 4);
                return new InetSocketAddress(InetAddress.getByAddress(ip), port);
            }
            byte[] ip = new byte[16];
            MemorySegment.copy(sockaddr, ValueLayout.JAVA_BYTE, SIN6_ADDR, ip, 0, 16);
            int scope = sockaddr.get(ValueLayout.JAVA_INT_UNALIGNED, SIN6_SCOPE_ID);
            // a v4-mapped address comes back as the IPv4 address, as netty reported it
            InetAddress address = scope == 0 ? InetAddress.getByAddress(ip) : Inet6Address.getByAddress(null, ip, scope);
            return new InetSocketAddress(address, port);
        } catch (UnknownHostException e) {
            throw new AssertionError(e); // only thrown for a wrong length
        }
    }
}
