package io.navstar.gossip.transport;

import io.navstar.gossip.NodeId;
import io.navstar.gossip.wire.Message;

/**
 * Moves messages between gossip nodes, unreliably: a message may be lost (the peer is down,
 * partitioned, or its queue is full), and the protocols above tolerate that. Two implementations:
 * {@link TcpTransport} (netty epoll, length-prefixed versioned frames, back-pressure, cluster-secret
 * handshake, optional mutual TLS) and {@code io.navstar.gossip.sim.SimNetwork}'s in-memory
 * transport (seeded latency, loss, partitions and crashes).
 *
 * <p>Threading: {@link #send} may be called from any thread but is cheapest from the node's
 * scheduler thread; the {@link Receiver} is always called on the node's scheduler thread.
 */
public interface Transport extends AutoCloseable {

    /** The identity this transport speaks for. */
    NodeId localNode();

    /** Starts delivering received messages to {@code receiver}. */
    void start(Receiver receiver);

    /**
     * Sends {@code message} to {@code to}.
     *
     * @return false when it was dropped at once (closed, back-pressure, peer known unreachable);
     *     true does not promise delivery
     */
    boolean send(NodeId to, Message message);

    /**
     * Drops this node's connection to {@code peer} with every frame it still holds, unsent or
     * unacknowledged, so that the next message goes on a new connection instead of behind frames
     * gone stale (TCP keeps retransmitting them, with a backed-off timer, after a network outage).
     */
    void disconnect(NodeId peer);

    /** Stops sending and receiving and releases resources; idempotent. */
    @Override
    void close();

    /** Where received messages go; called on the node's scheduler thread. */
    interface Receiver {

        /** A message from {@code from}, already authenticated by the transport. */
        void onMessage(NodeId from, Message message);

        /** The connection to {@code peer} broke: a hint to probe it now, not proof that it failed. */
        default void onPeerLost(NodeId peer) {
        }

        /**
         * A connection to {@code peer} was refused: its host answered that nothing listens on the
         * port, so a probe sent to it cannot arrive (the process is gone, the host is up).
         */
        default void onPeerRefused(NodeId peer) {
        }
    }
}
