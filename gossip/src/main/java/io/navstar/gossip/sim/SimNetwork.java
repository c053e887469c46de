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
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
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
 * <p>A partition drops what crosses it. A node's link taken down ({@link #linkDown}) is modelled
 * as TCP sees a pulled cable instead: each connection (an ordered pair of nodes, there unless its
 * sender {@linkplain Transport#disconnect disconnected} it and has delivered nothing since) holds
 * what is sent on it, as unacknowledged data, and a new connection cannot be made, so frames on one
 * are lost. When the link comes back ({@link #linkUp}) a connection delivers what it holds only at
 * its next retransmission, and whatever is sent on it before then waits behind, in order.
 *
 * <p>Not thread-safe: confined to the {@link SimScheduler}'s thread.
 */
public final class SimNetwork {

    private final SimScheduler scheduler;
    private final Random random;
    private final Map<NodeId, SimTransport> transports = new HashMap<>();
    private final Map<NodeId, Integer> partitionOf = new HashMap<>();
    private final java.util.Set<java.util.List<NodeId>> blockedLinks = new java.util.HashSet<>();
    private final Set<NodeId> linksDown = new HashSet<>();
    // (sender, receiver) pairs whose sender dropped the connection and has not delivered on a new one yet
    private final Set<List<NodeId>> disconnected = new HashSet<>();
    private final Map<List<NodeId>, ArrayDeque<Held>> held = new HashMap<>();
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

    /**
     * Takes {@code node}'s link down: from now on its established connections hold what is sent on
     * them (frames in flight included) and no new connection to or from it can be made.
     */
    public void linkDown(NodeId node) {
        linksDown.add(node);
    }

    /**
     * Brings {@code node}'s link back: each of its connections that holds frames delivers them, and
     * what was sent on it meanwhile, at its next retransmission: a seeded random moment within
     * {@code retransmitWithin} from now (TCP's retransmission timer, backed off through the outage,
     * runs on for each connection from when it last sent). New connections work at once.
     */
    public void linkUp(NodeId node, Duration retransmitWithin) {
        linksDown.remove(node);
        List<List<NodeId>> waiting = new java.util.ArrayList<>(held.keySet());
        waiting.sort(java.util.Comparator.comparing((List<NodeId> c) -> c.get(0)).thenComparing(c -> c.get(1)));
        for (List<NodeId> connection : waiting) {
            if (connection.contains(node) && !linkDown(connection.get(0), connection.get(1))) {
                ArrayDeque<Held> frames = held.get(connection);
                long delay = (long) (random.nextDouble() * retransmitWithin.toNanos());
                scheduler.schedule(() -> release(connection, frames), delay, TimeUnit.NANOSECONDS);
            }
        }
    }

    private record Held(Message message, int bytes) {
    }

    // Delivers what a connection held, unless it was disconnected (and maybe held anew) since.
    private void release(List<NodeId> connection, ArrayDeque<Held> frames) {
        if (held.get(connection) != frames) {
            return;
        }
        held.remove(connection);
        for (Held frame : frames) {
            deliver(connection.get(0), connection.get(1), frame.message(), frame.bytes());
        }
    }

    private boolean linkDown(NodeId a, NodeId b) {
        return !linksDown.isEmpty() && (linksDown.contains(a) || linksDown.contains(b));
    }

    // Sent on a connection that holds frames, or across a link that is down: true when held.
    private boolean hold(NodeId from, NodeId to, Message message, int bytes) {
        if (held.isEmpty() && !linkDown(from, to)) {
            return false; // the common case, without a key to allocate
        }
        List<NodeId> connection = List.of(from, to);
        ArrayDeque<Held> frames = held.get(connection);
        if (frames == null && linkDown(from, to) && !disconnected.contains(connection)) {
            frames = new ArrayDeque<>();
            held.put(connection, frames);
        }
        if (frames == null) {
            return false;
        }
        frames.add(new Held(message, bytes));
        return true;
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
        if (hold(from.node, to, carried, bytes)) {
            return true;
        }
        if (linkDown(from.node, to)) { // no new connection across a link that is down
            dropped++;
            return true;
        }
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
        if (linkDown(from, to)) { // in flight when the link went down: the connection holds it
            if (!hold(from, to, message, bytes)) {
                dropped++;
            }
            return;
        }
        if (!disconnected.isEmpty()) {
            disconnected.remove(List.of(from, to)); // a new connection
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
        public void disconnect(NodeId peer) {
            List<NodeId> connection = List.of(node, peer);
            disconnected.add(connection);
            ArrayDeque<Held> frames = held.remove(connection);
            if (frames != null) {
                dropped += frames.size();
            }
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
