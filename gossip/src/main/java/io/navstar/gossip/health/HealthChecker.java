package io.navstar.gossip.health;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.metrics.GossipMetrics;
import io.navstar.gossip.scheduler.Scheduler;
import io.navstar.gossip.scheduler.Scheduler.Cancellable;
import io.navstar.gossip.transport.Transport;
import io.navstar.gossip.wire.Message.Disconnect;
import io.navstar.gossip.wire.Message.Ping;
import io.navstar.gossip.wire.Message.Pong;
import io.navstar.gossip.wire.Message.ProbePurpose;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Adaptive health checks of the active view, after Lashup's: every 100-200 ms the next neighbour in
 * turn gets a probe; a probe unanswered within its neighbour's adaptive timeout
 * ({@link RoundTripWindow}) makes the neighbour failed, which HyParView replaces from the passive
 * view. Hints (a broken connection, a flooded view that dropped the neighbour) only trigger an
 * immediate probe: a node believes a failure only when its own probe times out.
 *
 * <p>Confined to the node's scheduler thread.
 */
public final class HealthChecker {

    private final GossipConfig config;
    private final Scheduler scheduler;
    private final Random random;
    private final Transport transport;
    private final GossipMetrics metrics;
    private final List<NodeId> activeView;
    private final Consumer<NodeId> onFailure;
    private final Map<NodeId, PeerState> peers = new HashMap<>();
    private int cursor;
    private long nextSequence = 1;
    private boolean running;

    private final class PeerState {
        final RoundTripWindow window = new RoundTripWindow(config.rttSamples());
        long outstandingSequence;
        Cancellable timeout;
    }

    /**
     * @param activeView the live active view (read on each tick)
     * @param onFailure told when a neighbour's probe timed out
     */
    public HealthChecker(GossipConfig config, Scheduler scheduler, Random random, Transport transport,
                         GossipMetrics metrics, List<NodeId> activeView, Consumer<NodeId> onFailure) {
        this.config = config;
        this.scheduler = scheduler;
        this.random = random;
        this.transport = transport;
        this.metrics = metrics;
        this.activeView = activeView;
        this.onFailure = onFailure;
    }

    public void start() {
        running = true;
        scheduleTick();
    }

    public void stop() {
        running = false;
        for (PeerState state : peers.values()) {
            if (state.timeout != null) {
                state.timeout.cancel();
            }
        }
        peers.clear();
    }

    private void scheduleTick() {
        long min = config.probeIntervalMin().toNanos();
        long max = config.probeIntervalMax().toNanos();
        scheduler.schedule(this::tick, min + (long) (random.nextDouble() * (max - min)), TimeUnit.NANOSECONDS);
    }

    private void tick() {
        if (!running) {
            return;
        }
        if (!activeView.isEmpty()) {
            cursor = (cursor + 1) % activeView.size();
            probe(activeView.get(cursor));
        }
        scheduleTick();
    }

    /** Probes {@code peer} now unless a probe of it is already out; a no-op for non-neighbours. */
    public void probe(NodeId peer) {
        if (!running || !activeView.contains(peer)) {
            return;
        }
        PeerState state = peers.computeIfAbsent(peer, p -> new PeerState());
        if (state.outstandingSequence != 0) {
            return;
        }
        long sequence = nextSequence++;
        state.outstandingSequence = sequence;
        long timeout = state.window.timeoutNanos(config.probeTimeoutWithoutSamples().toNanos(),
                config.probeTimeoutFloor().toNanos(), config.probeTimeoutRttMultiplier(),
                config.probeTimeoutMax().toNanos());
        state.timeout = scheduler.schedule(() -> onTimeout(peer, sequence), timeout, TimeUnit.NANOSECONDS);
        transport.send(peer, new Ping(sequence, scheduler.nanoTime(), ProbePurpose.HEALTH));
    }

    private void onTimeout(NodeId peer, long sequence) {
        PeerState state = peers.get(peer);
        if (!running || state == null || state.outstandingSequence != sequence) {
            return;
        }
        peers.remove(peer);
        metrics.probeTimedOut();
        if (activeView.contains(peer)) {
            metrics.failureDetected();
            onFailure.accept(peer);
        }
    }

    /**
     * Our probe to {@code peer} could not be delivered because its host refused the connection:
     * nothing listens there any more. That is our own evidence, not a rumour, so a neighbour with a
     * probe outstanding fails now instead of at the timeout.
     */
    public void onRefused(NodeId peer) {
        PeerState state = peers.get(peer);
        if (running && state != null && state.outstandingSequence != 0) {
            onTimeout(peer, state.outstandingSequence);
        }
    }

    /** Answers any probe; a health probe from a node that is not our neighbour learns so. */
    public void onPing(NodeId from, Ping ping) {
        if (ping.purpose() == ProbePurpose.HEALTH && !activeView.contains(from)) {
            // the views disagree (a lost DISCONNECT or reply): tell the prober to drop us
            transport.send(from, new Disconnect());
            return;
        }
        transport.send(from, new Pong(ping.sequence(), ping.sentNanos(), ping.purpose()));
    }

    /** A health answer: records the round trip and clears the outstanding probe. */
    public void onPong(NodeId from, Pong pong) {
        long rtt = scheduler.nanoTime() - pong.sentNanos();
        PeerState state = peers.get(from);
        if (state == null || state.outstandingSequence != pong.sequence()) {
            return;
        }
        state.outstandingSequence = 0;
        state.timeout.cancel();
        state.window.add(rtt);
        metrics.probeRoundTrip(rtt);
    }

    /** A neighbour left the active view: forget its probe state. */
    public void forget(NodeId peer) {
        PeerState state = peers.remove(peer);
        if (state != null && state.timeout != null) {
            state.timeout.cancel();
        }
    }

    /** The current timeout for {@code peer}, for tests and metrics. */
    public long timeoutNanos(NodeId peer) {
        PeerState state = peers.get(peer);
        RoundTripWindow window = state == null ? new RoundTripWindow(1) : state.window;
        return window.timeoutNanos(config.probeTimeoutWithoutSamples().toNanos(),
                config.probeTimeoutFloor().toNanos(), config.probeTimeoutRttMultiplier(),
                config.probeTimeoutMax().toNanos());
    }
}
