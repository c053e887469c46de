package io.navstar.dns.upstream;

import io.navstar.dns.cache.AnswerCache;
import io.navstar.dns.cache.CacheEntry;
import io.navstar.dns.cache.CacheKey;
import io.navstar.dns.metrics.QueryCounters;
import io.navstar.dns.wire.DnsWire;
import io.navstar.dns.wire.DnsWriter;
import io.navstar.dns.wire.ResponseScan;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.Errors;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;

import io.navstar.dns.metrics.DnsMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet4Address;
import java.net.PortUnreachableException;
import java.util.HashMap;
import java.net.InetSocketAddress;
import java.util.IdentityHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.navstar.dns.wire.DnsWire.*;

/**
 * Sends forwarded queries to upstreams and matches their answers, for one event loop. Each query goes
 * to the upstreams its {@link UpstreamGroup} chooses, in parallel, each attempt with a random
 * transaction ID from one of several UDP sockets connected to that upstream, each on its own random
 * port (RFC 5452 §9.2, {@link UpstreamSocket}); the first good answer (NOERROR or NXDOMAIN for the
 * same question, from the address asked, on the socket asked from) wins and is cached.
 * Identical questions arriving while one is in flight wait for its answer instead of being sent
 * again (up to {@link PendingQuery#MAX_FOLLOWERS}). When an attempt's
 * RTT-derived timeout expires, the query is also sent to the next upstream (the late answer still
 * counts); a truncated answer is retried over TCP to the same upstream (RFC 7766 §5); when every
 * attempt failed or the overall bound passed, a stale cached answer (RFC 8767) or SERVFAIL goes back.
 *
 * <p>Resolution failures are cached per upstream and question (RFC 9520, {@link FailureCache}): an
 * error code (SERVFAIL, REFUSED...), an unusable answer, an unreachable upstream or a failed TCP
 * retry at once, an attempt that timed out once its query is over without that upstream's answer.
 * An upstream is not asked a question whose failure it has cached; when every upstream of the group
 * has, the client gets the stale answer or SERVFAIL at once, with nothing sent. An ICMP unreachable
 * on a socket fails every attempt in flight on it at once, so the next upstream is asked without
 * waiting for a timeout.
 *
 * <p>Confined to its event loop: every method must be called on it; nothing is shared but the
 * {@link Upstream}s (internally synchronized) and the {@link AnswerCache} (concurrent).
 */
public final class Forwarder {
    /** How the forwarder hands finished queries back to the server, on the same event loop. */
    public interface Replies {
        /** Answer the client from {@code entry}, as a stale answer when {@code stale}. */
        void answer(PendingQuery query, CacheEntry entry, boolean stale);

        /** Every upstream failed and nothing stale was usable. */
        void servfail(PendingQuery query);
    }

    private static final Logger LOG = LoggerFactory.getLogger(Forwarder.class);
    private static final int IDS = 1 << 16;
    /** Linux errno values an ICMP destination unreachable turns into on a connected socket. */
    private static final int ECONNREFUSED = 111;
    private static final int ENETUNREACH = 101;
    private static final int EHOSTUNREACH = 113;

    private final EventLoop loop;
    private final AnswerCache cache;
    private final Replies replies;
    private final long overallNanos;
    private final long maxTtl;
    private final long maxNegativeTtl;
    private final long staleWindowNanos;
    private final int maxPending;
    private final int ednsPayload;
    private final PendingQuery[] byId = new PendingQuery[IDS];
    private final byte[] attemptById = new byte[IDS];
    private final ResponseScan scan = new ResponseScan();
    private final DnsWriter writer = new DnsWriter();
    private Upstream[] chosen = new Upstream[UpstreamGroup.PARALLEL + 1];
    /** Queries in flight by question, so identical misses share one upstream exchange. */
    private final HashMap<CacheKey, PendingQuery> inFlight = new HashMap<>();
    private final DnsMetrics metrics;
    /**
     * Connected sockets per upstream and loop, each on its own random ephemeral port; every attempt
     * picks one at random, so a spoofer must guess port and ID (RFC 5452 §9.2).
     */
    static final int SOCKETS_PER_UPSTREAM = 4;

    /** Each upstream's sockets on this loop, opened on first use; a slot whose connect failed is null. */
    private final IdentityHashMap<Upstream, UpstreamSocket[]> sockets = new IdentityHashMap<>();
    /** Scratch for the IDs in flight on a socket that reported an ICMP error. */
    private int[] failedIds = new int[64];
    private boolean closed;
    private int pending;

