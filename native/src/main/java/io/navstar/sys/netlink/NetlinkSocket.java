package io.navstar.sys.netlink;

import io.navstar.sys.Errno;
import io.navstar.sys.Fd;
import io.navstar.sys.Native;
import io.navstar.sys.NativeException;
import io.navstar.sys.socket.Sockets;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.function.Consumer;

import static io.navstar.sys.netlink.Netlink.NLMSG_DONE;
import static io.navstar.sys.netlink.Netlink.NLMSG_ERROR;
import static io.navstar.sys.netlink.Netlink.SOCKADDR_NL_SIZE;

/**
 * An owned AF_NETLINK socket (netlink(7)) bound to a kernel-chosen port id, with its own errno capture segment and
 * receive buffer. {@link #transact} sends a request and reads its answer: the replies, then the acknowledgement
 * ({@code NLMSG_ERROR} with error 0 or minus errno) or, for a dump, {@code NLMSG_DONE}. {@link #receive} reads
 * one datagram for callers that handle multicast notifications themselves. Datagrams from any sender but the
 * kernel (port id 0) are dropped, so no process can forge a notification.
 *
 * <p>The socket stays in the network namespace of the thread that opened it, whichever thread uses it later.
 * Threading: one thread at a time ({@link #close} excepted, which any thread may call once the user is done).
 */
public final class NetlinkSocket implements AutoCloseable {
    /** Dumps fill datagrams of up to 32 KiB (net/netlink/af_netlink.c, max_recvmsg_len); notifications are small. */
    private static final int RECEIVE_BUFFER_BYTES = 64 * 1024;
    /** How long a request waits for the kernel's answer on a blocking socket before giving up. */
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(5);

    private final Fd fd;
    private final String name;
    private final int portId;
    private final MemorySegment errnoState;
    private final MemorySegment receiveBuffer;
    private final MemorySegment kernelAddress;
    private final MemorySegment sender;
    private final MemorySegment senderLength;
    private final Arena arena;
    private MemorySegment sendBuffer;
    private MemorySegment received = MemorySegment.NULL;
    private int sequence;
    /** The extended-ack text of the last refused request, for {@link #refused}. */
    private String lastErrorText;

    private NetlinkSocket(Fd fd, String name, Arena arena) {
        this.fd = fd;
        this.name = name;
        this.arena = arena;
        this.errnoState = Native.newErrnoState(arena);
        this.receiveBuffer = arena.allocate(RECEIVE_BUFFER_BYTES, 8);
        this.sendBuffer = arena.allocate(4096, 8);
        this.kernelAddress = arena.allocate(SOCKADDR_NL_SIZE, 4);
        kernelAddress.set(ValueLayout.JAVA_SHORT, 0, (short) Sockets.AF_NETLINK); // nl_pid 0: the kernel
        this.sender = arena.allocate(SOCKADDR_NL_SIZE, 4);
        this.senderLength = arena.allocate(ValueLayout.JAVA_INT);
        MemorySegment local = arena.allocate(SOCKADDR_NL_SIZE, 4);
        local.set(ValueLayout.JAVA_SHORT, 0, (short) Sockets.AF_NETLINK);  // nl_pid 0: the kernel picks one
        Sockets.bind(fd.value(), local, SOCKADDR_NL_SIZE, "binding a " + name + " socket");
        Sockets.getsockname(fd.value(), local, "reading the port id of a " + name + " socket");
        this.portId = local.get(ValueLayout.JAVA_INT, 4);
    }

