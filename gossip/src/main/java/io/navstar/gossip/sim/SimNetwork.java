package io.navstar.gossip.sim;

import io.navstar.gossip.NodeId;
import io.navstar.gossip.metrics.GossipMetrics;
import io.navstar.gossip.transport.Transport;
import io.navstar.gossip.wire.FrameException;
import io.navstar.gossip.wire.Message;
import io.navstar.gossip.wire.MessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * An in-memory network for simulated nodes: every message is delayed by a seeded random latency,
 * may be lost with a set probability, and is dropped between nodes in different partitions or to
 * and from crashed nodes. With {@code serialize} on, every message is encoded and decoded as on
 * TCP (exercising the codec); off, the immutable message object itself is delivered, which lets
 * 10,000 nodes share their membership rows in one heap. Bytes are counted as the encoded frame
 * size either way.
 *
 * <p>Not thread-safe: confined to the {@link SimScheduler}'s thread.
 */
public final class SimNetwork {

    private final SimScheduler scheduler;
    private final Random random;
    private final Map<NodeId, SimTransport> transports = new HashMap<>();
    private final Map<NodeId, Integer> partitionOf = new HashMap<>();
    private final java.util.Set<java.util.List<NodeId>> blockedLinks = new java.util.HashSet<>();
    private long latencyMinNanos;
    private long latencyMaxNanos;
    private double lossRate;
    private final boolean serialize;
    private long delivered;
    private long deliveredBytes;
    private long dropped;

    /**
     * @param seed seeds latency and loss draws
     * @param latencyMin least one-way latency
     * @param latencyMax greatest one-way latency (uniform in between)
     * @param serialize encode and decode every message (true) or hand over the object (false)
     */
    public SimNetwork(SimScheduler scheduler, long seed, Duration latencyMin, Duration latencyMax, boolean serialize) {
        this.scheduler = scheduler;
        this.random = new Random(seed);
        this.latencyMinNanos = latencyMin.toNanos();
        this.latencyMaxNanos = latencyMax.toNanos();
        this.serialize = serialize;
    }

    /** The simulated node address of index {@code i}: 10.x.y.z, port 7000. */
    public static NodeId simulatedNode(int i) {
        return new NodeId(0x0A000000 + i + 1, 7000);
    }

    /** Attaches a node; a node attached again (a restart) gets a fresh transport. */
    public SimTransport attach(NodeId node, GossipMetrics metrics) {
        SimTransport transport = new SimTransport(node, metrics);
        transports.put(node, transport);
        return transport;
    }

    /** Crashes {@code node}: it neither sends nor receives again, messages in flight are lost. */
    public void crash(NodeId node) {
        SimTransport transport = transports.remove(node);
        if (transport != null) {
            transport.closed = true;
        }
    }

    /** Splits the network: nodes in different groups cannot talk; nodes in no group form one more. */
    public void partition(Collection<? extends Set<NodeId>> groups) {
        partitionOf.clear();
        int group = 1;
        for (Set<NodeId> members : groups) {
            for (NodeId node : members) {
                partitionOf.put(node, group);
            }
            group++;
        }
    }

    /** Removes every partition and blocked link. */
    public void heal() {
        partitionOf.clear();
        blockedLinks.clear();
    }

    /** Cuts the link between {@code a} and {@code b} in both directions (a partial partition). */
    public void blockLink(NodeId a, NodeId b) {
        blockedLinks.add(java.util.List.of(a, b));
        blockedLinks.add(java.util.List.of(b, a));
    }

    /** Sets the probability that a message is lost. */
    public void lossRate(double probability) {
        this.lossRate = probability;
    }

    /** Sets the latency range. */
    public void latency(Duration min, Duration max) {
        this.latencyMinNanos = min.toNanos();
        this.latencyMaxNanos = max.toNanos();
    }

    /** Messages delivered so far. */
    public long deliveredMessages() {
        return delivered;
    }

    /** Bytes (encoded frames) delivered so far. */
    public long deliveredBytes() {
        return deliveredBytes;
    }

    /** Messages lost, partitioned or sent to crashed nodes. */
    public long droppedMessages() {
        return dropped;
    }

    private boolean canTalk(NodeId a, NodeId b) {
        if (!blockedLinks.isEmpty() && blockedLinks.contains(java.util.List.of(a, b))) {
            return false;
        }
        return partitionOf.getOrDefault(a, 0).intValue() == partitionOf.getOrDefault(b, 0).intValue();
    }

    private boolean send(SimTransport from, NodeId to, Message message) {
        int bytes = MessageCodec.encodedLength(message);
        from.metrics.messageOut(message.type(), bytes);
        if (!canTalk(from.node, to) || !transports.containsKey(to)
                || (lossRate > 0 && random.nextDouble() < lossRate)) {
            dropped++;
            return true;
        }
        Message carried = serialize ? roundTrip(message) : message;
        long latency = latencyMinNanos + (latencyMaxNanos > latencyMinNanos
                ? (long) (random.nextDouble() * (latencyMaxNanos - latencyMinNanos)) : 0);
        NodeId sender = from.node;
        scheduler.schedule(() -> deliver(sender, to, carried, bytes), latency, TimeUnit.NANOSECONDS);
        return true;
    }

    private void deliver(NodeId from, NodeId to, Message message, int bytes) {
        SimTransport target = transports.get(to);
        if (target == null || target.closed || target.receiver == null || !canTalk(from, to)) {
            dropped++;
            return;
        }
        delivered++;
        deliveredBytes += bytes;
        target.metrics.messageIn(message.type(), bytes);
        target.receiver.onMessage(from, message);
    }

    private static Message roundTrip(Message message) {
        ByteBuf buf = Unpooled.buffer();
        try {
            MessageCodec.encodeFrame(message, buf);
            buf.skipBytes(MessageCodec.LENGTH_BYTES + 1);
            int type = buf.readUnsignedByte();
            return MessageCodec.decodeBody(type, buf);
        } catch (FrameException e) {
            throw new IllegalStateException("codec cannot read what it wrote: " + e.getMessage(), e);
        } finally {
            buf.release();
        }
    }

    /** One simulated node's end of the network. */
    public final class SimTransport implements Transport {

        private final NodeId node;
        private final GossipMetrics metrics;
        private Receiver receiver;
        private boolean closed;

        private SimTransport(NodeId node, GossipMetrics metrics) {
            this.node = node;
            this.metrics = metrics;
        }

        @Override
        public NodeId localNode() {
            return node;
        }

        @Override
        public void start(Receiver receiver) {
            this.receiver = receiver;
        }

        @Override
        public boolean send(NodeId to, Message message) {
            if (closed) {
                metrics.frameDropped();
                return false;
            }
            return SimNetwork.this.send(this, to, message);
        }

        @Override
        public void close() {
            closed = true;
            if (transports.get(node) == this) {
                transports.remove(node);
            }
        }
    }
}