    public Forwarder(EventLoop loop, AnswerCache cache, Replies replies, long overallNanos, long maxTtl,
                     long maxNegativeTtl, long staleWindowNanos, int maxPending, int ednsPayload,
                     DnsMetrics metrics) {
        this.metrics = metrics;
        this.loop = loop;
        this.cache = cache;
        this.replies = replies;
        this.overallNanos = overallNanos;
        this.maxTtl = maxTtl;
        this.maxNegativeTtl = maxNegativeTtl;
        this.staleWindowNanos = staleWindowNanos;
        this.maxPending = maxPending;
        this.ednsPayload = ednsPayload;
    }

    /**
     * A socket to {@code upstream} picked at random among its {@link #SOCKETS_PER_UPSTREAM}, connected on
     * first use; null when connecting failed (no route to it, no descriptors left) or the forwarder is closed.
     */
    private UpstreamSocket socketTo(Upstream upstream) {
        if (closed) {
            return null;
        }
        UpstreamSocket[] slots = sockets.get(upstream);
        if (slots == null) {
            slots = new UpstreamSocket[SOCKETS_PER_UPSTREAM];
            sockets.put(upstream, slots);
        }
        int slot = ThreadLocalRandom.current().nextInt(SOCKETS_PER_UPSTREAM);
        UpstreamSocket socket = slots[slot];
        if (socket == null || !socket.channel.isOpen()) {
            socket = connect(upstream);
            slots[slot] = socket;
        }
        return socket;
    }

