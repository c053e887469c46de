package io.navstar.dns.server;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The libc calls of the UDP query sockets through FFM: socket, setsockopt, bind, getsockname,
 * recvmmsg, sendmmsg, sendto, close, and the Linux x86-64/aarch64 (LP64) layouts of {@code struct
 * mmsghdr}, {@code struct msghdr}, {@code struct iovec} and the socket addresses they carry.
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
    static final int SOCK_STREAM = 1;
    static final int SOCK_DGRAM = 2;
    private static final int SOCK_NONBLOCK = 0x800;  // O_NONBLOCK
    private static final int SOCK_CLOEXEC = 0x80000; // O_CLOEXEC
    private static final int SOL_SOCKET = 1;
    private static final int SO_SNDBUF = 7;
    private static final int SO_RCVBUF = 8;
    private static final int SO_REUSEPORT = 15;
    private static final int SO_TYPE = 3;
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;
    private static final int F_SETFD = 2;
    private static final int FD_CLOEXEC = 1;
    private static final int IPPROTO_IPV6 = 41;
    private static final int IPV6_V6ONLY = 26;
    /** recvmmsg(2)/sendmmsg(2) flag: never block, even on a blocking socket. */
    static final int MSG_DONTWAIT = 0x40;
    /** recvmsg(2): set in msg_flags when the datagram was longer than the buffer and was cut. */
    static final int MSG_TRUNC = 0x20;
    static final int EINTR = 4;
    static final int EAGAIN = 11; // == EWOULDBLOCK on Linux

    /** {@code struct iovec { void *iov_base; size_t iov_len; }} */
    static final StructLayout IOVEC = MemoryLayout.structLayout(ADDRESS.withName("iov_base"),
            JAVA_LONG.withName("iov_len"));
    /**
     * <pre>
     * struct msghdr {
     *     void         *msg_name;       socklen_t     msg_namelen;
     *     struct iovec *msg_iov;        size_t        msg_iovlen;
     *     void         *msg_control;    size_t        msg_controllen;
     *     int           msg_flags;
     * };
     * struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; };
     * </pre>
     */
    static final StructLayout MMSGHDR = MemoryLayout.structLayout(
            ADDRESS.withName("msg_name"), JAVA_INT.withName("msg_namelen"), MemoryLayout.paddingLayout(4),
            ADDRESS.withName("msg_iov"), JAVA_LONG.withName("msg_iovlen"),
            ADDRESS.withName("msg_control"), JAVA_LONG.withName("msg_controllen"),
            JAVA_INT.withName("msg_flags"), MemoryLayout.paddingLayout(4),
            JAVA_INT.withName("msg_len"), MemoryLayout.paddingLayout(4));
    static final long MSG_NAME = offset(MMSGHDR, "msg_name");
    static final long MSG_NAMELEN = offset(MMSGHDR, "msg_namelen");
    static final long MSG_IOV = offset(MMSGHDR, "msg_iov");
    static final long MSG_IOVLEN = offset(MMSGHDR, "msg_iovlen");
    static final long MSG_FLAGS = offset(MMSGHDR, "msg_flags");
    static final long MSG_LEN = offset(MMSGHDR, "msg_len");
    static final long IOV_BASE = offset(IOVEC, "iov_base");
    static final long IOV_LEN = offset(IOVEC, "iov_len");

    /**
     * Room for either socket address: {@code struct sockaddr_in} (16 bytes: family, port, address) or
     * {@code struct sockaddr_in6} (28 bytes: family, port, flowinfo, 16-byte address, scope id), see
     * ip(7) and ipv6(7). Family in host order, port and addresses in network order.
     */
    static final int SOCKADDR_SIZE = 28;
    static final long SA_FAMILY = 0;
    static final long SA_PORT = 2;
    static final long SIN_ADDR = 4;
    static final long SIN6_ADDR = 8;
    static final long SIN6_SCOPE_ID = 24;
    static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt NET_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

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
    private static final MethodHandle GETSOCKOPT = capturing("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    /** int fcntl(int fd, int cmd, ... int arg): variadic from its third argument */
    private static final MethodHandle FCNTL = LINKER.downcallHandle(symbol("fcntl"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2),
            Linker.Option.captureCallState("errno"));
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
        int length = writeSockaddr(sockaddr, address, v4 ? AF_INET : AF_INET6);
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

    /**
     * What an inherited descriptor is (socket activation): its type ({@link #SOCK_DGRAM}, {@link #SOCK_STREAM}) and
     * the address it is bound to; -1 and null when it is not a bound inet socket.
     */
    record Identity(int type, InetSocketAddress address) {
    }

    static Identity identify(int fd, MemorySegment errnoState, MemorySegment scratch) {
        MemorySegment value = scratch.asSlice(40, 4);
        MemorySegment valueLength = scratch.asSlice(44, 4);
        valueLength.set(JAVA_INT, 0, 4);
        MemorySegment sockaddr = scratch.asSlice(0, SOCKADDR_SIZE);
        MemorySegment length = scratch.asSlice(32, 4);
        length.set(JAVA_INT, 0, SOCKADDR_SIZE);
        sockaddr.fill((byte) 0);
        try {
            if ((int) GETSOCKOPT.invokeExact(errnoState, fd, SOL_SOCKET, SO_TYPE, value, valueLength) < 0
                    || (int) GETSOCKNAME.invokeExact(errnoState, fd, sockaddr, length) < 0) {
                return new Identity(-1, null);
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        short family = sockaddr.get(ValueLayout.JAVA_SHORT_UNALIGNED, SA_FAMILY);
        if (family != AF_INET && family != AF_INET6) {
            return new Identity(-1, null);
        }
        return new Identity(value.get(JAVA_INT, 0), readSockaddr(sockaddr));
    }

    /** Makes an inherited descriptor non-blocking and close-on-exec, as the agent's own sockets are. */
    static void adopt(int fd, MemorySegment errnoState) throws IOException {
        try {
            int flags = check((int) FCNTL.invokeExact(errnoState, fd, F_GETFL, 0), "fcntl(F_GETFL)", errnoState);
            check((int) FCNTL.invokeExact(errnoState, fd, F_SETFL, flags | SOCK_NONBLOCK), "fcntl(F_SETFL)", errnoState);
            check((int) FCNTL.invokeExact(errnoState, fd, F_SETFD, FD_CLOEXEC), "fcntl(F_SETFD)", errnoState);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Writes {@code address} as a sockaddr for a socket of {@code family} (an IPv4 address becomes
     * v4-mapped {@code ::ffff:a.b.c.d} for an AF_INET6 socket, RFC 4291 §2.5.5.2); returns its length.
     */
    static int writeSockaddr(MemorySegment sockaddr, InetSocketAddress address, int family) {
        sockaddr.fill((byte) 0);
        sockaddr.set(ValueLayout.JAVA_SHORT_UNALIGNED, SA_FAMILY, (short) family);
        sockaddr.set(NET_SHORT, SA_PORT, (short) address.getPort());
        InetAddress ip = address.getAddress();
        if (family == AF_INET) {
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
    static InetSocketAddress readSockaddr(MemorySegment sockaddr) {
        int port = Short.toUnsignedInt(sockaddr.get(NET_SHORT, SA_PORT));
        try {
            if (sockaddr.get(ValueLayout.JAVA_SHORT_UNALIGNED, SA_FAMILY) == AF_INET) {
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

    private static long offset(StructLayout layout, String field) {
        return layout.byteOffset(MemoryLayout.PathElement.groupElement(field));
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
