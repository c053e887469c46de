package io.navstar.gossip.transport;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.metrics.GossipMetrics;
import io.navstar.gossip.scheduler.Scheduler;
import io.navstar.gossip.security.ClusterAuthenticator;
import io.navstar.gossip.security.TlsContexts;
import io.navstar.gossip.wire.Message;
import io.navstar.gossip.wire.Message.Challenge;
import io.navstar.gossip.wire.Message.Hello;
import io.navstar.gossip.wire.Message.Welcome;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP transport on netty (epoll where available, NIO otherwise). Each node keeps one outbound
 * connection per peer for what it sends and accepts inbound connections for what it receives.
 * A connection starts with the handshake of {@link ClusterAuthenticator} (after TLS when
 * configured); no protocol frame is accepted before it succeeds. Back-pressure: frames go straight
 * to the socket while the channel is writable (under the high water mark), then into a bounded
 * per-peer queue that drains when it becomes writable again; beyond that they are dropped and
 * counted, which gossip tolerates.
 *
 * <p>Threading: all peer state is confined to one event loop, which should be the node's
 * scheduler loop (see {@code TcpGossipNode}); {@link #send} from another thread hops onto it.
 */
public final class TcpTransport implements Transport {

    private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);

    private final NodeId self;
    private final GossipConfig config;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final Scheduler scheduler;
    private final GossipMetrics metrics;
    private final ClusterAuthenticator authenticator;
    private final SslContext serverTls;
    private final SslContext clientTls;
    private final Map<NodeId, OutboundPeer> peers = new HashMap<>();
    private final Map<NodeId, Long> connectFailedAt = new HashMap<>();
    // Every connection we accepted. Closing the listening socket does not close them, and the event
    // loop's shutdownGracefully(0, ...) left some open (seen in /proc/net/tcp6 seconds later; our
    // unproven reading of netty 4.2's run loop is that it can finish without its prepareToDestroy
    // pass when confirmShutdown is the first to see the shutdown). A peer's outbound connection to
    // the closed node then stayed ESTABLISHED with nobody reading: its frames to the restarted
    // node went into a dead socket and it never saw a disconnect (TcpRestartRejoinTest). So
    // close() closes them itself.
    private final ChannelGroup accepted;
    private volatile Predicate<NodeId> blocked = peer -> false;
    private volatile Receiver receiver;
    private Channel serverChannel;
    private volatile boolean closed;

    /** The I/O handler factory for this machine: epoll when available. */
    public static IoHandlerFactory ioHandlerFactory() {
        return Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    /**
     * @param group the loop group; its {@code next()} loop owns the peer state and should be the
     *     loop of {@code scheduler}
     */
    public TcpTransport(NodeId self, GossipConfig config, EventLoopGroup group, Scheduler scheduler, GossipMetrics metrics) {
        this.self = self;
        this.config = config;
        this.group = group;
        this.loop = group.next();
        this.scheduler = scheduler;
        this.metrics = metrics;
        this.authenticator = new ClusterAuthenticator(config.clusterSecret());
        this.serverTls = config.tls() == null ? null : TlsContexts.server(config.tls());
        this.clientTls = config.tls() == null ? null : TlsContexts.client(config.tls());
        this.accepted = new DefaultChannelGroup("gossip-accepted-" + self, loop);
    }

    @Override
    public NodeId localNode() {
        return self;
    }

    /**
     * Test hook for partitions in real processes: frames to and from peers matching the predicate
     * are dropped and their connections closed. Never used in production code paths.
     */
    public void blockPeers(Predicate<NodeId> predicate) {
        this.blocked = predicate;
        loop.execute(() -> {
            for (OutboundPeer peer : Map.copyOf(peers).values()) {
                if (predicate.test(peer.node)) {
                    peer.channel.close();
                }
            }
        });
    }

    @Override
    public void start(Receiver receiver) {
        this.receiver = receiver;
        if (serverChannel == null) {
            bind();
        }
    }

    /**
     * Binds the listening socket; call it from outside the event loop to learn of a failure at
     * once (otherwise {@link #start} binds and a failure is only logged).
     */
    public synchronized void bind() {
        if (serverChannel != null) {
            return;
        }
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(serverChannelClass())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        if (closed) {
                            channel.close();
                            return;
                        }
                        accepted.add(channel);
                        ChannelPipeline pipeline = channel.pipeline();
                        if (serverTls != null) {
                            pipeline.addLast("tls", serverTls.newHandler(channel.alloc()));
                        }
                        pipeline.addLast("decoder", new FrameDecoder(config.maxFrameBytes(), metrics));
                        pipeline.addLast("encoder", new FrameEncoder(config.maxFrameBytes(), metrics));
                        pipeline.addLast("inbound", new InboundHandler());
                    }
                });
        ChannelFuture bind = bootstrap.bind(self.socketAddress());
        serverChannel = bind.channel();
        if (loop.inEventLoop()) {
            bind.addListener(f -> {
                if (!f.isSuccess()) {
                    LOG.error("cannot listen on {}: {}", self, f.cause().toString());
                }
            });
        } else {
            bind.syncUninterruptibly();
        }
    }

    @Override
    public boolean send(NodeId to, Message message) {
        if (closed) {
            metrics.frameDropped();
            return false;
        }
        if (!loop.inEventLoop()) {
            loop.execute(() -> send0(to, message));
            return true;
        }
        return send0(to, message);
    }

    private boolean send0(NodeId to, Message message) {
        if (closed || blocked.test(to) || to.equals(self)) {
            metrics.frameDropped();
            return false;
        }
        OutboundPeer peer = peers.get(to);
        if (peer == null) {
            Long failedAt = connectFailedAt.get(to);
            if (failedAt != null && System.nanoTime() - failedAt < config.reconnectBackoff().toNanos()) {
                metrics.frameDropped();
                return false;
            }
            peer = connect(to);
        }
        return peer.enqueue(message);
    }

    /**
     * Aborts our connection to {@code peer} (SO_LINGER 0: the kernel discards what it still holds
     * and sends a reset instead of delivering it after the FIN), and drops the frames queued for it.
     */
    @Override
    public void disconnect(NodeId peer) {
        if (!loop.inEventLoop()) {
            loop.execute(() -> disconnect(peer));
            return;
        }
        OutboundPeer outbound = peers.remove(peer);
        if (outbound == null) {
            return;
        }
        outbound.dropPending();
        if (outbound.channel.isOpen()) {
            outbound.channel.config().setOption(ChannelOption.SO_LINGER, 0);
            outbound.channel.close();
        }
    }

    private OutboundPeer connect(NodeId to) {
        OutboundPeer peer = new OutboundPeer(to);
        peers.put(to, peer);
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(socketChannelClass())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis())
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(config.writeBufferLowWaterMark(), config.writeBufferHighWaterMark()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        ChannelPipeline pipeline = channel.pipeline();
                        if (clientTls != null) {
                            pipeline.addLast("tls", clientTls.newHandler(channel.alloc(), to.host(), to.port()));
                        }
                        pipeline.addLast("decoder", new FrameDecoder(config.maxFrameBytes(), metrics));
                        pipeline.addLast("encoder", new FrameEncoder(config.maxFrameBytes(), metrics));
                        pipeline.addLast("outbound", peer);
                    }
                });
        ChannelFuture future = bootstrap.connect(to.socketAddress());
        peer.channel = future.channel();
        future.addListener(f -> {
            if (!f.isSuccess()) {
                connectFailed(peer);
                if (f.cause() instanceof java.net.ConnectException && !closed && receiver != null) {
                    Receiver current = receiver;
                    if (scheduler.inSchedulerThread()) {
                        current.onPeerRefused(to);
                    } else {
                        scheduler.execute(() -> current.onPeerRefused(to));
                    }
                }
            }
        });
        // the handshake must finish within the connect timeout too
        loop.schedule(() -> {
            if (!peer.ready && peer.channel.isOpen()) {
                LOG.debug("handshake with {} timed out", to);
                peer.channel.close();
            }
        }, config.connectTimeout().toMillis() * 2, TimeUnit.MILLISECONDS);
        return peer;
    }

    private void connectFailed(OutboundPeer peer) {
        connectFailedAt.put(peer.node, System.nanoTime());
        if (connectFailedAt.size() > 4096) {
            connectFailedAt.clear();
        }
        peer.dropPending();
        if (peers.get(peer.node) == peer) {
            peers.remove(peer.node);
        }
    }

    private void deliver(NodeId from, Message message) {
        if (receiver == null) {
            metrics.frameDropped();
            return;
        }
        if (scheduler.inSchedulerThread()) {
            receiver.onMessage(from, message);
        } else {
            scheduler.execute(() -> receiver.onMessage(from, message));
        }
    }

    private void peerLost(NodeId peer) {
        if (closed || receiver == null) {
            return;
        }
        if (scheduler.inSchedulerThread()) {
            receiver.onPeerLost(peer);
        } else {
            scheduler.execute(() -> receiver.onPeerLost(peer));
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Runnable closeAll = () -> {
            if (serverChannel != null) {
                serverChannel.close();
            }
            for (OutboundPeer peer : Map.copyOf(peers).values()) {
                peer.channel.close();
            }
            peers.clear();
            accepted.close();
        };
        if (loop.inEventLoop()) {
            closeAll.run();
        } else {
            loop.submit(closeAll).syncUninterruptibly();
        }
    }

    private Class<? extends ServerChannel> serverChannelClass() {
        return Epoll.isAvailable() ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    private Class<? extends Channel> socketChannelClass() {
        return Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /** Our connection to one peer: handshake as client, then a bounded queue while not writable. */
    private final class OutboundPeer extends SimpleChannelInboundHandler<Message> {

        final NodeId node;
        final ArrayDeque<Message> pending = new ArrayDeque<>();
        Channel channel;
        boolean ready;
        byte[] nonce;

        OutboundPeer(NodeId node) {
            this.node = node;
        }

        boolean enqueue(Message message) {
            if (ready && pending.isEmpty() && channel.isWritable()) {
                channel.writeAndFlush(message, channel.voidPromise());
                return true;
            }
            if (pending.size() >= config.outboundQueueFrames()) {
                metrics.frameDropped();
                return false;
            }
            pending.add(message);
            return true;
        }

        void drain() {
            boolean wrote = false;
            while (ready && channel.isWritable() && !pending.isEmpty()) {
                channel.write(pending.poll(), channel.voidPromise());
                wrote = true;
            }
            if (wrote) {
                channel.flush();
            }
        }

        void dropPending() {
            for (int i = pending.size(); i > 0; i--) {
                metrics.frameDropped();
            }
            pending.clear();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Message message) {
            switch (message) {
                case Challenge challenge when nonce == null -> {
                    nonce = authenticator.newNonce();
                    ctx.writeAndFlush(new Hello(self, nonce, authenticator.helloMac(challenge.nonce(), nonce, self)),
                            ctx.voidPromise());
                    serverNonce = challenge.nonce();
                }
                case Welcome welcome when nonce != null && !ready -> {
                    byte[] expected = authenticator.welcomeMac(nonce, serverNonce, node);
                    if (!welcome.node().equals(node) || !authenticator.verify(expected, welcome.mac())) {
                        metrics.handshakeFailed();
                        LOG.warn("{} failed the cluster-secret handshake (as server); closing", node);
                        ctx.close();
                        return;
                    }
                    ready = true;
                    connectFailedAt.remove(node);
                    drain();
                }
                default -> {
                    LOG.warn("unexpected {} from {} on an outbound connection; closing", message.type(), node);
                    ctx.close();
                }
            }
        }

        private byte[] serverNonce;

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            drain();
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            boolean wasReady = ready;
            ready = false;
            dropPending();
            if (peers.get(node) == this) {
                peers.remove(node);
            }
            if (wasReady) {
                peerLost(node);
            } else {
                connectFailedAt.put(node, System.nanoTime());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("connection to {} failed: {}", node, cause.toString());
            ctx.close();
        }
    }

    /** A connection a peer opened to us: challenge it, then hand its frames to the node. */
    private final class InboundHandler extends SimpleChannelInboundHandler<Message> {

        private byte[] nonce;
        private NodeId peer;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            nonce = authenticator.newNonce();
            ctx.writeAndFlush(new Challenge(nonce), ctx.voidPromise());
            ctx.executor().schedule(() -> {
                if (peer == null && ctx.channel().isOpen()) {
                    metrics.handshakeFailed();
                    ctx.close();
                }
            }, config.connectTimeout().toMillis() * 2, TimeUnit.MILLISECONDS);
            ctx.fireChannelActive();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Message message) {
            if (peer == null) {
                if (!(message instanceof Hello hello)) {
                    metrics.handshakeFailed();
                    LOG.warn("{} sent {} before authenticating; closing", ctx.channel().remoteAddress(), message.type());
                    ctx.close();
                    return;
                }
                byte[] expected = authenticator.helloMac(nonce, hello.nonce(), hello.node());
                if (!authenticator.verify(expected, hello.mac())) {
                    metrics.handshakeFailed();
                    LOG.warn("{} claiming to be {} failed the cluster-secret handshake; closing",
                            ctx.channel().remoteAddress(), hello.node());
                    ctx.close();
                    return;
                }
                if (blocked.test(hello.node())) {
                    ctx.close();
                    return;
                }
                peer = hello.node();
                ctx.writeAndFlush(new Welcome(self, authenticator.welcomeMac(hello.nonce(), nonce, self)),
                        ctx.voidPromise());
                return;
            }
            if (message.type().isHandshake()) {
                LOG.warn("{} repeated a handshake message; closing", peer);
                ctx.close();
                return;
            }
            if (blocked.test(peer)) {
                metrics.frameDropped();
                ctx.close();
                return;
            }
            if (!closed) {
                deliver(peer, message);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (peer != null && !closed) {
                peerLost(peer);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("inbound connection from {} failed: {}", peer, cause.toString());
            ctx.close();
        }
    }
}