    /**
     * Opens a UDP socket on a random ephemeral port connected to {@code upstream}. On the loop, netty
     * registers and connects a datagram channel before returning (UDP connect only sets the peer).
     */
    private UpstreamSocket connect(Upstream upstream) {
        InetSocketAddress address = upstream.address();
        EpollDatagramChannel channel = new EpollDatagramChannel(address.getAddress() instanceof Inet4Address
                ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6);
        UpstreamSocket socket = new UpstreamSocket(upstream, channel);
        channel.pipeline().addLast(new SimpleChannelInboundHandler<DatagramPacket>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                onUdpAnswer(socket, packet);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                onSocketError(socket, cause);
            }
        });
        ChannelFuture registered = loop.register(channel);
        ChannelFuture connected = registered.isSuccess() ? channel.connect(address) : registered;
        if (!connected.isDone() || !connected.isSuccess()) {
            LOG.debug("cannot connect a UDP socket to upstream {}", address, connected.cause());
            channel.close();
            return null;
        }
        return socket;
    }

    /** Closes the upstream sockets (on the loop; waits when called from another thread). */
    public void close() {
        if (loop.inEventLoop()) {
            closeSockets();
            return;
        }
        try {
            loop.submit(this::closeSockets).awaitUninterruptibly();
        } catch (RejectedExecutionException e) {
            // the loop is gone, and its channels with it
        }
    }

    private void closeSockets() {
        closed = true;
        for (UpstreamSocket[] slots : sockets.values()) {
            for (UpstreamSocket socket : slots) {
                if (socket != null) {
                    socket.channel.close();
                }
            }
        }
        sockets.clear();
    }

    /** Forwarded queries in flight on this loop. */
    public int pending() {
        return pending;
    }

    /**
     * Starts forwarding a client's query. {@code key} is an immutable copy; {@code previous} is the
     * expired cache entry, if any, to serve stale if every upstream fails. {@code replyPath} is where
     * the server will send the answer (kept for it, never used here); {@code sender} the UDP client, or
     * null over TCP.
     *
     * @return false when too many queries are in flight or the group is empty (caller answers SERVFAIL)
     */
    public boolean forward(CacheKey key, byte[] nameOriginal, int qtype, int qclass, int clientId, int clientFlags,
                           boolean clientEdns, int clientLimit, boolean dnssecOk, Object replyPath,
                           InetSocketAddress sender, UpstreamGroup group, QueryCounters counters,
                           CacheEntry previous) {
        if (pending >= maxPending || group.size() == 0) {
            return false;
        }
        long now = System.nanoTime();
        PendingQuery pq = new PendingQuery(java.util.Arrays.copyOf(nameOriginal, key.nameLength()),
                key.nameLength(), qtype, qclass, key, clientId, clientFlags, clientEdns, clientLimit, dnssecOk,
                replyPath, sender, false, group, counters, previous, now);
        PendingQuery leader = inFlight.get(key);
        if (leader != null && leader.addFollower(pq)) {
            metrics.countCoalesced(); // answered with the leader's result, no upstream query of its own
            return true;
        }
        start(pq, now);
        return true;
    }

    /** Refreshes a popular cached entry before it expires (no client waits for it). */
    public void prefetch(CacheKey key, CacheEntry entry, UpstreamGroup group, QueryCounters counters) {
        if (pending >= maxPending || group.size() == 0) {
            entry.releasePrefetch();
            return;
        }
        long now = System.nanoTime();
        PendingQuery pq = new PendingQuery(key.name(), key.nameLength(), key.qtype(), key.qclass(), key, 0,
                FLAG_RD, true, 0, false, null, null, true, group, counters, entry, now);
        start(pq, now);
    }

    private void start(PendingQuery pq, long now) {
        pending++;
        inFlight.putIfAbsent(pq.key, pq);
        if (chosen.length < pq.group.size()) {
            chosen = new Upstream[pq.group.size()];
        }
        int n = pq.group.choose(now, ThreadLocalRandom.current().nextInt(), pq.key, chosen);
        if (n == 0) {
            // RFC 9520 §3.2: every upstream's failure for this question is cached: ask none of them
            metrics.countFailureCacheHit();
            fail(pq);
            return;
        }
        pq.deadline = loop.schedule(() -> {
            if (!pq.done) {
                fail(pq);
            }
        }, overallNanos, TimeUnit.NANOSECONDS);
        for (int i = 0; i < n && !pq.done; i++) {
            if (!pq.asked(chosen[i])) { // one that failed at once may have handed over to it already
                sendUdp(pq, chosen[i], now);
            }
        }
    }

    /**
     * Sends {@code pq} to {@code upstream} (nothing when null, or out of attempts or IDs). The attempt
     * is complete before the datagram is written: a send refused because of an earlier ICMP error
     * fails it at once, inside the write.
     */
    private void sendUdp(PendingQuery pq, Upstream upstream, long now) {
        if (upstream == null || pq.attempts == PendingQuery.MAX_ATTEMPTS) {
            return;
        }
        int id = freeId();
        if (id < 0) {
            return;
        }
        UpstreamSocket socket = socketTo(upstream);
        int attempt = pq.attempts++;
        pq.asked[attempt] = upstream;
        pq.sentAt[attempt] = now;
        pq.inFlight++;
        if (socket == null) {
            pq.ids[attempt] = -1;
            upstream.onUnreachable(now);
            failAttempt(pq, attempt, now);
            return;
        }
        pq.ids[attempt] = id;
        pq.sockets[attempt] = socket;
        byId[id] = pq;
        attemptById[id] = (byte) attempt;
        socket.sent(id);
        upstream.onQuery();
        pq.timers[attempt] = loop.schedule(() -> onAttemptTimeout(pq, attempt), upstream.timeoutNanos(),
                TimeUnit.NANOSECONDS);
        Channel channel = socket.channel;
        ByteBuf out = channel.alloc().ioBuffer(64 + pq.nameLength);
        encodeQuery(out, id, pq);
        channel.writeAndFlush(out, channel.voidPromise());
    }

    private int freeId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int tries = 0; tries < 32; tries++) {
            int id = random.nextInt(IDS);
            if (byId[id] == null) {
                return id;
            }
        }
        return -1;
    }

    /** The query sent upstream: lowercase name, RD set, EDNS0 with our payload size (RFC 6891 §7). */
    private void encodeQuery(ByteBuf out, int id, PendingQuery pq) {
        writer.begin(out);
        writer.header(id, FLAG_RD | (pq.clientFlags & FLAG_CD), 1, 0, 0, 1);
        writer.writeBytesRaw(pq.key.name(), pq.key.nameLength());
        out.writeShort(pq.qtype);
        out.writeShort(pq.qclass);
        writer.opt(ednsPayload, 0, pq.dnssecOk);
    }

    private void onAttemptTimeout(PendingQuery pq, int attempt) {
        if (pq.done || pq.finished[attempt]) {
            return;
        }
        long now = System.nanoTime();
        pq.asked[attempt].onTimeout(now);
        pq.timedOut[attempt] = true;
        // The attempt stays open: a late answer still wins. Hedge to the next upstream.
        sendUdp(pq, pq.group.next(now, pq.key, pq.asked, pq.attempts), now);
    }

    /**
     * An error on an upstream socket. An ICMP destination unreachable (port, host or network) names no
     * query, so every attempt in flight on the socket fails at once and the next upstream is asked.
     */
    private void onSocketError(UpstreamSocket socket, Throwable cause) {
        if (!isUnreachable(cause)) {
            LOG.debug("error on UDP socket to upstream {}", socket.upstream.address(), cause);
            return;
        }
        long now = System.nanoTime();
        socket.upstream.onUnreachable(now);
        int count = socket.inFlight();
        failedIds = socket.copyIdsInFlight(failedIds);
        for (int i = 0; i < count; i++) {
            int id = failedIds[i];
            PendingQuery pq = byId[id];
            if (pq == null) {
                continue;
            }
            int attempt = attemptById[id];
            if (!pq.done && !pq.finished[attempt] && pq.sockets[attempt] == socket) {
                failAttempt(pq, attempt, now);
            }
        }
    }

    private static boolean isUnreachable(Throwable cause) {
        if (cause instanceof PortUnreachableException) {
            return true;
        }
        if (cause instanceof Errors.NativeIoException e) {
            int errno = -e.expectedErr();
            return errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH;
        }
        return false;
    }

    private void onUdpAnswer(UpstreamSocket socket, DatagramPacket packet) {
        ByteBuf content = packet.content();
        int length = content.readableBytes();
        if (length < HEADER_SIZE) {
            return;
        }
        int base = content.readerIndex();
        int id = content.getUnsignedShort(base);
        PendingQuery pq = byId[id];
        if (pq == null) {
            return; // late, duplicate or unsolicited
        }
        int attempt = attemptById[id];
        if (pq.sockets[attempt] != socket) {
            return; // the right ID on another port: not the answer to this attempt (RFC 5452 §9.1)
        }
        InetSocketAddress from = packet.sender();
        InetSocketAddress asked = pq.asked[attempt].address();
        if (from == null || from.getPort() != asked.getPort() || !from.getAddress().equals(asked.getAddress())) {
            return; // not from the upstream we asked (RFC 5452 §9.1): ignore, keep waiting
        }
        onAnswer(pq, attempt, content, base, length, false);
    }

    private void onAnswer(PendingQuery pq, int attempt, ByteBuf buf, int base, int length, boolean viaTcp) {
        if (pq.done || pq.finished[attempt]) {
            return;
        }
        long now = System.nanoTime();
        Upstream upstream = pq.asked[attempt];
        finishAttempt(pq, attempt);
        if (!scan.scan(buf, base, length, pq.key.name(), pq.key.nameLength(), pq.qtype, pq.qclass)) {
            upstream.onFailure(now);
            failAttempt(pq, attempt, now);
            return;
        }
        if (scan.truncated() && !viaTcp) {
            upstream.onTcpRetry();
            sendTcp(pq, upstream, now);
            return;
        }
        int rcode = scan.rcode();
        if (rcode != RCODE_NOERROR && rcode != RCODE_NXDOMAIN) {
            upstream.onFailure(now); // SERVFAIL, REFUSED, FORMERR...: resolution failures (RFC 9520 §2)
            failAttempt(pq, attempt, now);
            return;
        }
        upstream.onAnswer(now - pq.sentAt[attempt]);
        CacheEntry entry = CacheEntry.fromResponse(buf, base, length, scan, pq.nameLength, now, maxTtl,
                maxNegativeTtl, staleWindowNanos);
        if (entry.cacheable()) {
            cache.put(pq.key, entry);
        }
        complete(pq);
        upstream.recordResolutionSuccess(pq.key); // after complete(), which records the timed-out attempts
        if (!pq.prefetch) {
            replies.answer(pq, entry, false);
        }
        for (int i = 0; i < pq.followerCount; i++) {
            replies.answer(pq.followers[i], entry, false);
        }
    }

    private void finishAttempt(PendingQuery pq, int attempt) {
        pq.finished[attempt] = true;
        pq.inFlight--;
        int id = pq.ids[attempt];
        if (id >= 0 && byId[id] == pq) {
            byId[id] = null;
            if (pq.sockets[attempt] != null) {
                pq.sockets[attempt].finished(id);
            }
        }
        if (pq.timers[attempt] != null) {
            pq.timers[attempt].cancel(false);
        }
    }

    /**
     * The attempt failed for certain (RFC 9520 §2: an error code, an unusable answer, an unreachable
     * upstream, a failed TCP retry): its upstream backs off from the question, the next one is asked.
     */
    private void failAttempt(PendingQuery pq, int attempt, long now) {
        if (!pq.finished[attempt]) {
            finishAttempt(pq, attempt);
        }
        pq.asked[attempt].recordResolutionFailure(pq.key, now);
        afterFailedAttempt(pq, now);
    }

    /** Asks an upstream not asked yet, if any; fails the query when nothing is left in flight. */
    private void afterFailedAttempt(PendingQuery pq, long now) {
        Upstream next = pq.group.next(now, pq.key, pq.asked, pq.attempts);
        if (next != null && !pq.asked(next)) {
            sendUdp(pq, next, now);
        }
        if (pq.inFlight == 0 && !pq.done) {
            fail(pq);
        }
    }

    private void fail(PendingQuery pq) {
        complete(pq);
        if (pq.prefetch) {
            pq.previous.releasePrefetch();
        }
        long now = System.nanoTime();
        CacheEntry stale = cache.get(pq.key);
        if (stale == null) {
            stale = pq.previous;
        }
        boolean usable = stale != null && stale.usableStale(now);
        boolean expired = usable && !stale.fresh(now);
        if (!pq.prefetch) {
            replyFailed(pq, stale, usable, expired);
        }
        for (int i = 0; i < pq.followerCount; i++) {
            replyFailed(pq.followers[i], stale, usable, expired);
        }
    }

    /** Every upstream failed: a stale answer when one may be served (RFC 8767), else SERVFAIL. */
    private void replyFailed(PendingQuery client, CacheEntry stale, boolean usable, boolean expired) {
        if (!usable) {
            replies.servfail(client);
            return;
        }
        if (expired) {
            cache.recordStale();
        }
        replies.answer(client, stale, expired);
    }

    private void complete(PendingQuery pq) {
        if (pq.done) {
            return;
        }
        pq.done = true;
        pending--;
        inFlight.remove(pq.key, pq);
        long now = System.nanoTime();
        for (int i = 0; i < pq.attempts; i++) {
            if (!pq.finished[i]) {
                finishAttempt(pq, i);
                if (pq.timedOut[i]) { // RFC 9520 §2.3: no answer in time from it for this query
                    pq.asked[i].recordResolutionFailure(pq.key, now);
                }
            }
        }
        if (pq.deadline != null) {
            pq.deadline.cancel(false);
        }
    }

    /** Retries a truncated answer over TCP to the same upstream (RFC 7766 §5, RFC 1035 §4.2.2 framing). */
    private void sendTcp(PendingQuery pq, Upstream upstream, long now) {
        if (pq.attempts == PendingQuery.MAX_ATTEMPTS) {
            afterFailedAttempt(pq, now);
            return;
        }
        int attempt = pq.attempts++;
        pq.asked[attempt] = upstream;
        pq.sentAt[attempt] = now;
        pq.ids[attempt] = -1;
        pq.inFlight++;
        upstream.onQuery();
        long remainingMillis = Math.max(1, (pq.startNanos + overallNanos - now) / 1_000_000);
        int id = ThreadLocalRandom.current().nextInt(IDS);
        ChannelFuture connect = new Bootstrap().group(loop).channel(EpollSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(remainingMillis, Integer.MAX_VALUE))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(DnsWire.MAX_TCP_MESSAGE + 2, 0, 2, 0, 2),
                                new TcpAnswerHandler(pq, attempt, id));
                    }
                })
                .connect(upstream.address());
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                onTcpFailure(pq, attempt);
            } else {
                connect.channel().eventLoop().schedule(() -> {
                    connect.channel().close();
                }, remainingMillis, TimeUnit.MILLISECONDS);
            }
        });
    }

    private void onTcpFailure(PendingQuery pq, int attempt) {
        if (pq.done || pq.finished[attempt]) {
            return;
        }
        long now = System.nanoTime();
        pq.asked[attempt].onFailure(now);
        failAttempt(pq, attempt, now);
    }

    /** One TCP query to an upstream: write it when connected, take the first framed answer, close. */
    private final class TcpAnswerHandler extends ChannelInboundHandlerAdapter {
        private final PendingQuery pq;
        private final int attempt;
        private final int id;

        TcpAnswerHandler(PendingQuery pq, int attempt, int id) {
            this.pq = pq;
            this.attempt = attempt;
            this.id = id;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ByteBuf out = ctx.alloc().ioBuffer(66 + pq.nameLength);
            out.writeShort(0);
            encodeQuery(out, id, pq);
            out.setShort(0, out.readableBytes() - 2);
            ctx.writeAndFlush(out);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            try {
                if (frame.readableBytes() >= HEADER_SIZE && frame.getUnsignedShort(frame.readerIndex()) == id) {
                    onAnswer(pq, attempt, frame, frame.readerIndex(), frame.readableBytes(), true);
                }
            } finally {
                frame.release();
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            onTcpFailure(pq, attempt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
