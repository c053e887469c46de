package io.navstar.gossip;

import io.navstar.gossip.membership.FileEpochStore;
import io.navstar.gossip.metrics.GossipMetrics;
import io.navstar.gossip.scheduler.EventLoopScheduler;
import io.navstar.gossip.transport.TcpTransport;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A gossip node over real TCP: one netty event loop thread runs both the sockets and the protocol,
 * the epoch lives in {@code dataDir/epoch}. Closing it stops the node and the loop.
 *
 * <p>Thread-safe as {@link GossipNode} is.
 */
public final class TcpGossipNode implements AutoCloseable {

    private final EventLoopGroup group;
    private final TcpTransport transport;
    private final GossipNode node;

    private TcpGossipNode(EventLoopGroup group, TcpTransport transport, GossipNode node) {
        this.group = group;
        this.transport = transport;
        this.node = node;
    }

    /** Binds {@code self} and assembles the node; register channels, then {@code node().start(seeds)}. */
    public static TcpGossipNode open(GossipConfig config, NodeId self, Path dataDir) {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, TcpTransport.ioHandlerFactory());
        try {
            EventLoopScheduler scheduler = new EventLoopScheduler(group.next());
            GossipMetrics metrics = new GossipMetrics();
            TcpTransport transport = new TcpTransport(self, config, group, scheduler, metrics);
            transport.bind();
            GossipNode node = GossipNode.create(config, transport, scheduler, metrics,
                    new FileEpochStore(dataDir.resolve("epoch")), System.nanoTime() ^ self.hashCode());
            return new TcpGossipNode(group, transport, node);
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        }
    }

    public GossipNode node() {
        return node;
    }

    public TcpTransport transport() {
        return transport;
    }

    @Override
    public void close() {
        node.close();
        // close every socket before the loop goes: waits until listening, outbound and accepted
        // connections are closed, so peers see this node's connections end (FIN) at once
        transport.close();
        group.shutdownGracefully(0, 500, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }
}
