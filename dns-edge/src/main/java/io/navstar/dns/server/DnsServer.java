package io.navstar.dns.server;

import io.navstar.dns.cache.AnswerCache;
import io.navstar.dns.metrics.DnsMetrics;
import io.navstar.dns.upstream.ForwardZones;
import io.navstar.dns.upstream.Forwarder;
import io.navstar.dns.upstream.Upstream;
import io.navstar.dns.upstream.UpstreamGroup;
import io.navstar.dns.zone.ZoneSource;
import io.navstar.sys.Errno;
import io.navstar.sys.Libc;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.Errors;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Spartan, the edge DNS server: UDP and TCP on every configured address on netty epoll event loops,
 * one SO_REUSEPORT UDP socket per event loop and address (the kernel spreads clients over them by flow
 * hash, so loops never share a socket; each is a {@link UdpQuerySocket} read and written through FFM
 * rather than a netty datagram channel, see there why), TCP with pipelined queries (RFC 7766). Each
 * loop has its own {@link QueryEngine} and {@link Forwarder}; the {@link AnswerCache}, upstreams and
 * metrics are shared. {@link #start()} and {@link #close()} from any one thread; everything else runs on the loops.
 */
public final class DnsServer implements AutoCloseable {
    static final Logger LOG = LoggerFactory.getLogger(DnsServer.class);

    private final DnsConfig config;
    private final ZoneSource zones;
    private final DnsMetrics metrics;
    private final AnswerCache cache;
    private final ForwardZones forwardZones;
    private final List<Upstream> upstreams = new ArrayList<>();
    private final Map<EventLoop, QueryEngine> engines = new IdentityHashMap<>();
    private final List<Forwarder> forwarders = new ArrayList<>();
    private final List<Channel> channels = new ArrayList<>();
    private final List<UdpQuerySocket> udpSockets = new ArrayList<>();
    private final List<InetSocketAddress> bound = new ArrayList<>();
    private final AtomicInteger tcpConnections = new AtomicInteger();
    private EventLoopGroup group;
    private long[] loopThreadIds = new long[0];
    private ListenSockets inherited = ListenSockets.none();

    public DnsServer(DnsConfig config, ZoneSource zones) {
        this(config, zones, new DnsMetrics());
    }

    public DnsServer(DnsConfig config, ZoneSource zones, DnsMetrics metrics) {
        this.config = config;
        this.zones = zones;
        this.metrics = metrics;
        this.cache = new AnswerCache(config.cacheMaxEntries(), config.cacheMaxBytes());
        metrics.register(cache);
        Map<InetSocketAddress, Upstream> byAddress = new LinkedHashMap<>();
        UpstreamGroup defaultGroup = group(DnsMetrics.DEFAULT_FORWARD_ZONE, config.upstreams(), byAddress);
        Map<String, UpstreamGroup> zonesByDomain = new LinkedHashMap<>();
        config.forwardZones().forEach((domain, addrs) -> zonesByDomain.put(domain, group(domain, addrs, byAddress)));
        this.forwardZones = new ForwardZones(zonesByDomain, defaultGroup);
    }

    private UpstreamGroup group(String zone, List<InetSocketAddress> addresses, Map<InetSocketAddress, Upstream> known) {
        List<Upstream> list = new ArrayList<>();
        for (InetSocketAddress a : addresses) {
            list.add(known.computeIfAbsent(a, addr -> {
                Upstream u = new Upstream(addr, config.upstreamMinTimeout().toNanos(),
                        config.upstreamMaxTimeout().toNanos(), config.upstreamInitialTimeout().toNanos());
                upstreams.add(u);
                metrics.register(u);
                return u;
            }));
        }
        return new UpstreamGroup(zone, list, metrics.zone(zone));
    }

    /** Starts the event loops and binds every address; blocks until bound. */
    public DnsServer start() throws InterruptedException {
        group = new MultiThreadIoEventLoopGroup(config.eventLoops(), new DefaultThreadFactory("navstar-dns", true),
                EpollIoHandler.newFactory());
        long overall = config.overallTimeout().toNanos();
        List<Long> ids = new ArrayList<>();
        for (EventExecutor executor : group) {
            try {
                ids.add(executor.submit(() -> Thread.currentThread().threadId()).get());
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("event loop did not start", e.getCause());
            }
        }
        loopThreadIds = ids.stream().mapToLong(Long::longValue).toArray();
        for (EventExecutor executor : group) {
            EventLoop loop = (EventLoop) executor;
            QueryEngine engine = new QueryEngine(config, zones, cache, forwardZones, metrics);
            Forwarder forwarder = new Forwarder(loop, cache, engine, overall, config.cacheMaxTtl().toSeconds(),
                    config.cacheMaxNegativeTtl().toSeconds(), config.staleWindow().toNanos(),
                    config.maxPendingPerLoop(), config.maxUdpPayload(), metrics);
            engine.attach(forwarder);
            engines.put(loop, engine);
            forwarders.add(forwarder);
        }
        try {
            for (int fd : inherited.unusedBy(config.listenAddresses())) {
                LOG.warn("closing inherited socket {}: its address is not among the configured {}", fd,
                        config.listenAddresses());
                Libc.close(fd);
            }
            for (InetSocketAddress address : config.listenAddresses()) {
                bind(address);
            }
        } catch (RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
        return this;
    }

    /**
     * Serves the sockets a holder opened ({@link ListenSockets}: systemd's navstar.socket, navstar-launch) instead of
     * binding its own for the addresses they cover; the holder keeps them open across restarts, so queries that
     * arrive meanwhile wait in their queues. Call before {@link #start()}. Inherited sockets for addresses the
     * config does not name are closed.
     */
    public DnsServer inherit(ListenSockets sockets) {
        this.inherited = sockets;
        return this;
    }

    private void bind(InetSocketAddress requested) throws InterruptedException {
        if (inherited.udp().containsKey(requested) || inherited.tcp().containsKey(requested)) {
            adopt(requested);
            return;
        }
        for (int attempt = 1; ; attempt++) {
            int udpBefore = udpSockets.size();
            InetSocketAddress address = bindUdp(requested);
            SocketProtocolFamily tcpFamily = family(address);
            io.netty.channel.ChannelFuture tcp = tcpServer(() -> new EpollServerSocketChannel(tcpFamily)).bind(address);
            tcp.await();
            // Port 0: UDP picked a free port, which TCP may not have (the two protocols' ports are separate): pick
            // again rather than fail a start that asked for any port.
            if (!tcp.isSuccess() && requested.getPort() == 0 && attempt < ANY_PORT_ATTEMPTS
                    && tcp.cause() instanceof Errors.NativeIoException e && e.expectedErr() == -Errno.EADDRINUSE) {
                List<UdpQuerySocket> taken = udpSockets.subList(udpBefore, udpSockets.size());
                taken.forEach(UdpQuerySocket::closeOnLoop);
                taken.clear();
                continue;
            }
            channels.add(bindOrExplain(tcp, address));
            bound.add(address);
            LOG.info("DNS serving {} on UDP ({} reuseport sockets) and TCP", address, config.eventLoops());
            return;
        }
    }

    /** Binds the UDP sockets of an address, one per loop; returns it with the port the first got when it asked 0. */
    private InetSocketAddress bindUdp(InetSocketAddress requested) throws InterruptedException {
        InetSocketAddress address = requested;
        boolean first = true; // binds alone: the others join its reuseport group, nobody else's
        for (EventExecutor executor : group) {
            EventLoop loop = (EventLoop) executor;
            // An IPv4 address gets an AF_INET socket, not a dual-stack AF_INET6 one: each datagram then
            // skips the IPv6 socket layer and the v4-mapped address conversions (udpv6_recvmsg/sendmsg
            // were 1.3 % of a loaded loop's CPU). 4 MiB socket buffers absorb bursts between reads.
            UdpQuerySocket socket;
            try {
                socket = UdpQuerySocket.open((IoEventLoop) loop, address, first,
                        config.udpReceiveBatch(), config.maxUdpPayload(), 4 << 20, engines.get(loop), metrics);
            } catch (java.io.IOException e) {
                throw new IllegalStateException("cannot bind DNS to " + address + ": " + e.getMessage()
                        + PRODUCTION_HINT, e);
            }
            udpSockets.add(socket);
            first = false;
            if (address.getPort() == 0) { // the other reuseport sockets and TCP take the port chosen
                address = new InetSocketAddress(address.getAddress(), socket.port());
            }
        }
        return address;
    }

    /**
     * Serves the inherited sockets of {@code address}: its UDP sockets spread over the loops (one loop each, in
     * turn), its TCP listener on one loop. An address with no inherited socket of a kind gets its own of that kind.
     */
    private void adopt(InetSocketAddress address) throws InterruptedException {
        List<Integer> udp = inherited.udp().getOrDefault(address, List.of());
        List<EventLoop> loops = new ArrayList<>();
        group.forEach(executor -> loops.add((EventLoop) executor));
        int next = udpSockets.size(); // addresses take turns starting on different loops
        for (int fd : udp) {
            EventLoop loop = loops.get(next++ % loops.size());
            try {
                udpSockets.add(UdpQuerySocket.adopt((IoEventLoop) loop, fd, address, config.udpReceiveBatch(),
                        config.maxUdpPayload(), engines.get(loop), metrics));
            } catch (java.io.IOException e) {
                throw new IllegalStateException("cannot serve the inherited UDP socket of " + address + ": "
                        + e.getMessage(), e);
            }
        }
        if (udp.isEmpty()) {
            throw new IllegalStateException("DNS address " + address + " was handed a TCP socket but no UDP socket");
        }
        Integer tcpFd = inherited.tcp().get(address);
        if (tcpFd == null) {
            SocketProtocolFamily tcpFamily = family(address);
            channels.add(bindOrExplain(tcpServer(() -> new EpollServerSocketChannel(tcpFamily)).bind(address), address));
        } else {
            io.netty.channel.ChannelFuture registered = tcpServer(() -> new EpollServerSocketChannel(tcpFd)).register();
            registered.await();
            if (!registered.isSuccess()) {
                throw new IllegalStateException("cannot serve the inherited TCP socket of " + address + ": "
                        + registered.cause().getMessage(), registered.cause());
            }
            channels.add(registered.channel());
        }
        bound.add(address);
        LOG.info("DNS serving {} on {} inherited UDP socket(s) and {} TCP", address, udp.size(),
                tcpFd == null ? "its own" : "an inherited");
    }

    private ServerBootstrap tcpServer(io.netty.channel.ChannelFactory<EpollServerSocketChannel> factory) {
        return new ServerBootstrap().group(group)
                .channelFactory(factory)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_SNDBUF, config.tcpSendBuffer())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tcpConnections.incrementAndGet() > config.maxTcpConnections()) {
                            tcpConnections.decrementAndGet();
                            ch.close();
                            return;
                        }
                        ch.closeFuture().addListener(f -> tcpConnections.decrementAndGet());
                        long idle = config.tcpIdleTimeout().toMillis();
                        ch.pipeline().addLast(new IdleStateHandler(0, 0, idle, TimeUnit.MILLISECONDS),
                                new TcpQueryHandler(engines.get(ch.eventLoop()), config.maxTcpQuerySize(), metrics));
                    }
                });
    }

    /**
     * Tries of a start on port 0 whose TCP listener found the port UDP picked taken (see {@link #bind}). The kernel
     * picks uniformly in the ephemeral range, so with a fraction f of it held by TCP a start fails with f^32: never
     * in practice, and one in 4 billion in AnyPortStartTest's range of two ports (8 tries failed 1 start in 256).
     */
    private static final int ANY_PORT_ATTEMPTS = 32;
    private static final String PRODUCTION_HINT = " (is the address on an interface of this namespace? The agent puts"
            + " Spartan's addresses on an interface of their own, dns.interface)";

    private static SocketProtocolFamily family(InetSocketAddress address) {
        return address.getAddress() instanceof Inet6Address ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
    }

    private static Channel bindOrExplain(io.netty.channel.ChannelFuture bind, InetSocketAddress address)
            throws InterruptedException {
        bind.await();
        if (!bind.isSuccess()) {
            throw new IllegalStateException("cannot bind DNS to " + address + ": " + bind.cause().getMessage()
                    + PRODUCTION_HINT, bind.cause());
        }
        return bind.channel();
    }

    /** The UDP query sockets, one per event loop and address (tests). */
    List<UdpQuerySocket> udpSockets() {
        return List.copyOf(udpSockets);
    }

    /** The addresses actually bound (ports resolved when the config asked for port 0). */
    public List<InetSocketAddress> boundAddresses() {
        return List.copyOf(bound);
    }

    /**
     * Thread ids of the event loops, for per-thread statistics ({@code ThreadMXBean} allocation
     * counters read them without stopping the threads, unlike a stack dump, which is a safepoint).
     */
    public long[] loopThreadIds() {
        return loopThreadIds.clone();
    }

    public DnsMetrics metrics() {
        return metrics;
    }

    public AnswerCache cache() {
        return cache;
    }

    public List<Upstream> upstreams() {
        return List.copyOf(upstreams);
    }

    @Override
    public void close() {
        for (UdpQuerySocket socket : udpSockets) {
            socket.closeOnLoop();
        }
        udpSockets.clear();
        for (Channel ch : channels) {
            ch.close().awaitUninterruptibly();
        }
        channels.clear();
        for (Forwarder f : forwarders) {
            f.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
            group = null;
        }
    }
}
