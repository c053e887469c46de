package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.model.Endpoint;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Destroys the connected UDP sockets of the calling thread's network namespace whose peer is a given backend,
 * through the sock_diag netlink interface (linux/sock_diag.h, linux/inet_diag.h): a SOCK_DIAG_BY_FAMILY dump
 * finds them, SOCK_DESTROY closes each (the socket's next call fails with ECONNABORTED), so a DNS client never
 * sticks to a backend that is gone. Needs CONFIG_INET_DIAG_DESTROY and CAP_NET_ADMIN.
 *
 * <p>Threading: stateless; each call opens and closes its own netlink socket, in the caller's namespace.
 */
public final class SockDiag {
    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int NETLINK_SOCK_DIAG = 4;
    private static final int SOCK_DIAG_BY_FAMILY = 20;
    private static final int SOCK_DESTROY = 21;
    private static final int NLMSG_ERROR = 2;
    private static final int NLMSG_DONE = 3;
    private static final int NLM_F_REQUEST = 0x1;
    private static final int NLM_F_ACK = 0x4;
    private static final int NLM_F_DUMP = 0x300;
    private static final int IPPROTO_UDP = 17;
    private static final int NLMSG_HDRLEN = 16;
    /** struct inet_diag_req_v2: family, protocol, ext, pad, states, struct inet_diag_sockid (48 bytes). */
    private static final int REQ_LEN = 56;
    /** struct inet_diag_sockid inside inet_diag_msg starts after family, state, timer, retrans. */
    private static final int MSG_ID_OFFSET = 4;
    private static final int ID_LEN = 48;

    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final ValueLayout.OfShort NET_SHORT = JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);

    private static final MethodHandle SOCKET = downcall("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SEND = downcall("send",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECV = downcall("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private SockDiag() {
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        Linker linker = Linker.nativeLinker();
        return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(), descriptor,
                Linker.Option.captureCallState("errno"));
    }

    /** Thrown with the operation and errno when a netlink call fails. */
    public static final class SockDiagException extends RuntimeException {
        public SockDiagException(String message) {
            super(message);
        }
    }

    /**
     * Destroys every UDP socket of this thread's namespace connected to {@code backend}; returns how many.
     */
    public static int destroyUdpConnectedTo(Endpoint backend) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(CAPTURE);
            int fd = socket(errno);
            try {
                byte[] address = backend.address().getAddress();
                int destroyed = destroyAll(arena, errno, fd, backend.family(), address, backend.port());
                if (address.length == 4) {
                    // dual-stack AF_INET6 sockets (Java's default) reach IPv4 peers as ::ffff:a.b.c.d
                    byte[] mapped = new byte[16];
                    mapped[10] = (byte) 0xff;
                    mapped[11] = (byte) 0xff;
                    System.arraycopy(address, 0, mapped, 12, 4);
                    destroyed += destroyAll(arena, errno, fd, Endpoint.AF_INET6, mapped, backend.port());
                }
                return destroyed;
            } finally {
                try {
                    int ignored = (int) CLOSE.invokeExact(errno, fd);
                } catch (Throwable t) {
                    // closing a descriptor we own cannot usefully fail here
                }
            }
        }
    }

    private static int destroyAll(Arena arena, MemorySegment errno, int fd, int family, byte[] address, int port) {
        int destroyed = 0;
        for (byte[] id : dump(arena, errno, fd, family, address, port)) {
            if (destroy(arena, errno, fd, family, id)) {
                destroyed++;
            }
        }
        return destroyed;
    }

    private static int socket(MemorySegment errno) {
        try {
            int fd = (int) SOCKET.invokeExact(errno, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
            if (fd < 0) {
                throw new SockDiagException("socket(AF_NETLINK, NETLINK_SOCK_DIAG): errno " + (int) ERRNO.get(errno, 0L));
            }
            return fd;
        } catch (SockDiagException e) {
            throw e;
        } catch (Throwable t) {
            throw new SockDiagException("socket(AF_NETLINK): " + t);
        }
    }

    private static MemorySegment request(Arena arena, int type, int flags, int family, byte[] id) {
        MemorySegment msg = arena.allocate(NLMSG_HDRLEN + REQ_LEN, 8);
        msg.set(JAVA_INT, 0, NLMSG_HDRLEN + REQ_LEN);
        msg.set(JAVA_SHORT, 4, (short) type);
        msg.set(JAVA_SHORT, 6, (short) flags);
        msg.set(JAVA_INT, 8, 1);
        msg.set(JAVA_BYTE, NLMSG_HDRLEN, (byte) family);
        msg.set(JAVA_BYTE, NLMSG_HDRLEN + 1, (byte) IPPROTO_UDP);
        msg.set(JAVA_INT, NLMSG_HDRLEN + 4, -1); // every state
        if (id != null) {
            MemorySegment.copy(id, 0, msg, JAVA_BYTE, NLMSG_HDRLEN + 8, ID_LEN);
        }
        return msg;
    }

    private static void send(MemorySegment errno, int fd, MemorySegment msg, String what) {
        try {
            long n = (long) SEND.invokeExact(errno, fd, msg, msg.byteSize(), 0);
            if (n < 0) {
                throw new SockDiagException(what + ": send errno " + (int) ERRNO.get(errno, 0L));
            }
        } catch (SockDiagException e) {
            throw e;
        } catch (Throwable t) {
            throw new SockDiagException(what + ": " + t);
        }
    }

    private static long recv(MemorySegment errno, int fd, MemorySegment buffer, String what) {
        try {
            long n = (long) RECV.invokeExact(errno, fd, buffer, buffer.byteSize(), 0);
            if (n < 0) {
                throw new SockDiagException(what + ": recv errno " + (int) ERRNO.get(errno, 0L));
            }
            return n;
        } catch (SockDiagException e) {
            throw e;
        } catch (Throwable t) {
            throw new SockDiagException(what + ": " + t);
        }
    }

    /** The socket ids (raw inet_diag_sockid) of UDP sockets of a family whose peer is address:port. */
    private static List<byte[]> dump(Arena arena, MemorySegment errno, int fd, int family, byte[] target, int port) {
        send(errno, fd, request(arena, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, family, null),
                "SOCK_DIAG_BY_FAMILY dump of UDP sockets");
        List<byte[]> ids = new ArrayList<>();
        MemorySegment buffer = arena.allocate(1 << 16, 8);
        while (true) {
            long n = recv(errno, fd, buffer, "SOCK_DIAG_BY_FAMILY dump");
            long at = 0;
            while (at + NLMSG_HDRLEN <= n) {
                int len = buffer.get(JAVA_INT, at);
                int type = Short.toUnsignedInt(buffer.get(JAVA_SHORT, at + 4));
                if (len < NLMSG_HDRLEN || at + len > n) {
                    throw new SockDiagException("SOCK_DIAG_BY_FAMILY: malformed message of " + len + " bytes");
                }
                if (type == NLMSG_DONE) {
                    return ids;
                }
                if (type == NLMSG_ERROR) {
                    throw new SockDiagException("SOCK_DIAG_BY_FAMILY: error " + -buffer.get(JAVA_INT, at + NLMSG_HDRLEN));
                }
                if (type == SOCK_DIAG_BY_FAMILY && len >= NLMSG_HDRLEN + MSG_ID_OFFSET + ID_LEN) {
                    long id = at + NLMSG_HDRLEN + MSG_ID_OFFSET;
                    int dport = Short.toUnsignedInt(buffer.get(NET_SHORT, id + 2));
                    byte[] dst = buffer.asSlice(id + 20, target.length).toArray(JAVA_BYTE);
                    if (dport == port && java.util.Arrays.equals(dst, target)) {
                        ids.add(buffer.asSlice(id, ID_LEN).toArray(JAVA_BYTE));
                    }
                }
                at += (len + 3) & ~3;
            }
        }
    }

    private static boolean destroy(Arena arena, MemorySegment errno, int fd, int family, byte[] id) {
        send(errno, fd, request(arena, SOCK_DESTROY, NLM_F_REQUEST | NLM_F_ACK, family, id), "SOCK_DESTROY");
        MemorySegment buffer = arena.allocate(4096, 8);
        long n = recv(errno, fd, buffer, "SOCK_DESTROY ack");
        if (n >= NLMSG_HDRLEN + 4 && buffer.get(JAVA_SHORT, 4) == NLMSG_ERROR) {
            int error = -buffer.get(JAVA_INT, NLMSG_HDRLEN);
            if (error != 0 && error != 2 /* ENOENT: closed meanwhile */) {
                throw new SockDiagException("SOCK_DESTROY: errno " + error);
            }
            return error == 0;
        }
        return false;
    }
}
