package io.navstar.sys.socket;

import io.navstar.sys.NativeException;
import io.navstar.sys.Native;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.time.Duration;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The BSD socket calls through FFM (socket(2), bind(2), getsockname(2), getsockopt(2), setsockopt(2), sendto(2),
 * recvfrom(2), recvmmsg(2), sendmmsg(2)), for the UDP and netlink sockets of navstar.
 *
 * <p>Control calls ({@link #socket}, {@link #bind}, {@link #setIntOption}, ...) capture errno into the calling
 * thread's scratch and throw {@link NativeException} naming the call and the operation. Data calls take the
 * errno capture segment from the caller (one per socket, see {@link Native#newErrnoState}), return bytes or minus
 * errno, and allocate nothing. Stateless; any thread.
 */
public final class Sockets {
    public static final int AF_UNSPEC = 0;
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    public static final int AF_NETLINK = 16;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    /** socket(2) type flags, the same bits as O_NONBLOCK and O_CLOEXEC. */
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    /** getsockopt: the socket's type (SOCK_STREAM, SOCK_DGRAM...). */
    public static final int SO_TYPE = 3;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_REUSEPORT = 15;
    public static final int SO_RCVTIMEO = 20;
    /** As SO_RCVBUF, past net.core.rmem_max (needs CAP_NET_ADMIN). */
    public static final int SO_RCVBUFFORCE = 33;
    public static final int IPPROTO_IPV6 = 41;
    /** ipv6(7): 0 lets an AF_INET6 socket also serve IPv4 peers as ::ffff:a.b.c.d. */
    public static final int IPV6_V6ONLY = 26;
    /** send/recv flags. */
    public static final int MSG_PEEK = 0x2;
    /** recv: return the datagram's real length; in a received msg_flags: the datagram was longer and was cut. */
    public static final int MSG_TRUNC = 0x20;
    /** Never block, even on a blocking socket. */
    public static final int MSG_DONTWAIT = 0x40;

    private static final MethodHandle SOCKET = Native.capturing("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = Native.capturing("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKNAME = Native.capturing("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GETSOCKOPT = Native.capturing("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SETSOCKOPT = Native.capturing("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    /** ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr, socklen_t) */
    private static final MethodHandle SENDTO = Native.capturing("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    /** ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr, socklen_t *addrlen) */
    private static final MethodHandle RECVFROM = Native.capturing("recvfrom",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    /** int recvmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags, struct timespec *timeout) */
    private static final MethodHandle RECVMMSG = Native.capturing("recvmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    /** int sendmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags) */
    private static final MethodHandle SENDMMSG = Native.capturing("sendmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));

    private Sockets() {
    }

    // ------------------------------------------------------------------------------------------------ control

    /** socket(2) with SOCK_CLOEXEC added to {@code type}; returns the descriptor (the caller owns it). */
    public static int socket(int family, int type, int protocol, String operation) {
        try {
            Native.Scratch scratch = Native.scratch();
            int fd = (int) SOCKET.invokeExact(scratch.errnoState(), family, type | SOCK_CLOEXEC, protocol);
            if (fd < 0) {
                throw new NativeException("socket", scratch.errno(), operation);
            }
            return fd;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** bind(2) to the first {@code length} bytes of {@code address} (a sockaddr in native memory). */
    public static void bind(int fd, MemorySegment address, int length, String operation) {
        try {
            Native.Scratch scratch = Native.scratch();
            int result = (int) BIND.invokeExact(scratch.errnoState(), fd, address, length);
            if (result < 0) {
                throw new NativeException("bind", scratch.errno(), operation);
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** getsockname(2) into {@code address} (native, its size the room offered); returns the address's length. */
    public static int getsockname(int fd, MemorySegment address, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment length = arena.allocate(JAVA_INT);
            length.set(JAVA_INT, 0, (int) address.byteSize());
            Native.Scratch scratch = Native.scratch();
            int result = (int) GETSOCKNAME.invokeExact(scratch.errnoState(), fd, address, length);
            if (result < 0) {
                throw new NativeException("getsockname", scratch.errno(), operation);
            }
            return length.get(JAVA_INT, 0);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** setsockopt(2) of an int option; {@code name} spells the option in the error ("SO_RCVBUF"). */
    public static void setIntOption(int fd, int level, int option, int value, String name, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(JAVA_INT);
            segment.set(JAVA_INT, 0, value);
            setOption(fd, level, option, segment, name, operation);
        }
    }

    /** getsockopt(2) of an int option; {@code name} spells the option in the error ("SO_TYPE"). */
    public static int getIntOption(int fd, int level, int option, String name, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(JAVA_INT);
            MemorySegment length = arena.allocate(JAVA_INT);
            length.set(JAVA_INT, 0, 4);
            Native.Scratch scratch = Native.scratch();
            int result = (int) GETSOCKOPT.invokeExact(scratch.errnoState(), fd, level, option, value, length);
            if (result < 0) {
                throw new NativeException("getsockopt(" + name + ")", scratch.errno(), operation);
            }
            return value.get(JAVA_INT, 0);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** SO_RCVTIMEO: a blocking receive gives up with EAGAIN after {@code timeout} (socket(7)). */
    public static void setReceiveTimeout(int fd, Duration timeout, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment timeval = arena.allocate(16, 8); // struct timeval { time_t tv_sec; suseconds_t tv_usec; }
            timeval.set(JAVA_LONG, 0, timeout.toSeconds());
            timeval.set(JAVA_LONG, 8, timeout.toNanosPart() / 1000);
            setOption(fd, SOL_SOCKET, SO_RCVTIMEO, timeval, "SO_RCVTIMEO", operation);
        }
    }

    /** setsockopt(2) with the bytes of {@code value} (native memory). */
    public static void setOption(int fd, int level, int option, MemorySegment value, String name, String operation) {
        try {
            Native.Scratch scratch = Native.scratch();
            int result = (int) SETSOCKOPT.invokeExact(scratch.errnoState(), fd, level, option, value,
                    (int) value.byteSize());
            if (result < 0) {
                throw new NativeException("setsockopt(" + name + ")", scratch.errno(), operation);
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    // --------------------------------------------------------------------------------------------------- data

    /**
     * sendto(2) of {@code length} bytes; {@code address} may be {@link MemorySegment#NULL} (length 0) on a
     * connected socket. Bytes sent, or minus errno (captured into {@code errnoState}). Allocates nothing.
     */
    public static long sendto(MemorySegment errnoState, int fd, MemorySegment data, long length, int flags,
                              MemorySegment address, int addressLength) {
        try {
            long result = (long) SENDTO.invokeExact(errnoState, fd, data, length, flags, address, addressLength);
            return result < 0 ? -Native.errno(errnoState) : result;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * recvfrom(2) of up to {@code length} bytes; the sender's address into {@code address} (room given by
     * {@code addressLength}'s int, which the kernel overwrites with the length), or both NULL. Bytes received
     * (with {@link #MSG_TRUNC}: the datagram's real length), or minus errno. Allocates nothing.
     */
    public static long recvfrom(MemorySegment errnoState, int fd, MemorySegment buffer, long length, int flags,
                                MemorySegment address, MemorySegment addressLength) {
        try {
            long result = (long) RECVFROM.invokeExact(errnoState, fd, buffer, length, flags, address, addressLength);
            return result < 0 ? -Native.errno(errnoState) : result;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * recvmmsg(2) of up to {@code count} datagrams into the {@code struct mmsghdr}s of {@code messages}
     * ({@link MessageHeaders}), with no timeout: datagrams read, or minus errno. Allocates nothing.
     */
    public static int recvmmsg(MemorySegment errnoState, int fd, MemorySegment messages, int count, int flags) {
        try {
            int result = (int) RECVMMSG.invokeExact(errnoState, fd, messages, count, flags, MemorySegment.NULL);
            return result < 0 ? -Native.errno(errnoState) : result;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * sendmmsg(2) of up to {@code count} messages: how many were sent from the first, or minus errno. As
     * sendmmsg(2) says, an error after at least one message was sent is not reported; retry from the first
     * unsent message to learn it. Allocates nothing.
     */
    public static int sendmmsg(MemorySegment errnoState, int fd, MemorySegment messages, int count, int flags) {
        try {
            int result = (int) SENDMMSG.invokeExact(errnoState, fd, messages, count, flags);
            return result < 0 ? -Native.errno(errnoState) : result;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
