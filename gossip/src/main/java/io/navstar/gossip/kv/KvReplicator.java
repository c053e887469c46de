package io.navstar.gossip.kv;

import io.navstar.gossip.kv.crdt.OrMap;
import io.navstar.gossip.kv.crdt.VersionVector;
import io.navstar.gossip.kv.wire.CorruptDataException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spreads a {@link KvStore} over a {@link KvNetwork}, the way lashup_kv did with two fixes: each
 * committed local operation is multicast as a delta rather than the whole value, and
 * anti-entropy with each neighbour covers only the keys that changed since that neighbour last
 * acknowledged (a per-peer watermark on the store's change sequence), not every key.
 *
 * <ul>
 *   <li>Delta: after a local commit, {@code (origin, seq, key, delta)} goes to every reachable
 *       node; a receiver that already counts {@code seq} for the origin drops it, otherwise merges
 *       it (deltas merge safely in any order; Almeida et al., JPDC 2018, §4).</li>
 *   <li>Anti-entropy, every {@link Config#antiEntropyInterval()} per neighbour: a
 *       {@code Summary} of the (key, clock) pairs changed after the neighbour's watermark; its
 *       {@code Ack} names the keys whose clocks it does not already dominate (normally none, the
 *       deltas got there first); those go as {@code Values}, in frames of at most
 *       {@link Config#maxValuesBytes()}, and once they are durable there the watermark moves. With
 *       nothing changed the summary is an empty heartbeat of a few dozen bytes carrying a digest of
 *       all (key, clock) pairs, so idle traffic does not grow with the state.</li>
 *   <li>Full exchange: a new neighbour, or one back after being down, starts at watermark zero and
 *       gets a summary of everything (then only the values it lacks, each asked of one neighbour at
 *       a time, not of every neighbour that offers it); and when two neighbours have
 *       sent each other everything yet their digests still differ for
 *       {@link Config#mismatchRoundsBeforeFull()} rounds, the receiver asks for a full summary.</li>
 * </ul>
 *
 * <p>Replication lag ({@link #replicationLag()}), per neighbour: the changes after its watermark, which it has not
 * confirmed yet, and the age of the oldest of them, from commit times that {@link CommitStamps} keeps for as long as
 * some neighbour lacks them. A confirmation comes with the anti-entropy exchange that moves the watermark, so the
 * lag runs up to one {@link Config#antiEntropyInterval()} behind the deltas that normally deliver changes first.
 *
 * <p>Confined to the network's thread: every handler, timer and store callback hops onto it, except
 * {@link #neighbours()} and {@link #replicationLag()}, which read published state from any thread.
 */
public final class KvReplicator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KvReplicator.class);

    /**
     * Anti-entropy settings.
     *
     * @param antiEntropyInterval      time between summaries to each neighbour
     * @param maxSummaryEntries        most (key, clock) pairs in one summary
     * @param maxValuesBytes           byte budget of one values frame (one larger value still goes alone)
     * @param pushTimeout              an exchange without an answer starts over after this
     * @param mismatchRoundsBeforeFull idle rounds with differing digests before asking for everything
     */
    public record Config(Duration antiEntropyInterval, int maxSummaryEntries, long maxValuesBytes, Duration pushTimeout,
                         int mismatchRoundsBeforeFull) {
        public Config {
            Objects.requireNonNull(antiEntropyInterval);
            Objects.requireNonNull(pushTimeout);
            if (maxSummaryEntries <= 0 || maxValuesBytes <= 0 || mismatchRoundsBeforeFull <= 0) {
                throw new IllegalArgumentException("invalid replicator config");
            }
        }

        /** Every second; 8,192 keys per summary, 1 MiB values frames, start over after 5 s, full after 3 mismatches. */
        public static Config defaults() {
            return new Config(Duration.ofSeconds(1), 8192, 1 << 20, Duration.ofSeconds(5), 3);
        }

        /** For simulations and tests: every 200 ms, start over after 2 s. */
        public static Config simulation() {
            return new Config(Duration.ofMillis(200), 8192, 1 << 20, Duration.ofSeconds(2), 3);
        }
    }

    /**
     * What one neighbour has not confirmed, as published for {@link #replicationLag()}: the changes after
     * {@code watermark}, the oldest committed at {@code sinceNanos}, or {@link #NOTHING_PENDING} when no change
     * after the watermark has been stamped yet.
     */
    private record Unconfirmed(long watermark, long sinceNanos) {
    }

    private static final long NOTHING_PENDING = Long.MAX_VALUE;

    /**
     * How far one neighbour is behind this store, by what it has confirmed through anti-entropy.
     *
     * @param peer           the neighbour
     * @param lagNanos       age of the oldest change it has not confirmed (counted at most from when it became a
     *                       neighbour or last asked for a full exchange); 0 when it has confirmed every change
     * @param pendingChanges changes committed here (local operations and merges, one per key per commit) that it has
     *                       not confirmed
     */
    public record ReplicationLag(String peer, long lagNanos, long pendingChanges) {
    }

    /** Commit times kept at most: 16 KiB, coarsening beyond (see {@link CommitStamps}). */
    static final int COMMIT_STAMPS = 1024;

    /** Anti-entropy state toward one neighbour. */
    private static final class Peer {
        long watermark;
        /** When it came up or asked for a full exchange: changes older than that count as pending from then. */
        long pendingFloorNanos;
        /** Written on the network thread (before the peer joins {@code peers}), read by {@link #replicationLag()}. */
        volatile Unconfirmed unconfirmed;
        long inFlightId = -1;
        long inFlightUpTo;
        boolean inFlightMore;
        int inFlightEntries;
        long inFlightSentNanos;
        final ArrayDeque<KvKey> wanted = new ArrayDeque<>();
        /** Keys whose state at this change sequence number came from the peer itself. */
        final Map<KvKey, Long> adopted = new HashMap<>();
        int mismatches;
    }

    /** A value asked of one neighbour and not yet received, so the others are not asked too. */
    private record Requested(String peer, long atNanos, VersionVector clock) {
    }

    private final KvStore store;
    private final KvNetwork network;
    private final Config config;
    private final KvMetrics metrics;
    // Written only on the network's thread; concurrent so that neighbours() may be read from any.
    private final Map<String, Peer> peers = new ConcurrentHashMap<>();
    private final Map<KvKey, Requested> requested = new HashMap<>();
    private final CommitStamps commitStamps = new CommitStamps(COMMIT_STAMPS);
    /** Set while a stamp of new commits is queued on the network thread: one hop serves every commit until it runs. */
    private final AtomicBoolean stampQueued = new AtomicBoolean();
    private final Runnable stampCommits = this::stampCommits;
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
        store.setCommitListener(new KvStore.CommitListener() {
            @Override
            public void onLocalCommit(KvKey key, OrMap delta, String origin, long seq) {
                final byte[] frame = KvFrames.delta(origin, seq, key, delta);
                network.execute(() -> {
                    if (!closed) {
                        metrics.deltasSent.increment();
                        network.multicast(frame);
                    }
                });
            }

            @Override
            public void onChangesPublished(long lastSeq) {
                if (!stampQueued.getAndSet(true)) {
                    network.execute(stampCommits);
                }
            }
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
                requested.values().removeIf(r -> r.peer().equals(peer));
                forgetConfirmedStamps();
            }
        });
        network.execute(stampCommits); // what the store held before: committed by now
        network.execute(this::scheduleRound);
        return this;
    }

    /** The neighbours anti-entropy currently runs with; callable from any thread. */
    public List<String> neighbours() {
        return new ArrayList<>(peers.keySet());
    }

    /**
     * Each neighbour's replication lag, at this moment; callable from any thread. A neighbour that goes away
     * leaves the list.
     */
    public List<ReplicationLag> replicationLag() {
        final List<ReplicationLag> out = new ArrayList<>(peers.size());
        for (Map.Entry<String, Peer> e : peers.entrySet()) {
            final Unconfirmed unconfirmed = e.getValue().unconfirmed;
            // Read after the watermark, which was at most lastSeq when published: the count is never negative.
            final long lastSeq = store.lastSeq();
            final long lagNanos = unconfirmed.sinceNanos() == NOTHING_PENDING
                    ? 0 : Math.max(0, network.nanoTime() - unconfirmed.sinceNanos());
            out.add(new ReplicationLag(e.getKey(), lagNanos, lastSeq - unconfirmed.watermark()));
        }
        return out;
    }

    /** Stamps the changes published since the last stamp with the time now (queued by the store's thread). */
    private void stampCommits() {
        stampQueued.set(false); // before reading lastSeq: a commit after this read queues another stamp
        if (closed) {
            return;
        }
        commitStamps.stamp(store.lastSeq(), network.nanoTime());
        for (Peer peer : peers.values()) {
            if (peer.unconfirmed.sinceNanos() == NOTHING_PENDING && peer.watermark < commitStamps.lastSeq()) {
                publishUnconfirmed(peer);
            }
        }
        forgetConfirmedStamps();
    }

    /** Publishes what {@code peer} has not confirmed after its watermark or the stamps moved. */
    private void publishUnconfirmed(Peer peer) {
        final long oldest = peer.watermark + 1;
        final long since = oldest > commitStamps.lastSeq()
                ? NOTHING_PENDING : Math.max(commitStamps.committedAt(oldest), peer.pendingFloorNanos);
        peer.unconfirmed = new Unconfirmed(peer.watermark, since);
    }

    /** Drops the commit times of changes that every neighbour has confirmed. */
    private void forgetConfirmedStamps() {
        long confirmedByAll = commitStamps.lastSeq();
        for (Peer peer : peers.values()) {
            confirmedByAll = Math.min(confirmedByAll, peer.watermark);
        }
        commitStamps.forgetUpTo(confirmedByAll);
    }

    /** Commit times kept now; network thread only. */
    int commitStampsKept() {
        return commitStamps.size();
    }

    /** Keys whose values were asked of {@code peer} and have not arrived; network thread only. */
    int pendingRequests(String peer) {
        int n = 0;
        for (Requested r : requested.values()) {
            if (r.peer().equals(peer)) {
                n++;
            }
        }
        return n;
    }

    private void scheduleRound() {
        if (!closed) {
            cancelTimer = network.schedule(() -> {
                antiEntropyRound();
                scheduleRound();
            }, config.antiEntropyInterval().toMillis());
        }
    }

    /** One round: a summary (maybe empty) to each neighbour without an exchange in progress. */
    void antiEntropyRound() {
        if (closed) {
            return;
        }
        metrics.antiEntropyRounds.increment();
        final long now = network.nanoTime();
        if (!requested.isEmpty()) {
            requested.values().removeIf(r -> now - r.atNanos() >= config.pushTimeout().toNanos());
        }
        for (Map.Entry<String, Peer> e : peers.entrySet()) {
            final Peer peer = e.getValue();
            if (peer.inFlightId >= 0 && now - peer.inFlightSentNanos < config.pushTimeout().toNanos()) {
                continue;
            }
            sendSummary(e.getKey(), peer);
        }
    }

    private void neighbourUp(String peerId) {
        if (peers.containsKey(peerId)) {
            return;
        }
        final Peer peer = new Peer();
        peer.pendingFloorNanos = network.nanoTime();
        publishUnconfirmed(peer);
        peers.put(peerId, peer);
        metrics.fullExchanges.increment();
        sendSummary(peerId, peer);
    }

    private void sendAntiEntropy(String peerId, byte[] frame) {
        metrics.antiEntropyBytesSent.add(frame.length);
        network.send(peerId, frame);
    }

    private void sendSummary(String peerId, Peer peer) {
        final KvStore.Changes changes = store.changesSince(peer.watermark, config.maxSummaryEntries());
        List<Map.Entry<KvKey, KvStore.Entry>> entries = changes.entries();
        if (!peer.adopted.isEmpty()) {
            // Do not echo back what the peer itself just gave us.
            entries = new ArrayList<>(entries.size());
            for (Map.Entry<KvKey, KvStore.Entry> e : changes.entries()) {
                final Long fromPeer = peer.adopted.remove(e.getKey());
                if (fromPeer == null || fromPeer != e.getValue().seq()) {
                    entries.add(e);
                }
            }
        }
        final long id = nextPushId++;
        peer.inFlightId = id;
        peer.inFlightUpTo = changes.upToSeq();
        peer.inFlightMore = changes.more();
        peer.inFlightEntries = entries.size();
        peer.inFlightSentNanos = network.nanoTime();
        peer.wanted.clear();
        sendAntiEntropy(peerId, KvFrames.summary(id, changes.upToSeq(), store.digest(), changes.more(), entries));
    }

    /** Sends the next frame of wanted values, or completes the exchange when none are left. */
    private void sendValuesOrComplete(String peerId, Peer peer) {
        final List<Map.Entry<KvKey, KvStore.Entry>> batch = new ArrayList<>();
        long bytes = 0;
        while (!peer.wanted.isEmpty()) {
            final KvStore.Entry entry = store.entry(peer.wanted.peek());
            if (entry == null) {
                peer.wanted.poll();
                continue;
            }
            if (!batch.isEmpty() && bytes + entry.encodedValue().length > config.maxValuesBytes()) {
                break;
            }
            batch.add(Map.entry(peer.wanted.poll(), entry));
            bytes += entry.encodedValue().length;
        }
        if (batch.isEmpty()) {
            if (peer.inFlightUpTo > peer.watermark) {
                peer.watermark = peer.inFlightUpTo;
                publishUnconfirmed(peer);
                forgetConfirmedStamps();
            }
            peer.inFlightId = -1;
            if (peer.inFlightMore) {
                sendSummary(peerId, peer); // a large sync continues at the pace of acks
            }
            return;
        }
        peer.inFlightSentNanos = network.nanoTime();
        metrics.antiEntropyKeysSent.add(batch.size());
        sendAntiEntropy(peerId, KvFrames.values(peer.inFlightId, batch));
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
        if (!(frame instanceof KvFrames.Delta)) {
            metrics.antiEntropyBytesReceived.add(bytes.length);
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
            case KvFrames.Summary s -> {
                final List<KvKey> wanted = new ArrayList<>();
                final long now = network.nanoTime();
                for (KvFrames.KeyClock kc : s.entries()) {
                    final KvStore.Entry mine = store.entry(kc.key());
                    final VersionVector clock = mine == null ? VersionVector.empty() : mine.clock();
                    if (clock.dominates(kc.clock())) {
                        continue;
                    }
                    // A node back from an absence hears the same keys from every neighbour: ask one.
                    // If that one fails to deliver, it repeats its summary and we ask again; if it
                    // goes away, the digest check ends in a full exchange.
                    final Requested pending = requested.get(kc.key());
                    if (pending != null && !pending.peer().equals(from)
                            && now - pending.atNanos() < config.pushTimeout().toNanos()
                            && pending.clock().dominates(kc.clock())) {
                        continue;
                    }
                    requested.put(kc.key(), new Requested(from, now, kc.clock()));
                    wanted.add(kc.key());
                }
                sendAntiEntropy(from, KvFrames.ack(s.pushId(), store.digest(), wanted));
                if (s.entries().isEmpty()) {
                    compareDigests(from, s);
                }
            }
            case KvFrames.Ack a -> {
                final Peer peer = peers.get(from);
                if (peer != null && peer.inFlightId == a.pushId()) {
                    peer.wanted.addAll(a.wanted());
                    sendValuesOrComplete(from, peer);
                }
            }
            case KvFrames.Values v -> {
                final List<KvStore.RemoteUpdate> updates = new ArrayList<>(v.entries().size());
                for (KvFrames.ValueEntry e : v.entries()) {
                    updates.add(new KvStore.RemoteUpdate(e.key(), e.value(), e.clock(), null, 0));
                }
                store.mergeRemote(updates).whenComplete((adopted, failure) -> {
                    if (failure == null) {
                        network.execute(() -> {
                            if (!closed) {
                                for (KvFrames.ValueEntry e : v.entries()) {
                                    requested.remove(e.key());
                                }
                                final Peer peer = peers.get(from);
                                if (peer != null) {
                                    peer.adopted.putAll(adopted);
                                }
                                sendAntiEntropy(from, KvFrames.valuesAck(v.pushId()));
                            }
                        });
                    }
                    // no ack on overload or a storage failure: the sender starts over later
                });
            }
            case KvFrames.ValuesAck a -> {
                final Peer peer = peers.get(from);
                if (peer != null && peer.inFlightId == a.pushId()) {
                    sendValuesOrComplete(from, peer);
                }
            }
            case KvFrames.FullRequest f -> {
                final Peer peer = peers.get(from);
                if (peer != null) {
                    metrics.fullExchanges.increment();
                    peer.watermark = 0;
                    peer.pendingFloorNanos = network.nanoTime();
                    publishUnconfirmed(peer);
                    sendSummary(from, peer);
                }
            }
        }
    }

    /**
     * An empty summary means the sender has sent us everything; if we have sent it everything too
     * and the digests still differ round after round, something was lost (or counted only by a
     * delta after a gap): ask for a full summary.
     */
    private void compareDigests(String from, KvFrames.Summary summary) {
        final Peer peer = peers.get(from);
        if (peer == null || summary.more()) {
            return;
        }
        // Quiet: everything we hold has reached the peer, or is on its way in an empty heartbeat.
        final boolean quiet = peer.inFlightId < 0
                ? peer.watermark >= store.lastSeq()
                : peer.inFlightEntries == 0 && peer.inFlightUpTo >= store.lastSeq();
        if (!quiet || summary.digest() == store.digest()) {
            peer.mismatches = 0;
            return;
        }
        if (!requested.isEmpty()) {
            return; // values still on their way
        }
        if (++peer.mismatches >= config.mismatchRoundsBeforeFull()) {
            peer.mismatches = 0;
            sendAntiEntropy(from, KvFrames.fullRequest());
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
