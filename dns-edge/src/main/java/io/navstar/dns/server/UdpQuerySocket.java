package io.navstar.dns.server;

import io.navstar.dns.metrics.DnsMetrics;
import io.navstar.sys.Errno;
import io.navstar.sys.Libc;
import io.navstar.sys.Native;
import io.navstar.sys.socket.InetSockaddr;
import io.navstar.sys.socket.Sockets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutionException;

import static io.navstar.sys.socket.InetSockaddr.*;
import static io.navstar.sys.socket.MessageHeaders.*;
import static io.navstar.sys.socket.Sockets.AF_INET;
import static io.navstar.sys.socket.Sockets.AF_INET6;
import static io.navstar.sys.socket.Sockets.MSG_DONTWAIT;
import static io.navstar.sys.socket.Sockets.MSG_TRUNC;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One SO_REUSEPORT UDP socket serving DNS queries, created, bound, read and written through FFM
 * (navstar-native's {@link Sockets}, opened by {@link UdpSockets}) and registered on a netty {@link io.netty.channel.epoll.EpollIoHandler} as a
 * custom {@link EpollIoHandle}, so it shares its event loop, engine and forwarder with the loop's TCP
 * connections and upstream sockets. UDP queries bypass netty's datagram channel because its native
 * read (netty_epoll_native recvmmsg0/recvmsg0) makes a getsockopt(IP_RECVORIGDSTADDR) system call
 * before every read and sets up each datagram slot through JNI, and every answer then costs a pooled
 * buffer and an outbound-buffer entry. Measured with jmh/scripts/dns-bench.sh, pinned mode (the
 * server alone on one core), against the netty channel in the same runs: median answer time at
 * 20,000 q/s 2-9 us lower (local names 66 vs 75 us in one run, 52 vs 54 in another; unbound 65 and
 * 48), and 1.06-1.23x the queries per CPU second.
 *
 * <p>On readiness (level-triggered EPOLLIN) it reads with recvmmsg(2) into preallocated native slots:
 * first one query, then batches, up to {@link #MAX_BATCHES_PER_EVENT} per event. Each query goes to the
 * loop's {@link QueryEngine}, which writes the answer into a reused buffer; the answer is copied into a
 * native send slot addressed to the sender's sockaddr as the kernel wrote it. Nothing is allocated per
 * datagram. When to send: an answer leaves as soon as it is written, unless its batch came back full.
 * Sending to a local client is the expensive step (on loopback the send runs the client's receive and
 * wake-up: 7-9 us per answer on this project's 2-core VM, against 1.2-1.6 us to read and answer a query
 * at 20,000 q/s), so holding the first answers of a small batch for the rest delayed them by the rest's
 * work and saved almost nothing. A full batch means more queries are queued: then its answers go in one
 * sendmmsg(2), because the system calls saved shorten the queue everyone behind is waiting in. A datagram longer than a receive slot
 * (MSG_TRUNC) is dropped and counted ({@link DnsMetrics#countDropped}); an answer the kernel will not
 * take because the send buffer is full (EAGAIN) is dropped and counted as overloaded: a UDP client
 * retries, and queueing answers without bound is worse. Answers that come later from an upstream go
 * out with one sendto(2) from {@link #sendLateAnswer}.
 *
 * <p>Confined to its event loop: created, read, written and closed there (its memory is a confined
 * arena of that thread); {@link #open} and {@link #closeOnLoop} may be called from any thread.
 */
final class UdpQuerySocket implements EpollIoHandle {
    /** Bytes per received datagram: a longer query is cut by the kernel (MSG_TRUNC) and dropped. */
    static final int RECEIVE_SLOT = 4096;
    /** recvmmsg calls per readiness event before the loop runs its other sockets and tasks. */
    static final int MAX_BATCHES_PER_EVENT = 16;
    private static final long MSG = MMSGHDR.byteSize();
    private static final long IOV = IOVEC.byteSize();
    private static final long NAME = 32; // SOCKADDR_SIZE rounded up to 8

    private final IoEventLoop loop;
    private final QueryEngine engine;
    private final DnsMetrics metrics;
    private final int batch;
    private final int sendSlot;
    private final Arena arena;
    private final MemorySegment errnoState;
    private final Descriptor fd;
    private final int family;
    private final MemorySegment receiveMessages;
    private final MemorySegment receiveNames;
    private final long receiveNamesAddress;
    private final MemorySegment sendMessages;
    private final MemorySegment sendIovecs;
    private final MemorySegment sendData;
    private final MemorySegment[] sendFrom;
    private final MemorySegment lateName;
    private final MemorySegment lateData;
    /** The receive slots as one buffer for the decoder: datagram i starts at i * RECEIVE_SLOT. */
    private final ByteBuf received;
    /** Where the engine writes an answer (heap, grows to a TCP-sized message if it must). */
    private final ByteBuf answer = Unpooled.buffer(512, 65537);
    private final ByteBuf lateAnswer = Unpooled.buffer(512, 65537);
    private final SlotClient client = new SlotClient();
    /** Bound on the loop before the socket is handed out (through the future of {@link #open}). */
    private int port;
    private IoRegistration registration;
    private boolean closed;
    /** Most datagrams one recvmmsg returned so far (tests). */
    private int largestBatch;
    /** sendmmsg calls made so far (tests). */
    private long sendCalls;

    /** A socket of its own ({@code inheritedFd} -1) or one it was handed ({@link ListenSockets}). */
    private UdpQuerySocket(IoEventLoop loop, InetSocketAddress address, int batch, int maxAnswer, int bufferBytes,
                           QueryEngine engine, DnsMetrics metrics, int inheritedFd) throws IOException {
        this.loop = loop;
        this.engine = engine;
        this.metrics = metrics;
        this.batch = batch;
        this.sendSlot = Math.max(512, Math.min(maxAnswer, 65507));
        this.arena = Arena.ofConfined();
        boolean done = false;
        try {
            this.errnoState = Native.newErrnoState(arena);
            this.family = address.getAddress() instanceof java.net.Inet4Address ? AF_INET : AF_INET6;
            receiveMessages = arena.allocate(MSG * batch, 8);
            MemorySegment receiveIovecs = arena.allocate(IOV * batch, 8);
            receiveNames = arena.allocate(NAME * batch, 8);
            receiveNamesAddress = receiveNames.address();
            MemorySegment receiveData = arena.allocate((long) RECEIVE_SLOT * batch, 64);
            sendMessages = arena.allocate(MSG * batch, 8);
            sendIovecs = arena.allocate(IOV * batch, 8);
            sendData = arena.allocate((long) sendSlot * batch, 64);
            sendFrom = new MemorySegment[batch];
            for (int i = 0; i < batch; i++) {
                receiveIovecs.set(JAVA_LONG, i * IOV + IOV_BASE, receiveData.address() + (long) i * RECEIVE_SLOT);
                receiveIovecs.set(JAVA_LONG, i * IOV + IOV_LEN, RECEIVE_SLOT);
                receiveMessages.set(JAVA_LONG, i * MSG + MSG_NAME, receiveNamesAddress + i * NAME);
                receiveMessages.set(JAVA_LONG, i * MSG + MSG_IOV, receiveIovecs.address() + i * IOV);
                receiveMessages.set(JAVA_LONG, i * MSG + MSG_IOVLEN, 1);
                sendIovecs.set(JAVA_LONG, i * IOV + IOV_BASE, sendData.address() + (long) i * sendSlot);
                sendMessages.set(JAVA_LONG, i * MSG + MSG_IOV, sendIovecs.address() + i * IOV);
                sendMessages.set(JAVA_LONG, i * MSG + MSG_IOVLEN, 1);
                sendFrom[i] = sendMessages.asSlice(i * MSG);
            }
            lateName = arena.allocate(NAME, 8);
            lateData = arena.allocate(sendSlot, 64);
            received = Unpooled.wrappedBuffer(receiveData.asByteBuffer());
            this.fd = new Descriptor(inheritedFd >= 0 ? inheritedFd : UdpSockets.openUdp(address, bufferBytes));
            done = true;
        } finally {
            if (!done) {
                arena.close();
            }
        }
    }

    /**
     * Opens, registers and binds a socket for {@code address} on {@code loop}, reading up to
     * {@code batch} datagrams per recvmmsg and answering up to {@code maxAnswer} bytes each. The
     * {@code first} socket of an address must have it to itself; the others join its SO_REUSEPORT
     * group ({@link UdpSockets#bindUdp}). The socket is in the loop's epoll set for EPOLLIN before
     * it is bound, in one task on the loop: no datagram can reach it while its loop is not watching it.
     *
     * @throws IOException naming the call and errno when the socket cannot be created, registered or bound
     */
    static UdpQuerySocket open(IoEventLoop loop, InetSocketAddress address, boolean first, int batch, int maxAnswer,
                               int bufferBytes, QueryEngine engine, DnsMetrics metrics)
            throws IOException, InterruptedException {
        try {
            return loop.submit(() -> {
                UdpQuerySocket socket = new UdpQuerySocket(loop, address, batch, maxAnswer, bufferBytes, engine,
                        metrics, -1);
                try {
                    socket.register(address);
                    socket.bind(address, first);
                } catch (IOException | RuntimeException e) {
                    socket.close();
                    throw e;
                }
                return socket;
            }).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException("cannot open UDP socket for " + address, e.getCause());
        }
    }

    /**
     * Serves a socket handed to this process, already bound to {@code address} (socket activation): registered on
     * {@code loop} for EPOLLIN, which reports at once the queries that queued while no server read it.
     */
    static UdpQuerySocket adopt(IoEventLoop loop, int inheritedFd, InetSocketAddress address, int batch, int maxAnswer,
                                QueryEngine engine, DnsMetrics metrics) throws IOException, InterruptedException {
        try {
            return loop.submit(() -> {
                UdpQuerySocket socket = new UdpQuerySocket(loop, address, batch, maxAnswer, 0, engine, metrics,
                        inheritedFd);
                try {
                    socket.register(address);
                    socket.port = UdpSockets.boundPort(inheritedFd);
                } catch (IOException | RuntimeException e) {
                    socket.close();
                    throw e;
                }
                return socket;
            }).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException("cannot serve the inherited UDP socket of " + address, e.getCause());
        }
    }

    /** On the loop, before the bind: joins the loop's epoll set for EPOLLIN. */
    private void register(InetSocketAddress address) throws IOException {
        Future<IoRegistration> registered = loop.register(this); // done on return: we are on the loop
        if (!registered.isSuccess()) {
            throw new IOException("cannot register UDP socket for " + address + " on its event loop",
                    registered.cause());
        }
        registration = registered.getNow();
        // level-triggered: data left after our batches wakes the loop again
        registration.submit(EpollIoOps.EPOLLIN);
    }

    /** On the loop, once registered: binds, from when datagrams queue for this socket and wake its loop. */
    private void bind(InetSocketAddress address, boolean first) throws IOException {
        UdpSockets.bindUdp(fd.intValue(), address, first);
        port = UdpSockets.boundPort(fd.intValue());
    }

    /** The event loop this socket is confined to. */
    IoEventLoop loop() {
        return loop;
    }

    /** Most datagrams one recvmmsg(2) returned since the socket opened; on the loop only (tests). */
    int largestBatch() {
        return largestBatch;
    }

    /** sendmmsg(2) calls made since the socket opened; on the loop only (tests). */
    long sendCalls() {
        return sendCalls;
    }

    /** The port bound (the one the kernel chose when the address asked for port 0). */
    int port() {
        return port;
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    @Override
    public void handle(IoRegistration reg, IoEvent event) {
        if (closed || readBatch(1) == 0) {
            return; // the first query of a wake-up is answered before the rest are read
        }
        for (int round = 0; round < MAX_BATCHES_PER_EVENT && !closed; round++) {
            if (readBatch(batch) < batch) {
                return; // drained, or nearly: epoll says when more comes
            }
        }
    }

    /**
     * One recvmmsg(2) of up to {@code max} datagrams and their answers. Each answer is sent as soon
     * as it is written, unless the batch came back full: then more queries are queued behind it, and
     * one sendmmsg(2) for the whole batch saves the system calls the queue is waiting on. Returns the
     * datagrams read.
     */
    private int readBatch(int max) {
        for (int i = 0; i < max; i++) {
            receiveMessages.set(JAVA_INT, i * MSG + MSG_NAMELEN, SOCKADDR_SIZE); // value-result: reset each call
        }
        int read = Sockets.recvmmsg(errnoState, fd.intValue(), receiveMessages, max, MSG_DONTWAIT);
        if (read <= 0) {
            if (read < 0) {
                int errno = -read;
                if (errno != Errno.EAGAIN && errno != Errno.EINTR) {
                    DnsServer.LOG.debug("recvmmsg on UDP port {}: {}", port, Errno.describe(errno));
                }
            }
            return 0;
        }
        if (read > largestBatch) {
            largestBatch = read;
        }
        boolean holdAnswers = max > 1 && read == max;
        int answers = 0;
        int unsent = 0;
        for (int i = 0; i < read; i++) {
            long message = i * MSG;
            if ((receiveMessages.get(JAVA_INT, message + MSG_FLAGS) & MSG_TRUNC) != 0) {
                metrics.countDropped(); // longer than RECEIVE_SLOT: not a query we can read whole
                continue;
            }
            int length = receiveMessages.get(JAVA_INT, message + MSG_LEN);
            answer.clear();
            int size;
            try {
                size = engine.onUdp(this, answer, received, i * RECEIVE_SLOT, length, client.at(i));
            } catch (RuntimeException e) {
                // A UDP socket must outlive any one bad datagram: log and keep serving.
                DnsServer.LOG.warn("UDP query handling failed on port {}", port, e);
                continue;
            }
            if (size == 0) {
                continue;
            }
            if (size > sendSlot) {
                metrics.countDropped(); // cannot happen: UDP answers are cut to the client's limit
                continue;
            }
            long out = answers * MSG;
            MemorySegment.copy(answer.array(), answer.arrayOffset() + answer.readerIndex(), sendData,
                    ValueLayout.JAVA_BYTE, (long) answers * sendSlot, size);
            sendIovecs.set(JAVA_LONG, answers * IOV + IOV_LEN, size);
            // the answer goes to the sockaddr the kernel wrote for the query, in place
            sendMessages.set(JAVA_LONG, out + MSG_NAME, receiveNamesAddress + i * NAME);
            sendMessages.set(JAVA_INT, out + MSG_NAMELEN, receiveMessages.get(JAVA_INT, message + MSG_NAMELEN));
            answers++;
            if (!holdAnswers) {
                flush(unsent, 1);
                unsent = answers;
            }
        }
        if (answers > unsent) {
            flush(unsent, answers - unsent);
        }
        return read;
    }

    /**
     * Sends {@code count} prepared answers from send slot {@code from}. sendmmsg(2) reports an error only
     * when it is the first message's: after a partial send the call is repeated from the first unsent
     * one. EAGAIN (send buffer full) drops the rest as overloaded; any other error drops that one answer.
     */
    private void flush(int from, int count) {
        int sent = 0;
        while (sent < count) {
            int r = Sockets.sendmmsg(errnoState, fd.intValue(), sendFrom[from + sent], count - sent, MSG_DONTWAIT);
            sendCalls++;
            if (r > 0) {
                sent += r;
                continue;
            }
            if (r == 0) {
                break;
            }
            int errno = -r;
            if (errno == Errno.EINTR) {
                continue;
            }
            if (errno == Errno.EAGAIN) {
                metrics.countOverloaded(count - sent);
                return;
            }
            metrics.countDropped();
            sent++;
        }
    }

    /** The buffer for an answer that comes later from an upstream; null once closed. */
    ByteBuf lateAnswerBuffer() {
        if (closed) {
            return null;
        }
        lateAnswer.clear();
        return lateAnswer;
    }

    /** Sends a late answer (written into {@link #lateAnswerBuffer}) to {@code client} with one sendto(2). */
    void sendLateAnswer(ByteBuf out, InetSocketAddress client) {
        int size = out.readableBytes();
        if (closed || size > sendSlot) {
            metrics.countDropped();
            return;
        }
        MemorySegment.copy(out.array(), out.arrayOffset() + out.readerIndex(), lateData, ValueLayout.JAVA_BYTE, 0,
                size);
        int nameLength = InetSockaddr.write(lateName, client, family);
        long sent = Sockets.sendto(errnoState, fd.intValue(), lateData, size, MSG_DONTWAIT, lateName, nameLength);
        if (sent < 0) {
            if (sent == -Errno.EAGAIN) {
                metrics.countOverloaded(1);
            } else {
                metrics.countDropped();
            }
        }
    }

    /** Whether the descriptor and the native memory were released (tests). */
    boolean released() {
        return closed && !fd.isOpen() && !arena.scope().isAlive();
    }

    /** Closes on the socket's loop and waits; from any thread, any number of times. */
    void closeOnLoop() {
        if (loop.inEventLoop()) {
            close();
        } else if (!loop.isShutdown()) {
            try {
                loop.submit(this::close).awaitUninterruptibly();
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the loop is shutting down: netty closes every registered handle on it
            }
        }
    }

    /**
     * Leaves epoll, closes the descriptor and frees the native memory. On the loop only (netty calls it
     * there too, when the loop shuts down); idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (registration != null) {
            registration.cancel(); // epoll_ctl(EPOLL_CTL_DEL) while the descriptor is still open
        }
        fd.close();
        arena.close();
    }

    /** Our descriptor as netty's epoll handler sees it; closed by us through FFM, once. */
    private static final class Descriptor extends FileDescriptor {
        Descriptor(int fd) {
            super(fd);
        }

        @Override
        public void close() {
            if (markClosed()) {
                Libc.close(intValue());
            }
        }
    }

    /** The sender of receive slot {@link #at}, read from the kernel's sockaddr in place. */
    private final class SlotClient implements QueryClient {
        private final byte[] v6 = new byte[16];
        private long offset;

        SlotClient at(int slot) {
            offset = slot * NAME;
            return this;
        }

        @Override
        public boolean allowedBy(SourceFilter filter) {
            if (receiveNames.get(ValueLayout.JAVA_SHORT, offset + SA_FAMILY) == AF_INET) {
                return filter.allowsV4(receiveNames.get(NET_INT, offset + SIN_ADDR));
            }
            long mapped = offset + SIN6_ADDR;
            if (receiveNames.get(JAVA_LONG, mapped) == 0 && receiveNames.get(NET_INT, mapped + 8) == 0xFFFF) {
                return filter.allowsV4(receiveNames.get(NET_INT, mapped + 12)); // ::ffff:a.b.c.d, RFC 4291 §2.5.5.2
            }
            MemorySegment.copy(receiveNames, ValueLayout.JAVA_BYTE, mapped, v6, 0, 16);
            return filter.allowsV6(v6);
        }

        @Override
        public InetSocketAddress address() {
            return InetSockaddr.read(receiveNames.asSlice(offset, SOCKADDR_SIZE));
        }
    }
}
