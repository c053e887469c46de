package io.navstar.dns.server;

import io.navstar.sys.socket.InetSockaddr;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.net.InetSocketAddress;

import static io.navstar.sys.socket.InetSockaddr.NET_SHORT;
import static io.navstar.sys.socket.InetSockaddr.SA_PORT;
import static io.navstar.sys.socket.InetSockaddr.SOCKADDR_SIZE;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The libc calls of the UDP query sockets through FFM: socket, setsockopt, bind, getsockname,
 * recvmmsg, sendmmsg, sendto, close (the layouts of the messages and addresses they carry are
 * native's {@link io.navstar.sys.socket.MessageHeaders} and {@link InetSockaddr}).
 *
 * <p>Every errno-setting call captures errno ({@link Linker.Option#captureCallState}) into a segment
 * the caller passes in and owns (one per socket, confined to its event loop), never a shared one.
 * Control calls ({@link #openUdp}, {@link #bindUdp}) throw an {@link IOException} naming the operation
 * and errno; the hot calls ({@link #recvmmsg}, {@link #sendmmsg}, {@link #sendto}) return the raw result
 * and allocate nothing. Stateless; every method may be called from any thread.
 */
final class DatagramNative {
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_NONBLOCK = 0x800;  // O_NONBLOCK
    private static final int SOCK_CLOEXEC = 0x80000; // O_CLOEXEC
    private static final int SOL_SOCKET = 1;
    private static final int SO_SNDBUF = 7;
    private static final int SO_RCVBUF = 8;
    private static final int SO_REUSEPORT = 15;
    private static final int IPPROTO_IPV6 = 41;
    private static final int IPV6_V6ONLY = 26;
    /** recvmmsg(2)/sendmmsg(2) flag: never block, even on a blocking socket. */
    static final int MSG_DONTWAIT = 0x40;
    /** recvmsg(2): set in msg_flags when the datagram was longer than the buffer and was cut. */
    static final int MSG_TRUNC = 0x20;
    static final int EINTR = 4;
    static final int EAGAIN = 11; // == EWOULDBLOCK on Linux



    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle SOCKET = capturing("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = capturing("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle BIND = capturing("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKNAME = capturing("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    /** int recvmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags, struct timespec *timeout) */
    private static final MethodHandle RECVMMSG = capturing("recvmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    /** int sendmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags) */
    private static final MethodHandle SENDMMSG = capturing("sendmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    /** ssize_t sendto(int sockfd, const void *buf, size_t len, int flags, const struct sockaddr *addr, socklen_t) */
    private static final MethodHandle SENDTO = capturing("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CLOSE = plain("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle STRERROR = plain("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private DatagramNative() {
    }

    /** Bytes of the errno capture segment each caller owns. */
    static MemoryLayout errnoLayout() {
        return CAPTURE_LAYOUT;
    }

    /** The errno the last capturing call left in {@code state}. */
    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /**
     * Opens a non-blocking UDP socket for {@code address}, AF_INET for an IPv4 address and AF_INET6
     * otherwise, with the given SO_RCVBUF/SO_SNDBUF, and for IPv6 IPV6_V6ONLY off (ipv6(7)), so
     * {@code [::]} also serves IPv4 clients as netty's dual-stack sockets did, whatever
     * net.ipv6.bindv6only says. Not bound yet: nothing reaches it before {@link #bindUdp}.
     *
     * @param scratch at least 36 bytes for option values
     * @return the descriptor
     */
    static int openUdp(InetSocketAddress address, int bufferBytes, MemorySegment errnoState, MemorySegment scratch)
            throws IOException {
        boolean v4 = address.getAddress() instanceof Inet4Address;
        int fd = check(socketCall(v4 ? AF_INET : AF_INET6, errnoState), "socket", errnoState);
        try {
            MemorySegment value = scratch.asSlice(32, 4);
            setInt(fd, SOL_SOCKET, SO_RCVBUF, bufferBytes, value, errnoState, "SO_RCVBUF");
            setInt(fd, SOL_SOCKET, SO_SNDBUF, bufferBytes, value, errnoState, "SO_SNDBUF");
            if (!v4) {
                setInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0, value, errnoState, "IPV6_V6ONLY");
            }
            return fd;
        } catch (IOException | RuntimeException | Error e) {
            close(fd);
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
     * @param scratch at least {@link #SOCKADDR_SIZE} + 4 bytes for the address and option values
     */
    static void bindUdp(int fd, InetSocketAddress address, boolean first, MemorySegment errnoState,
                        MemorySegment scratch) throws IOException {
        boolean v4 = address.getAddress() instanceof Inet4Address;
        MemorySegment value = scratch.asSlice(32, 4);
        if (!first) {
            setInt(fd, SOL_SOCKET, SO_REUSEPORT, 1, value, errnoState, "SO_REUSEPORT");
        }
        MemorySegment sockaddr = scratch.asSlice(0, SOCKADDR_SIZE);
        int length = InetSockaddr.write(sockaddr, address, v4 ? AF_INET : AF_INET6);
        int r;
        try {
            r = (int) BIND.invokeExact(errnoState, fd, sockaddr, length);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        check(r, "bind " + address, errnoState);
        if (first) {
            setInt(fd, SOL_SOCKET, SO_REUSEPORT, 1, value, errnoState, "SO_REUSEPORT");
        }
    }

    /** The port {@code fd} is bound to (getsockname(2)). */
    static int boundPort(int fd, MemorySegment errnoState, MemorySegment scratch) throws IOException {
        MemorySegment sockaddr = scratch.asSlice(0, SOCKADDR_SIZE);
        MemorySegment length = scratch.asSlice(32, 4);
        length.set(JAVA_INT, 0, SOCKADDR_SIZE);
        try {
            check((int) GETSOCKNAME.invokeExact(errnoState, fd, sockaddr, length), "getsockname", errnoState);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        return Short.toUnsignedInt(sockaddr.get(NET_SHORT, SA_PORT));
    }



    /** recvmmsg(2) without blocking and without timeout: datagrams read, or -1 with errno in {@code errnoState}. */
    static int recvmmsg(MemorySegment errnoState, int fd, MemorySegment messages, int count) {
        try {
            return (int) RECVMMSG.invokeExact(errnoState, fd, messages, count, MSG_DONTWAIT, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * sendmmsg(2) without blocking: messages sent from the first, or -1 with errno. As sendmmsg(2) says,
     * an error after at least one message was sent is not reported; the caller retries from the first
     * unsent message to learn it.
     */
    static int sendmmsg(MemorySegment errnoState, int fd, MemorySegment messages, int count) {
        try {
            return (int) SENDMMSG.invokeExact(errnoState, fd, messages, count, MSG_DONTWAIT);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** sendto(2) of one datagram without blocking: bytes sent or -1 with errno. */
    static long sendto(MemorySegment errnoState, int fd, MemorySegment data, long length, MemorySegment sockaddr,
                       int sockaddrLength) {
        try {
            return (long) SENDTO.invokeExact(errnoState, fd, data, length, MSG_DONTWAIT, sockaddr, sockaddrLength);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** close(2); the descriptor is gone whatever it returns (close(2): do not retry on EINTR). */
    static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** "EAGAIN (Resource temporarily unavailable)"-like text for an errno. */
    static String describe(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return "errno " + errno + " (" + text.reinterpret(256).getString(0) + ")";
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    private static int socketCall(int family, MemorySegment errnoState) {
        try {
            return (int) SOCKET.invokeExact(errnoState, family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static void setInt(int fd, int level, int option, int value, MemorySegment valueSegment,
                               MemorySegment errnoState, String name) throws IOException {
        valueSegment.set(JAVA_INT, 0, value);
        int r;
        try {
            r = (int) SETSOCKOPT.invokeExact(errnoState, fd, level, option, valueSegment, 4);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        check(r, "setsockopt(" + name + ")", errnoState);
    }

    private static int check(int result, String operation, MemorySegment errnoState) throws IOException {
        if (result < 0) {
            throw new IOException(operation + ": " + describe(errno(errnoState)));
        }
        return result;
    }

    @SuppressWarnings("restricted") // dns-edge's UDP transport is native by design; run with --enable-native-access
    private static MethodHandle capturing(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(name), descriptor, Linker.Option.captureCallState("errno"));
    }

    @SuppressWarnings("restricted")
    private static MethodHandle plain(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(name), descriptor);
    }

    private static MemorySegment symbol(String name) {
        return LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }
}
