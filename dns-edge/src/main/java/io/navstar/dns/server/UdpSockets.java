package io.navstar.dns.server;

import io.navstar.sys.Libc;
import io.navstar.sys.NativeException;
import io.navstar.sys.socket.InetSockaddr;
import io.navstar.sys.socket.Sockets;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetSocketAddress;

import static io.navstar.sys.socket.Sockets.AF_INET;
import static io.navstar.sys.socket.Sockets.AF_INET6;
import static io.navstar.sys.socket.Sockets.SOL_SOCKET;

/**
 * How Spartan's UDP query sockets are opened and bound, through navstar-native's socket calls: non-blocking,
 * sized buffers, dual-stack for IPv6, and a SO_REUSEPORT group per address whose first socket binds alone; and
 * how sockets handed over by socket activation are identified and adopted.
 * Control path only: failures are {@link IOException}s naming the call, errno and operation. The per-datagram
 * calls (recvmmsg, sendmmsg, sendto) are {@link Sockets}' own, made by {@link UdpQuerySocket} with its errno
 * segment. Stateless; any thread.
 */
final class UdpSockets {
    private UdpSockets() {
    }

    /**
     * Opens a non-blocking UDP socket for {@code address}, AF_INET for an IPv4 address and AF_INET6
     * otherwise, with the given SO_RCVBUF/SO_SNDBUF, and for IPv6 IPV6_V6ONLY off (ipv6(7)), so
     * {@code [::]} also serves IPv4 clients as netty's dual-stack sockets did, whatever
     * net.ipv6.bindv6only says. Not bound yet: nothing reaches it before {@link #bindUdp}.
     *
     * @return the descriptor
     */
    static int openUdp(InetSocketAddress address, int bufferBytes) throws IOException {
        boolean v4 = address.getAddress() instanceof Inet4Address;
        int fd = call(() -> Sockets.socket(v4 ? AF_INET : AF_INET6, Sockets.SOCK_DGRAM | Sockets.SOCK_NONBLOCK, 0,
                "opening a UDP socket for " + address));
        try {
            call(() -> {
                Sockets.setIntOption(fd, SOL_SOCKET, Sockets.SO_RCVBUF, bufferBytes, "SO_RCVBUF", "for " + address);
                Sockets.setIntOption(fd, SOL_SOCKET, Sockets.SO_SNDBUF, bufferBytes, "SO_SNDBUF", "for " + address);
                if (!v4) {
                    Sockets.setIntOption(fd, Sockets.IPPROTO_IPV6, Sockets.IPV6_V6ONLY, 0, "IPV6_V6ONLY",
                            "for " + address);
                }
                return 0;
            });
            return fd;
        } catch (IOException | RuntimeException | Error e) {
            Libc.close(fd);
            throw e;
        }
    }

    /**
     * Binds {@code fd} (from {@link #openUdp}) to {@code address} as one of a SO_REUSEPORT group, over
     * which the kernel spreads datagrams by flow hash; the caller closes {@code fd} if this throws.
     *
     * <p>The kernel lets any socket of the same user that sets SO_REUSEPORT before its bind join a
     * group (socket(7)), and with port 0 it may even choose a port such a group already holds. So the
     * {@code first} socket of an address binds without SO_REUSEPORT, which fails with EADDRINUSE when
     * anything holds the address and port, and sets SO_REUSEPORT after its bind: the kernel then forms
     * the group around it when the next socket, which sets SO_REUSEPORT before binding, joins
     * (net/core/sock_reuseport.c, reuseport_add_sock() allocating the group of the socket joined).
     *
     * @param first whether this is the first socket of the address (bound alone, then opened to the group)
     */
    static void bindUdp(int fd, InetSocketAddress address, boolean first) throws IOException {
        boolean v4 = address.getAddress() instanceof Inet4Address;
        call(() -> {
            if (!first) {
                Sockets.setIntOption(fd, SOL_SOCKET, Sockets.SO_REUSEPORT, 1, "SO_REUSEPORT", "for " + address);
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment sockaddr = arena.allocate(InetSockaddr.SOCKADDR_SIZE, 8);
                int length = InetSockaddr.write(sockaddr, address, v4 ? AF_INET : AF_INET6);
                Sockets.bind(fd, sockaddr, length, "binding " + address);
            }
            if (first) {
                Sockets.setIntOption(fd, SOL_SOCKET, Sockets.SO_REUSEPORT, 1, "SO_REUSEPORT", "for " + address);
            }
            return 0;
        });
    }

    /** The port {@code fd} is bound to (getsockname(2)). */
    static int boundPort(int fd) throws IOException {
        return call(() -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment sockaddr = arena.allocate(InetSockaddr.SOCKADDR_SIZE, 8);
                Sockets.getsockname(fd, sockaddr, "reading the port of a UDP socket");
                return Short.toUnsignedInt(sockaddr.get(InetSockaddr.NET_SHORT, InetSockaddr.SA_PORT));
            }
        });
    }

    /**
     * What an inherited descriptor is (socket activation): its type ({@link Sockets#SOCK_DGRAM},
     * {@link Sockets#SOCK_STREAM}) and the address it is bound to; -1 and null when it is not a bound inet socket.
     */
    record Identity(int type, InetSocketAddress address) {
    }

    static Identity identify(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            int type = Sockets.getIntOption(fd, SOL_SOCKET, Sockets.SO_TYPE, "SO_TYPE", "identifying descriptor " + fd);
            MemorySegment sockaddr = arena.allocate(InetSockaddr.SOCKADDR_SIZE, 8);
            Sockets.getsockname(fd, sockaddr, "identifying descriptor " + fd);
            short family = sockaddr.get(ValueLayout.JAVA_SHORT_UNALIGNED, InetSockaddr.SA_FAMILY);
            if (family != AF_INET && family != AF_INET6) {
                return new Identity(-1, null);
            }
            return new Identity(type, InetSockaddr.read(sockaddr));
        } catch (NativeException notASocket) {
            return new Identity(-1, null);
        }
    }

    /** Makes an inherited descriptor non-blocking and close-on-exec, as the agent's own sockets are. */
    static void adopt(int fd) throws IOException {
        call(() -> {
            int flags = Libc.fcntl(fd, Libc.F_GETFL, 0, "reading the flags of inherited descriptor " + fd);
            Libc.fcntl(fd, Libc.F_SETFL, flags | Libc.O_NONBLOCK, "making inherited descriptor " + fd + " non-blocking");
            Libc.fcntl(fd, Libc.F_SETFD, Libc.FD_CLOEXEC, "making inherited descriptor " + fd + " close-on-exec");
            return 0;
        });
    }

    private interface Call {
        int run();
    }

    /** Runs control calls, turning a refusal into the IOException the server's start-up reports. */
    private static int call(Call call) throws IOException {
        try {
            return call.run();
        } catch (NativeException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
