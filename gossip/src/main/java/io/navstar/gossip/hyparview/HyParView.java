package io.navstar.gossip.hyparview;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.scheduler.Scheduler;
import io.navstar.gossip.transport.Transport;
import io.navstar.gossip.wire.Message;
import io.navstar.gossip.wire.Message.Disconnect;
import io.navstar.gossip.wire.Message.ForwardJoin;
import io.navstar.gossip.wire.Message.Join;
import io.navstar.gossip.wire.Message.JoinReply;
import io.navstar.gossip.wire.Message.Neighbor;
import io.navstar.gossip.wire.Message.NeighborReply;
import io.navstar.gossip.wire.Message.Shuffle;
import io.navstar.gossip.wire.Message.ShuffleReply;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The HyParView overlay (Leitão, Pereira, Rodrigues, "HyParView: a membership protocol for reliable
 * gossip-based broadcast", DSN 2007): a small symmetric active view of neighbours, kept full from a
 * larger passive view of backups that a periodic shuffle refreshes. Failure detection is not done
 * here (the paper leans on TCP); {@code io.navstar.gossip.health.HealthChecker} calls
 * {@link #neighbourFailed}.
 *
 * <p>Confined to the node's scheduler thread.
 */
public final class HyParView {

    /** Told when the active view gains or loses a neighbour. */
    public interface Listener {
        void onNeighbourUp(NodeId peer);

        void onNeighbourDown(NodeId peer, boolean failed);
    }

    private final NodeId self;
    private final GossipConfig config;
    private final Scheduler scheduler;
    private final Random random;
    private final Transport transport;
    private final Listener listener;
    private final List<NodeId> activeView = new ArrayList<>();
    private final List<NodeId> passiveView = new ArrayList<>();
    private List<NodeId> seeds = List.of();
    private NodeId[] lastShuffleSample = new NodeId[0];
    private NodeId pendingNeighbour;
    private long pendingNeighbourSince;
    private boolean running;

    public HyParView(NodeId self, GossipConfig config, Scheduler scheduler, Random random,
                     Transport transport, Listener listener) {
        this.self = self;
        this.config = config;
        this.scheduler = scheduler;
        this.random = random;
        this.transport = transport;
        this.listener = listener;
    }

    /** Starts joining through {@code contactNodes} and the periodic repair and shuffle. */
    public void start(List<NodeId> contactNodes) {
        seeds = contactNodes.stream().filter(n -> !n.equals(self)).toList();
        running = true;
        joinTick();
        schedule(this::repairTick, jitter(config.activeViewRepairInterval().toNanos()));
        schedule(this::shuffleTick, jitter(config.shuffleIntervalWhilePassiveLow().toNanos()));
    }

    /** Stops the timers; the views are kept for inspection. */
    public void stop() {
        running = false;
    }

    public List<NodeId> activeView() {
        return activeView;
    }

    public List<NodeId> passiveView() {
        return passiveView;
    }

    public boolean isActive(NodeId peer) {
        return activeView.contains(peer);
    }

    /** Handles a protocol message; returns false when it is not a HyParView message. */
    public boolean onMessage(NodeId from, Message message) {
        switch (message) {
            case Join ignored -> onJoin(from);
            case JoinReply ignored -> addActive(from);
            case ForwardJoin m -> onForwardJoin(from, m.joiner(), m.ttl());
            case Neighbor m -> onNeighbor(from, m.highPriority());
            case NeighborReply m -> onNeighborReply(from, m.accepted());
            case Disconnect ignored -> onDisconnect(from);
            case Shuffle m -> onShuffle(from, m);
            case ShuffleReply m -> integrate(m.nodes(), lastShuffleSample);
            default -> {
                return false;
            }
        }
        return true;
    }

    // §4.1 join: retried every 1-2 s while the active view is empty (Lashup's behaviour).
    private void joinTick() {
        if (!running) {
            return;
        }
        if (activeView.isEmpty() && !seeds.isEmpty()) {
            transport.send(seeds.get(random.nextInt(seeds.size())), new Join());
        }
        long min = config.joinRetryMin().toNanos();
        long max = config.joinRetryMax().toNanos();
        schedule(this::joinTick, min + (max > min ? (long) (random.nextDouble() * (max - min)) : 0));
    }

    // §4.1: the contact adds the joiner and starts one FORWARDJOIN walk per other neighbour.
    private void onJoin(NodeId joiner) {
        if (joiner.equals(self)) {
            return;
        }
        if (activeView.contains(joiner)) {
            // A JOIN is only sent with an empty active view (§4.1), so if we still list the joiner
            // our entry is from its previous incarnation (a restart with the same address, faster
            // than our failure detection) or it lost our link. Re-establish the link instead of
            // ignoring a duplicate: the joiner gets our table and a JOINREPLY so both ends list
            // each other; otherwise it hears nothing until our health check times the old entry out.
            relink(joiner);
        } else {
            addActive(joiner);
        }
        // Active views are symmetric (§4): the joiner lists us once it hears that we list it. Left
        // untold, it would answer our first probe with a DISCONNECT and we would drop it again.
        transport.send(joiner, new JoinReply());
        for (NodeId neighbour : List.copyOf(activeView)) {
            if (!neighbour.equals(joiner)) {
                transport.send(neighbour, new ForwardJoin(joiner, config.activeRandomWalkLength()));
            }
        }
    }

    // §4.1: accept at the end of the walk (or when we have at most one neighbour), add to the
    // passive view at PRWL, otherwise forward to a random neighbour other than the sender.
    private void onForwardJoin(NodeId sender, NodeId joiner, int ttl) {
        if (joiner.equals(self)) {
            return;
        }
        if (ttl == 0 || activeView.size() <= 1) {
            acceptJoiner(joiner);
            return;
        }
        if (ttl == config.passiveRandomWalkLength()) {
            addPassive(joiner);
        }
        NodeId next = randomActiveExcept(sender, joiner);
        if (next == null) {
            acceptJoiner(joiner);
        } else {
            transport.send(next, new ForwardJoin(joiner, ttl - 1));
        }
    }

    private void acceptJoiner(NodeId joiner) {
        // Already a neighbour: answer anyway (adding is idempotent at the joiner). A walk ending at
        // a node that still lists a restarted joiner must not end in silence (see onJoin).
        addActive(joiner);
        transport.send(joiner, new JoinReply());
    }

    // §4.1: the sender dropped us; keep it as a backup and refill the active view.
    private void onDisconnect(NodeId peer) {
        if (activeView.remove(peer)) {
            addPassive(peer);
            listener.onNeighbourDown(peer, false);
        }
    }

    /** The health checker found {@code peer} dead: drop it from both views and refill (§4.3). */
    public void neighbourFailed(NodeId peer) {
        passiveView.remove(peer);
        if (activeView.remove(peer)) {
            transport.send(peer, new Disconnect());
            listener.onNeighbourDown(peer, true);
            repairTick0();
        }
    }

    /**
     * Asks {@code peer} to become a neighbour with high priority; used when membership finds a node
     * that answers but is unreachable in the graph, to heal a partition.
     */
    public void requestHighPriorityNeighbour(NodeId peer) {
        if (peer.equals(self) || activeView.contains(peer)) {
            return;
        }
        addPassive(peer);
        transport.send(peer, new Neighbor(true));
    }

    // §4.3: a high-priority request (the sender has no neighbour) is always accepted, dropping a
    // random neighbour if needed; a low-priority one only when there is room.
    private void onNeighbor(NodeId from, boolean highPriority) {
        if (from.equals(self)) {
            return;
        }
        if (activeView.contains(from)) {
            if (highPriority) {
                // high priority means the sender's active view is empty (§4.3): our entry is stale
                // (its previous incarnation, or a lost DISCONNECT); re-establish the link as in onJoin
                relink(from);
            }
            transport.send(from, new NeighborReply(true));
            return;
        }
        if (highPriority || activeView.size() < config.activeViewSize()) {
            addActive(from);
            transport.send(from, new NeighborReply(true));
        } else {
            transport.send(from, new NeighborReply(false));
        }
    }

    private void onNeighborReply(NodeId from, boolean accepted) {
        if (from.equals(pendingNeighbour)) {
            pendingNeighbour = null;
        }
        if (accepted) {
            addActive(from);
        } else if (activeView.size() < config.activeViewSize()) {
            repairTick0();
        }
    }

    private void repairTick() {
        if (!running) {
            return;
        }
        repairTick0();
        schedule(this::repairTick, jitter(config.activeViewRepairInterval().toNanos()));
    }

    // §4.3: while the active view is not full, ask one random passive node at a time.
    private void repairTick0() {
        if (pendingNeighbour != null) {
            if (scheduler.nanoTime() - pendingNeighbourSince < config.neighborRequestTimeout().toNanos()) {
                return;
            }
            passiveView.remove(pendingNeighbour);
            pendingNeighbour = null;
        }
        if (activeView.size() >= config.activeViewSize() || passiveView.isEmpty()) {
            return;
        }
        NodeId candidate = passiveView.get(random.nextInt(passiveView.size()));
        pendingNeighbour = candidate;
        pendingNeighbourSince = scheduler.nanoTime();
        transport.send(candidate, new Neighbor(activeView.isEmpty()));
    }

    // §4.4: send self, ka active and kp passive nodes on a random walk of ARWL hops.
    private void shuffleTick() {
        if (!running) {
            return;
        }
        if (!activeView.isEmpty()) {
            List<NodeId> sample = new ArrayList<>();
            sample.add(self);
            sample.addAll(randomSample(activeView, config.shuffleActiveSample()));
            sample.addAll(randomSample(passiveView, config.shufflePassiveSample()));
            lastShuffleSample = sample.toArray(NodeId[]::new);
            NodeId target = activeView.get(random.nextInt(activeView.size()));
            transport.send(target, new Shuffle(self, config.activeRandomWalkLength(), lastShuffleSample));
        }
        boolean passiveLow = passiveView.size() < config.passiveViewSize() / 2;
        long period = (passiveLow ? config.shuffleIntervalWhilePassiveLow() : config.shuffleInterval()).toNanos();
        schedule(this::shuffleTick, jitter(period));
    }

    // §4.4: forward while the walk lasts and we have other neighbours; otherwise answer the
    // origin directly with a passive sample of the same size and keep what we received.
    private void onShuffle(NodeId from, Shuffle shuffle) {
        if (shuffle.origin().equals(self)) {
            return;
        }
        if (shuffle.ttl() > 0 && activeView.size() > 1) {
            NodeId next = randomActiveExcept(from, shuffle.origin());
            if (next != null) {
                transport.send(next, new Shuffle(shuffle.origin(), shuffle.ttl() - 1, shuffle.nodes()));
                return;
            }
        }
        NodeId[] reply = randomSample(passiveView, shuffle.nodes().length).toArray(NodeId[]::new);
        transport.send(shuffle.origin(), new ShuffleReply(reply));
        integrate(shuffle.nodes(), reply);
    }

    // §4.4: add received nodes to the passive view, evicting first the nodes we sent away.
    private void integrate(NodeId[] received, NodeId[] sentAway) {
        int evictCursor = 0;
        for (NodeId node : received) {
            if (node.equals(self) || activeView.contains(node) || passiveView.contains(node)) {
                continue;
            }
            if (passiveView.size() >= config.passiveViewSize()) {
                boolean evicted = false;
                while (!evicted && evictCursor < sentAway.length) {
                    evicted = passiveView.remove(sentAway[evictCursor++]);
                }
                if (!evicted) {
                    passiveView.remove(random.nextInt(passiveView.size()));
                }
            }
            passiveView.add(node);
        }
    }

    // The peer is in our active view but no longer lists us: drop the old link and add it again,
    // so listeners see the old incarnation go and the new one come (membership sends it our
    // table, the health checker forgets the old round trips, KV re-syncs).
    private void relink(NodeId peer) {
        activeView.remove(peer);
        listener.onNeighbourDown(peer, false);
        addActive(peer);
    }

    private void addActive(NodeId peer) {
        if (peer.equals(self) || activeView.contains(peer)) {
            return;
        }
        passiveView.remove(peer);
        if (activeView.size() >= config.activeViewSize()) {
            // §4.1 dropRandomElementFromActiveView: tell it, and keep it as a backup
            NodeId dropped = activeView.remove(random.nextInt(activeView.size()));
            transport.send(dropped, new Disconnect());
            addPassive(dropped);
            listener.onNeighbourDown(dropped, false);
        }
        activeView.add(peer);
        if (peer.equals(pendingNeighbour)) {
            pendingNeighbour = null;
        }
        listener.onNeighbourUp(peer);
    }

    private void addPassive(NodeId node) {
        if (node.equals(self) || activeView.contains(node) || passiveView.contains(node)) {
            return;
        }
        if (passiveView.size() >= config.passiveViewSize()) {
            passiveView.remove(random.nextInt(passiveView.size()));
        }
        passiveView.add(node);
    }

    private NodeId randomActiveExcept(NodeId a, NodeId b) {
        int candidates = 0;
        for (NodeId node : activeView) {
            if (!node.equals(a) && !node.equals(b)) {
                candidates++;
            }
        }
        if (candidates == 0) {
            return null;
        }
        int pick = random.nextInt(candidates);
        for (NodeId node : activeView) {
            if (!node.equals(a) && !node.equals(b) && pick-- == 0) {
                return node;
            }
        }
        return null;
    }

    private List<NodeId> randomSample(List<NodeId> from, int count) {
        if (from.size() <= count) {
            return new ArrayList<>(from);
        }
        List<NodeId> copy = new ArrayList<>(from);
        Collections.shuffle(copy, random);
        return copy.subList(0, count);
    }

    private long jitter(long periodNanos) {
        return periodNanos / 2 + (long) (random.nextDouble() * periodNanos);
    }

    private void schedule(Runnable task, long delayNanos) {
        scheduler.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    }
}