    /**
     * Opens a socket of netlink {@code protocol} ({@link Netlink#NETLINK_ROUTE}...) in the calling thread's network
     * namespace. A blocking socket gives up on an answer after 5 s; a non-blocking one ({@code nonBlocking}) is for
     * an event loop or a poll(2) thread and makes {@link #receive} return minus EAGAIN when nothing is queued.
     */
    public static NetlinkSocket open(int protocol, boolean nonBlocking) {
        String name = protocolName(protocol);
        int type = Sockets.SOCK_RAW | (nonBlocking ? Sockets.SOCK_NONBLOCK : 0);
        Fd fd = new Fd(Sockets.socket(Sockets.AF_NETLINK, type, protocol, "opening a " + name + " socket"));
        try {
            // best effort: extended acks carry the kernel's error text (4.12); capped acks leave out the echoed
            // request (4.3). Older kernels refuse the option and answer without them.
            trySetOption(fd.value(), Netlink.NETLINK_EXT_ACK);
            trySetOption(fd.value(), Netlink.NETLINK_CAP_ACK);
            if (!nonBlocking) {
                Sockets.setReceiveTimeout(fd.value(), ANSWER_TIMEOUT, "bounding the wait of a " + name + " socket");
            }
            return new NetlinkSocket(fd, name, Arena.ofAuto());
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    private static void trySetOption(int fd, int option) {
        try {
            Sockets.setIntOption(fd, Netlink.SOL_NETLINK, option, 1, "netlink option " + option, "");
        } catch (NativeException ignored) {
            // an older kernel: answers come without the extra
        }
    }

    private static String protocolName(int protocol) {
        return switch (protocol) {
            case Netlink.NETLINK_ROUTE -> "NETLINK_ROUTE";
            case Netlink.NETLINK_SOCK_DIAG -> "NETLINK_SOCK_DIAG";
            default -> "netlink protocol " + protocol;
        };
    }

    /** The descriptor, for an event loop to watch; still owned by this socket. */
    public int fd() {
        return fd.value();
    }

    /** The port id the kernel bound this socket to (nlmsg_pid of its requests). */
    public int portId() {
        return portId;
    }

    /** Joins multicast group {@code group} (an RTNLGRP_* number, not a bit mask): NETLINK_ADD_MEMBERSHIP. */
    public void joinGroup(int group, String operation) {
        Sockets.setIntOption(fd.value(), Netlink.SOL_NETLINK, Netlink.NETLINK_ADD_MEMBERSHIP, group,
                "NETLINK_ADD_MEMBERSHIP", operation);
    }

    /** SO_RCVBUF: how much the kernel queues for this socket before notifications overrun (ENOBUFS). */
    public void receiveBufferSize(int bytes, String operation) {
        Sockets.setIntOption(fd.value(), Sockets.SOL_SOCKET, Sockets.SO_RCVBUF, bytes, "SO_RCVBUF", operation);
    }

    /**
     * Sends {@code request} to the kernel with the next sequence number; returns that number.
     *
     * @throws NativeException naming sendto and the operation
     */
    public int send(NetlinkRequest request, String operation) {
        sequence = sequence == Integer.MAX_VALUE ? 1 : sequence + 1;
        MemorySegment message = request.finish(sequence, portId);
        if (message.byteSize() > sendBuffer.byteSize()) {
            sendBuffer = arena.allocate(message.byteSize(), 8);
        }
        MemorySegment.copy(message, 0, sendBuffer, 0, message.byteSize());
        long sent;
        do {
            sent = Sockets.sendto(errnoState, fd.value(), sendBuffer, message.byteSize(), 0, kernelAddress,
                    SOCKADDR_NL_SIZE);
        } while (sent == -Errno.EINTR);
        if (sent < 0) {
            throw new NativeException("sendto", (int) -sent, operation);
        }
        return sequence;
    }

    /**
     * Receives one datagram from the kernel into this socket's buffer ({@link #received}); returns its length, or
     * minus errno: EAGAIN when nothing is queued on a non-blocking socket (or no answer came in time on a blocking
     * one), ENOBUFS when notifications overran the receive buffer and some were lost. Datagrams from other
     * senders are dropped and the next one is read.
     *
     * @throws NativeException when a datagram is larger than the receive buffer (it was cut)
     */
    public int receive() {
        while (true) {
            senderLength.set(ValueLayout.JAVA_INT, 0, SOCKADDR_NL_SIZE);
            long length = Sockets.recvfrom(errnoState, fd.value(), receiveBuffer, receiveBuffer.byteSize(),
                    Sockets.MSG_TRUNC, sender, senderLength);
            if (length == -Errno.EINTR) {
                continue;
            }
            if (length < 0) {
                received = MemorySegment.NULL;
                return (int) length;
            }
            if (length > receiveBuffer.byteSize()) {
                throw new NativeException("recvfrom", Errno.EMSGSIZE, "reading a " + name + " datagram of " + length
                        + " bytes into " + receiveBuffer.byteSize());
            }
            if (sender.get(ValueLayout.JAVA_INT, 4) != 0) {
                continue; // not from the kernel
            }
            received = receiveBuffer.asSlice(0, length);
            return (int) length;
        }
    }

    /** The datagram the last successful {@link #receive} read; overwritten by the next. */
    public MemorySegment received() {
        return received;
    }

    /**
     * Sends {@code request} and reads its answer: every message of the same sequence number that is not the end
     * goes to {@code replies} (valid only during the call), until the kernel's acknowledgement (the request needs
     * {@link Netlink#NLM_F_ACK}) or, for a {@link Netlink#NLM_F_DUMP}, the NLMSG_DONE. Returns 0 on success or the
     * errno the kernel answered (positive), for the caller to accept (EEXIST on an idempotent create) or throw
     * with {@link #refused}.
     *
     * @throws NativeException when the socket fails or no answer comes within 5 s
     * @throws NetlinkFormatException when the answer does not parse
     */
    public int transact(NetlinkRequest request, Consumer<NetlinkMessage> replies, String command, String operation) {
        boolean dump = (request.flags() & Netlink.NLM_F_DUMP) == Netlink.NLM_F_DUMP;
        if (!dump && (request.flags() & Netlink.NLM_F_ACK) == 0) {
            throw new IllegalArgumentException(command + " needs NLM_F_ACK or NLM_F_DUMP to have an end to wait for");
        }
        lastErrorText = null;
        int expected = send(request, operation);
        while (true) {
            int length = receive();
            if (length == -Errno.EAGAIN) {
                throw new NativeException(command, Errno.ETIMEDOUT, operation + " (no answer from the kernel within "
                        + ANSWER_TIMEOUT.toSeconds() + " s)");
            }
            if (length < 0) {
                throw new NativeException("recvfrom", -length, operation);
            }
            for (NetlinkMessage message : NetlinkMessage.split(received)) {
                if (message.sequence() != expected || message.portId() != portId) {
                    continue; // a late answer to an earlier request
                }
                if (message.type() == NLMSG_ERROR) {
                    lastErrorText = message.errorText();
                    return -message.error();
                }
                if (message.type() == NLMSG_DONE) {
                    int status = message.length() >= Netlink.NLMSG_HDRLEN + 4 ? message.error() : 0;
                    return status < 0 ? -status : 0;
                }
                replies.accept(message);
            }
        }
    }

    /** As {@link #transact}, throwing a {@link NetlinkException} for any errno but those in {@code accepted}. */
    public int transactOrThrow(NetlinkRequest request, Consumer<NetlinkMessage> replies, String command,
                               String operation, int... accepted) {
        int errno = transact(request, replies, command, operation);
        if (errno == 0) {
            return 0;
        }
        for (int ok : accepted) {
            if (errno == ok) {
                return errno;
            }
        }
        throw refused(command, errno, operation);
    }

    /** The exception for a refused request, with the kernel's extended-ack text of the last answer if it sent one. */
    public NetlinkException refused(String command, int errno, String operation) {
        return new NetlinkException(command, errno, operation, lastErrorText);
    }

    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return name + " socket, port id " + Integer.toUnsignedString(portId);
    }
}
