package io.navstar.sys.socket;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;

class InetSockaddrTest {

    @Test
    void writesIpv4ClientsOfAnIpv6SocketAsV4MappedAndReadsThemBackAsIpv4() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sockaddr = arena.allocate(InetSockaddr.SOCKADDR_SIZE, 8);
            InetSocketAddress v4 = new InetSocketAddress(InetAddress.ofLiteral("127.1.2.3"), 5353);
            assertEquals(InetSockaddr.SOCKADDR_SIZE, InetSockaddr.write(sockaddr, v4, Sockets.AF_INET6));
            assertEquals(0xFFFF, Short.toUnsignedInt(sockaddr.get(InetSockaddr.NET_SHORT, InetSockaddr.SIN6_ADDR + 10)));
            assertEquals(v4, InetSockaddr.read(sockaddr), "::ffff:127.1.2.3 reads back as 127.1.2.3");
            assertEquals(16, InetSockaddr.write(sockaddr, v4, Sockets.AF_INET));
            assertEquals(v4, InetSockaddr.read(sockaddr));
            InetSocketAddress v6 = new InetSocketAddress(InetAddress.ofLiteral("fd00::53"), 53);
            InetSockaddr.write(sockaddr, v6, Sockets.AF_INET6);
            assertEquals(v6, InetSockaddr.read(sockaddr));
        }
    }
}
