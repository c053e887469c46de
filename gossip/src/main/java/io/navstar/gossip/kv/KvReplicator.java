package io.navstar.gossip.kv;

import io.navstar.gossip.kv.wire.CorruptDataException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spreads a {@link KvStore} over a {@link KvNetwork}, the way lashup_kv did with two fixes: each
 * committed local operation is multicast as a delta rather than the whole value, and
 * anti-entropy with each neighbour sends only the keys that changed since that neighbour last
 * acknowledged (a per-peer watermark on the store's change sequence), not every key's clock.
 *
 * <ul>
 *   <li>Delta: after a local commit, {@code (origin, seq, key, delta)} goes to every reachable
 *       node; a receiver that already counts {@code seq} for the origin drops it, otherwise merges
 *       it (deltas merge safely in any order; Almeida et al., JPDC 2018, §4).</li>
 *   <li>Push: every {@link Config#antiEntropyInterval()}, each neighbour gets the full states of the
 *       keys changed after its watermark, at most {@link Config#maxPushBytes()} per frame; its
 *       {@code Ack} (sent once the merge is durable) moves the watermark. With nothing changed the
 *       push is an empty heartbeat of a few dozen bytes carrying a digest of all (key, clock)
 *       pairs, so idle traffic does not grow with the state.</li>
 *   <li>Full exchange: a new neighbour, or one back after being down, starts at watermark zero and
 *       gets everything; and when two neighbours have pushed each other everything yet their digests
 *       still differ for {@link Config#mismatchRoundsBeforeFull()} rounds, the receiver asks for a
 *       full push.</li>
 * </ul>
 *
 * <p>Confined to the network's thread: every handler, timer and store callback hops onto it.
 */
public final class KvReplicator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KvReplicator.class);

    /**
     * Anti-entropy settings.
     *
     * @param antiEntropyInterval      time between pushes to each neighbour
     * @param maxPushBytes             byte budget of one push frame (one larger value still goes alone)
     * @param pushTimeout              an unacknowledged push is sent again after this
     * @param mismatchRoundsBeforeFull idle rounds with differing digests before asking for everything
     */
    public record Config(Duration antiEntropyInterval, long maxPushBytes, Duration pushTimeout, int mismatchRoundsBeforeFull) {
        public Config {
            Objects.requireNonNull(antiEntropyInterval);
            Objects.requireNonNull(pushTimeout);
            if (maxPushBytes <= 0 || mismatchRoundsBeforeFull <= 0) {
                throw new IllegalArgumentException("invalid replicator config");
            }
        }

        /** Push every second, 1 MiB frames, resend after 5 s, full exchange after 3 mismatched rounds. */
        public static Config defaults() {
            return new Config(Duration.ofSeconds(1), 1 << 20, Duration.ofSeconds(5), 3);
        }

        /** For simulations: push every 200 ms. */
        public static Config simulation() {
            return new Config(Duration.ofMillis(200), 1 << 20, Duration.ofSeconds(2), 3);
        }
    }

    private static final class Peer {
        long watermark;
        long inFlightId = -1;
        long inFlightUpTo;
        boolean inFlightMore;
        long inFlightSentNanos;
        int inFlightEntries;
        int mismatches;
    }

    private final KvStore store;
    private final KvNetwork network;
    private final Config config;
    private final KvMetrics metrics;
    private final Map<String, Peer> peers = new HashMap<>();
    private long nextPushId = 1;
    private Runnable cancelTimer;
    private volatile boolean closed;

    public KvReplicator(KvStore store, KvNetwork network, Config config) {
        this.store = store;
        this.network = network;
        this.config = config;
        this.metrics = store.metrics();
        if (!store.replicaId().equals(network.localId())) {
            throw new IllegalArgumentException("store replica " + store.replicaId() + " is not network node " + network.localId());
        }
    }

    /** Hooks into the store and the network and starts the anti-entropy timer. */
    public KvReplicator start() {
        store.setCommitListener((key, delta, origin, seq) -> {
            final byte[] frame = KvFrames.delta(origin, seq, key, delta);
            network.execute(() -> {
                if (!closed) {
                    metrics.deltasSent.increment();
                    network.multicast(frame);
                }
            });
        });
        network.start(new KvNetwork.Handler() {
            @Override
            public void onFrame(String from, byte[] frame) {
                receive(from, frame);
            }

            @Override
            public void onNeighbourUp(String peer) {
                neighbourUp(peer);
            }

            @Override
            public void onNeighbourDown(String peer) {
                peers.remove(peer);
            }
        });
        network.execute(this::scheduleRound);
        return this;
    }

    /** The neighbours anti-entropy currently runs with. */
    public List<String> neighbours() {
        return new ArrayList<>(peers.keySet());
    }

    private void scheduleRound() {
        if (!closed) {
            cancelTimer = network.schedule(() -> {
                antiEntropyRound();
                scheduleRound();
            }, config.antiEntropyInterval().toMillis());
        }
    }

    /** One anti-entropy round: a push (maybe empty) to each neighbour without one in flight. */
    void antiEntropyRound() {
        if (closed) {
            return;
        }
        metrics.antiEntropyRounds.increment();
        final long now = network.nanoTime();
        for (Map.Entry<String, Peer> e : peers.entrySet()) {
            final Peer peer = e.getValue();
            if (peer.inFlightId >= 0 && now - peer.inFlightSentNanos < config.pushTimeout().toNanos()) {
                continue;
            }
            pushTo(e.getKey(), peer);
        }
    }

    private void neighbourUp(String peerId) {
        if (peers.containsKey(peerId)) {
            return;
        }
        final Peer peer = new Peer();
        peers.put(peerId, peer);
        metrics.fullExchanges.increment();
        pushTo(peerId, peer);
    }

    private void pushTo(String peerId, Peer peer) {
        final KvStore.Changes changes = store.changesSince(peer.watermark, config.maxPushBytes());
        final long id = nextPushId++;
        final byte[] frame = KvFrames.push(id, changes.upToSeq(), store.digest(), changes.more(), changes.entries());
        peer.inFlightId = id;
        peer.inFlightUpTo = changes.upToSeq();
        peer.inFlightMore = changes.more();
        peer.inFlightEntries = changes.entries().size();
        peer.inFlightSentNanos = network.nanoTime();
        metrics.antiEntropyBytesSent.add(frame.length);
        metrics.antiEntropyKeysSent.add(changes.entries().size());
        network.send(peerId, frame);
    }

    private void receive(String from, byte[] bytes) {
        if (closed) {
            return;
        }
        final KvFrames.Frame frame;
        try {
            frame = KvFrames.decode(bytes);
        } catch (CorruptDataException e) {
            metrics.corruptFrames.increment();
            LOG.warn("dropping a corrupt KV frame from {}: {}", from, e.getMessage());
            return;
        }
        switch (frame) {
            case KvFrames.Delta d -> {
                if (d.origin().equals(store.replicaId())) {
                    return;
                }
                metrics.deltasReceived.increment();
                store.mergeRemote(List.of(new KvStore.RemoteUpdate(d.key(), d.delta(), null, d.origin(), d.seq())));
                // a delta lost to overload is repaired by anti-entropy
            }
            case KvFrames.Push p -> {
                metrics.antiEntropyBytesReceived.add(bytes.length);
                if (p.entries().isEmpty()) {
                    network.send(from, KvFrames.ack(p.pushId(), p.upToSeq(), store.digest()));
                    compareDigests(from, p);
                    return;
                }
                final List<KvStore.RemoteUpdate> updates = new ArrayList<>(p.entries().size());
                for (KvFrames.PushEntry e : p.entries()) {
                    updates.add(new KvStore.RemoteUpdate(e.key(), e.value(), e.clock(), null, 0));
                }
                store.mergeRemote(updates).whenComplete((changed, failure) -> {
                    if (failure == null) {
                        network.execute(() -> {
                            if (!closed) {
                                network.send(from, KvFrames.ack(p.pushId(), p.upToSeq(), store.digest()));
                            }
                        });
                    }
                    // no ack on overload or a storage failure: the sender pushes again later
                });
            }
            case KvFrames.Ack a -> {
                final Peer peer = peers.get(from);
                if (peer != null && peer.inFlightId == a.pushId()) {
                    peer.watermark = Math.max(peer.watermark, peer.inFlightUpTo);
                    peer.inFlightId = -1;
                    if (peer.inFlightMore) {
                        pushTo(from, peer); // a large sync continues at the pace of acks
                    }
                }
            }
            case KvFrames.FullRequest f -> {
                final Peer peer = peers.get(from);
                if (peer != null) {
                    metrics.fullExchanges.increment();
                    peer.watermark = 0;
                    peer.inFlightId = -1;
                    pushTo(from, peer);
                }
            }
        }
    }

    /**
     * An empty push means the sender has pushed us everything; if we have pushed it everything too
     * and the digests still differ round after round, something was lost (or counted only by a
     * delta after a gap): ask for a full push.
     */
    private void compareDigests(String from, KvFrames.Push push) {
        final Peer peer = peers.get(from);
        if (peer == null || push.more()) {
            return;
        }
        // Quiet: everything we hold has reached the peer, or is on its way in an empty heartbeat.
        final boolean quiet = peer.inFlightId < 0
                ? peer.watermark >= store.lastSeq()
                : peer.inFlightEntries == 0 && peer.inFlightUpTo >= store.lastSeq();
        if (!quiet || push.digest() == store.digest()) {
            peer.mismatches = 0;
            return;
        }
        if (++peer.mismatches >= config.mismatchRoundsBeforeFull()) {
            peer.mismatches = 0;
            network.send(from, KvFrames.fullRequest());
        }
    }

    @Override
    public void close() {
        closed = true;
        final Runnable cancel = cancelTimer;
        if (cancel != null) {
            cancel.run();
        }
        store.setCommitListener(null);
    }
}
