package io.navstar.gossip.kv;

import io.navstar.gossip.kv.crdt.CrdtCodec;
import io.navstar.gossip.kv.crdt.Mutation;
import io.navstar.gossip.kv.crdt.MutationContext;
import io.navstar.gossip.kv.crdt.Op;
import io.navstar.gossip.kv.crdt.OrMap;
import io.navstar.gossip.kv.crdt.VersionVector;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Lashup KV store of one node: keys (paths) to {@link OrMap} values, each with a version
 * vector clock, durable in SQLite and replicated by a {@link KvReplicator}.
 *
 * <p>Every request (a local operation, a merge from a peer, a subscription) goes through one
 * bounded queue to one store thread, which applies a batch of them in memory, writes the changed
 * keys in one SQLite transaction (one fsync: group commit), and only then publishes the new values
 * to readers, acknowledges the requests, notifies subscribers and hands local deltas to the
 * replicator. The value size limit applies to local operations; a merge from a peer is never
 * refused for size, since refusing it would keep replicas apart for good. So an acknowledged operation is on disk, readers never see a value that a crash could
 * take back, and a full queue answers {@link KvException.OverloadedException} at once.
 *
 * <p>Thread-safe: requests and reads may come from any thread; reads are lock-free snapshots of
 * committed state. Subscriber callbacks and the commit listener run on the store thread and must
 * not block. An {@linkplain KvConfig#inline() inline} store (simulation only, no disk) has no
 * thread and processes each request on the caller's thread.
 */
public final class KvStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KvStore.class);

    /** What the replicator hears from the store thread after each durable commit; it must not block. */
    interface CommitListener {
        /** A local operation on {@code key}, the {@code seq}-th by this replica, produced {@code delta}. */
        void onLocalCommit(KvKey key, OrMap delta, String origin, long seq);

        /** A commit published changes up to change sequence number {@code lastSeq} (local and remote alike). */
        void onChangesPublished(long lastSeq);
    }

    /** A committed key as the store holds it. {@code seq} orders changes for anti-entropy. */
    record Entry(OrMap value, VersionVector clock, byte[] encodedValue, long seq) {
    }

    /** A value or delta that arrived from a peer. {@code origin} is null for a full state. */
    record RemoteUpdate(KvKey key, OrMap value, VersionVector clock, String origin, long originSeq) {
    }

    /** The keys changed after a sequence number, up to a byte budget. */
    record Changes(List<Map.Entry<KvKey, Entry>> entries, long upToSeq, boolean more) {
    }

    private sealed interface Request permits OpRequest, MergeRequest, SubscribeRequest, Stop {
    }

    /** Wakes the idle store thread at {@link #close}, so it can wait without a timeout. */
    private record Stop() implements Request {
    }

    private static final Stop STOP = new Stop();

    /** A local operation; {@code requestedNanos} ({@link System#nanoTime()}) times it to its acknowledgement. */
    private record OpRequest(KvKey key, VersionVector expected, List<Op> ops, CompletableFuture<Versioned> result,
                             long requestedNanos) implements Request {
    }

    private record MergeRequest(List<RemoteUpdate> updates, CompletableFuture<Map<KvKey, Long>> result) implements Request {
    }

    private record SubscribeRequest(Subscription subscription, CompletableFuture<Subscription> result) implements Request {
    }

    /** A live subscription; close it to stop the events. */
    public final class Subscription implements AutoCloseable {
        private final KvKey prefix;
        private final Consumer<KvEvent> listener;
        private volatile boolean open = true;

        private Subscription(KvKey prefix, Consumer<KvEvent> listener) {
            this.prefix = prefix;
            this.listener = listener;
        }

        void deliver(KvEvent event) {
            if (open && event.key().startsWith(prefix)) {
                try {
                    listener.accept(event);
                } catch (RuntimeException e) {
                    LOG.warn("KV subscriber for {} failed on {}", prefix, event.key(), e);
                }
            }
        }

        @Override
        public void close() {
            open = false;
            subscriptions.remove(this);
        }
    }

    private final KvConfig config;
    private final SqliteStorage storage;
    private final ArrayBlockingQueue<Request> queue;
    private final ConcurrentSkipListMap<KvKey, Entry> committed = new ConcurrentSkipListMap<>();
    private final ConcurrentSkipListMap<Long, KvKey> changes = new ConcurrentSkipListMap<>();
    private final CopyOnWriteArrayList<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private final KvMetrics metrics = new KvMetrics();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long lastSeq;
    private volatile long digest;
    private volatile CommitListener commitListener;
    private long lastTimestamp;

    private KvStore(KvConfig config, SqliteStorage storage) {
        this.config = config;
        this.storage = storage;
        this.queue = new ArrayBlockingQueue<>(config.queueCapacity());
        this.thread = Thread.ofPlatform().name("kv-store-" + config.replicaId()).daemon().unstarted(this::run);
    }

    /** Opens (or creates) the store, loading and verifying every key. */
    public static KvStore open(KvConfig config) {
        final SqliteStorage storage = config.file() == null ? null : SqliteStorage.open(config.file(), config.verifyOnOpen());
        final KvStore store = new KvStore(config, storage);
        if (storage != null) {
            try {
                storage.loadAll(row -> store.publish(row.key(), new Entry(row.value(), row.clock(), row.encodedValue(), 0)));
            } catch (RuntimeException e) {
                storage.close();
                throw e;
            }
        }
        if (!config.inline()) {
            store.thread.start();
        }
        return store;
    }

    public String replicaId() {
        return config.replicaId();
    }

    public KvConfig config() {
        return config;
    }

    public KvMetrics metrics() {
        return metrics;
    }

    void setCommitListener(CommitListener listener) {
        this.commitListener = listener;
    }

    // ---------------------------------------------------------------- the API

    /** Applies {@code ops} to {@code key} durably and returns the new value. */
    public OrMap requestOp(KvKey key, List<Op> ops) {
        return await(requestOpAsync(key, null, ops)).value();
    }

    /**
     * Compare-and-set: applies {@code ops} only if the key's clock still equals
     * {@code expectedClock}, else fails with {@link KvException.ClockMovedException}.
     */
    public OrMap requestOp(KvKey key, VersionVector expectedClock, List<Op> ops) {
        return await(requestOpAsync(key, Objects.requireNonNull(expectedClock, "expectedClock"), ops)).value();
    }

    /**
     * The asynchronous form: completes with the new value and clock once durable, or exceptionally
     * with a {@link KvException}. A null {@code expectedClock} means no compare-and-set.
     */
    public CompletableFuture<Versioned> requestOpAsync(KvKey key, VersionVector expectedClock, List<Op> ops) {
        final CompletableFuture<Versioned> result = new CompletableFuture<>();
        submit(new OpRequest(Objects.requireNonNull(key, "key"), expectedClock, List.copyOf(ops), result,
                System.nanoTime()));
        return result;
    }

    /** The committed value of {@code key}; an empty map when absent. */
    public OrMap value(KvKey key) {
        final Entry e = committed.get(key);
        return e == null ? OrMap.empty() : e.value();
    }

    public Versioned valueWithClock(KvKey key) {
        final Entry e = committed.get(key);
        return e == null ? Versioned.ABSENT : new Versioned(e.value(), e.clock());
    }

    /** The keys under {@code prefix} (the prefix itself included), in order. */
    public List<KvKey> keys(KvKey prefix) {
        final List<KvKey> out = new ArrayList<>();
        for (KvKey key : committed.tailMap(prefix, true).keySet()) {
            if (!key.startsWith(prefix)) {
                break;
            }
            out.add(key);
        }
        return out;
    }

    /**
     * Delivers every existing key under {@code prefix} as a replay event, then every committed
     * change under it, in commit order, on the store thread.
     */
    public Subscription subscribe(KvKey prefix, Consumer<KvEvent> listener) {
        final CompletableFuture<Subscription> result = new CompletableFuture<>();
        submit(new SubscribeRequest(new Subscription(prefix, listener), result));
        return await(result);
    }

    // ---------------------------------------------------------------- for the replicator

    /**
     * Queues updates from a peer. Completes once they are durable, with the keys whose new state is
     * exactly the full state the peer sent (it holds what we now hold) and their change sequence
     * numbers, so that anti-entropy need not summarise them back to that peer.
     */
    CompletableFuture<Map<KvKey, Long>> mergeRemote(List<RemoteUpdate> updates) {
        final CompletableFuture<Map<KvKey, Long>> result = new CompletableFuture<>();
        submit(new MergeRequest(updates, result));
        return result;
    }

    private void submit(Request request) {
        if (!running) {
            fail(request, new KvException.ClosedException(), KvMetrics.OpResult.CLOSED);
        } else if (config.inline()) {
            synchronized (queue) {
                process(List.of(request));
            }
        } else if (!queue.offer(request)) {
            metrics.overloaded.increment();
            fail(request, new KvException.OverloadedException(config.queueCapacity()), KvMetrics.OpResult.OVERLOADED);
        }
    }

    long lastSeq() {
        return lastSeq;
    }

    /**
     * A 64-bit hash of every committed (key, clock) pair, equal on two nodes that hold the same
     * keys with the same clocks; anti-entropy compares it, monitoring may too.
     */
    public long digest() {
        return digest;
    }

    int keyCount() {
        return committed.size();
    }

    /** Committed keys changed after {@code afterSeq}, in change order, at most {@code maxEntries}. */
    Changes changesSince(long afterSeq, int maxEntries) {
        final long upTo = lastSeq;
        final List<Map.Entry<KvKey, Entry>> out = new ArrayList<>();
        for (Map.Entry<Long, KvKey> change : changes.subMap(afterSeq, false, upTo, true).entrySet()) {
            final Entry entry = committed.get(change.getValue());
            if (entry == null || entry.seq() != change.getKey()) {
                continue; // changed again since; it appears later under its new sequence number
            }
            if (out.size() == maxEntries) {
                return new Changes(out, change.getKey() - 1, true);
            }
            out.add(Map.entry(change.getValue(), entry));
        }
        return new Changes(out, upTo, false);
    }

    /** The committed entry of {@code key}, or null. */
    Entry entry(KvKey key) {
        return committed.get(key);
    }

    // ---------------------------------------------------------------- the store thread

    private void run() {
        final List<Request> batch = new ArrayList<>(config.maxBatch());
        while (running) {
            try {
                final Request first = queue.take(); // an idle store never wakes: close() sends STOP
                if (first instanceof Stop) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, config.maxBatch() - 1);
                process(batch);
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException | Error e) {
                LOG.error("KV store thread failed on a batch; failing its requests", e);
                for (Request r : batch) {
                    fail(r, new KvException("internal error: " + e, e), KvMetrics.OpResult.FAILED);
                }
            } finally {
                batch.clear();
            }
        }
        final List<Request> rest = new ArrayList<>();
        queue.drainTo(rest);
        for (Request r : rest) {
            fail(r, new KvException.ClosedException(), KvMetrics.OpResult.CLOSED);
        }
    }

    private void process(List<Request> batch) {
        final Map<KvKey, Entry> pending = new LinkedHashMap<>();
        final List<Runnable> afterCommit = new ArrayList<>();
        final List<Request> durable = new ArrayList<>();
        for (Request request : batch) {
            switch (request) {
                case OpRequest op -> {
                    if (applyLocal(op, pending, afterCommit)) {
                        durable.add(op);
                    }
                }
                case MergeRequest merge -> {
                    final Map<KvKey, Entry> adopted = applyRemote(merge, pending);
                    durable.add(merge);
                    afterCommit.add(() -> merge.result().complete(publishedSeqs(adopted)));
                }
                case Stop stop -> {
                    // close() is under way: what is already queued is still committed
                }
                case SubscribeRequest sub -> {
                    for (Map.Entry<KvKey, Entry> e : committed.tailMap(sub.subscription().prefix, true).entrySet()) {
                        if (!e.getKey().startsWith(sub.subscription().prefix)) {
                            break;
                        }
                        sub.subscription().deliver(new KvEvent(e.getKey(), e.getValue().value(), e.getValue().clock(), true));
                    }
                    subscriptions.add(sub.subscription());
                    sub.result().complete(sub.subscription());
                }
            }
        }
        if (pending.isEmpty()) {
            afterCommit.forEach(Runnable::run);
            return;
        }
        if (storage != null) {
            final List<SqliteStorage.Row> rows = new ArrayList<>(pending.size());
            pending.forEach((key, entry) -> rows.add(new SqliteStorage.Row(
                    key, key.encode(), entry.encodedValue(), CrdtCodec.encodeVector(entry.clock()))));
            try {
                storage.write(rows);
            } catch (SQLException e) {
                final KvException failure = new KvException.StorageException(
                        "could not commit to " + config.file() + ": " + e.getMessage(), e);
                LOG.error("KV commit failed; {} requests fail and nothing of them is applied", durable.size(), e);
                durable.forEach(r -> fail(r, failure, KvMetrics.OpResult.FAILED));
                return;
            }
        }
        metrics.committed(durable.size());
        for (Map.Entry<KvKey, Entry> e : pending.entrySet()) {
            final Entry entry = publish(e.getKey(), e.getValue());
            final KvEvent event = new KvEvent(e.getKey(), entry.value(), entry.clock(), false);
            for (Subscription s : subscriptions) {
                s.deliver(event);
            }
        }
        afterCommit.forEach(Runnable::run);
        final CommitListener listener = commitListener;
        if (listener != null) {
            listener.onChangesPublished(lastSeq);
        }
    }

    private boolean applyLocal(OpRequest op, Map<KvKey, Entry> pending, List<Runnable> afterCommit) {
        final Entry current = pending.getOrDefault(op.key(), committed.get(op.key()));
        final VersionVector clock = current == null ? VersionVector.empty() : current.clock();
        if (op.expected() != null && !op.expected().equals(clock)) {
            metrics.operation(KvMetrics.OpResult.CLOCK_MOVED);
            op.result().completeExceptionally(new KvException.ClockMovedException(op.key(), op.expected(), clock));
            return false;
        }
        OrMap value = current == null ? OrMap.empty() : current.value();
        OrMap delta = OrMap.empty();
        try {
            for (Op o : op.ops()) {
                final Mutation<OrMap> m = value.apply(o, new MutationContext(config.replicaId(), nextTimestamp()));
                value = m.state();
                delta = delta.merge(m.delta());
            }
        } catch (IllegalArgumentException | ArithmeticException | ClassCastException e) {
            metrics.operation(KvMetrics.OpResult.INVALID);
            op.result().completeExceptionally(new KvException.InvalidOperationException(op.key(), e.getMessage()));
            return false;
        }
        final byte[] encoded = CrdtCodec.encode(value);
        if (encoded.length > config.maxValueBytes()) {
            metrics.operation(KvMetrics.OpResult.TOO_LARGE);
            op.result().completeExceptionally(
                    new KvException.ValueTooLargeException(op.key(), encoded.length, config.maxValueBytes()));
            return false;
        }
        final VersionVector nextClock = clock.increment(config.replicaId());
        pending.put(op.key(), new Entry(value, nextClock, encoded, 0));
        final OrMap newValue = value;
        final OrMap finalDelta = delta;
        afterCommit.add(() -> {
            metrics.applied(System.nanoTime() - op.requestedNanos());
            op.result().complete(new Versioned(newValue, nextClock));
            final CommitListener listener = commitListener;
            if (listener != null) {
                listener.onLocalCommit(op.key(), finalDelta, config.replicaId(), nextClock.get(config.replicaId()));
            }
        });
        return true;
    }

    /** Applies a peer's updates to the batch; returns the entries that equal a full state it sent. */
    private Map<KvKey, Entry> applyRemote(MergeRequest merge, Map<KvKey, Entry> pending) {
        Map<KvKey, Entry> adopted = Map.of();
        for (RemoteUpdate u : merge.updates()) {
            final Entry current = pending.getOrDefault(u.key(), committed.get(u.key()));
            final OrMap value = current == null ? OrMap.empty() : current.value();
            final VersionVector clock = current == null ? VersionVector.empty() : current.clock();
            final OrMap nextValue;
            final VersionVector nextClock;
            if (u.origin() != null) {
                final long have = clock.get(u.origin());
                if (have >= u.originSeq()) {
                    metrics.deltasAlreadyKnown.increment();
                    continue;
                }
                nextValue = value.merge(u.value());
                // The clock counts only what is known contiguously; a delta after a gap is merged
                // (deltas are safe in any order) but anti-entropy brings the clock up later.
                nextClock = have == u.originSeq() - 1 ? clock.with(u.origin(), u.originSeq()) : clock;
            } else {
                nextValue = value.merge(u.value());
                nextClock = clock.merge(u.clock());
            }
            if (nextClock.equals(clock) && nextValue.equals(value)) {
                continue;
            }
            final Entry next = new Entry(nextValue, nextClock, CrdtCodec.encode(nextValue), 0);
            pending.put(u.key(), next);
            if (u.origin() == null && nextClock.equals(u.clock()) && nextValue.equals(u.value())) {
                if (adopted.isEmpty()) {
                    adopted = new LinkedHashMap<>();
                }
                adopted.put(u.key(), next);
            }
        }
        return adopted;
    }

    /** The sequence numbers under which adopted entries were published, unless changed again in the batch. */
    private Map<KvKey, Long> publishedSeqs(Map<KvKey, Entry> adopted) {
        if (adopted.isEmpty()) {
            return Map.of();
        }
        final Map<KvKey, Long> out = new LinkedHashMap<>();
        adopted.forEach((key, entry) -> {
            final Entry published = committed.get(key);
            if (published != null && published.value() == entry.value()) {
                out.put(key, published.seq());
            }
        });
        return out;
    }

    /** Publishes a committed entry to readers under a fresh change sequence number. */
    private Entry publish(KvKey key, Entry entry) {
        final long seq = lastSeq + 1;
        final Entry stamped = new Entry(entry.value(), entry.clock(), entry.encodedValue(), seq);
        final Entry old = committed.put(key, stamped);
        long d = digest ^ hash(key, entry.clock());
        if (old != null) {
            changes.remove(old.seq());
            d ^= hash(key, old.clock());
            metrics.bytes.addAndGet(entry.encodedValue().length - old.encodedValue().length);
        } else {
            metrics.keys.incrementAndGet();
            metrics.bytes.addAndGet(entry.encodedValue().length);
        }
        changes.put(seq, key);
        digest = d;
        lastSeq = seq; // volatile write after the maps: a reader that sees seq sees the entry
        return stamped;
    }

    private static long hash(KvKey key, VersionVector clock) {
        long h = key.hashCode() * 0x9E3779B97F4A7C15L + clock.hashCode();
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        return h ^ (h >>> 33);
    }

    private long nextTimestamp() {
        lastTimestamp = Math.max(System.currentTimeMillis() * 1000, lastTimestamp + 1);
        return lastTimestamp;
    }

    /** Fails {@code r} with {@code e}; a local operation is counted with {@code result}. */
    private void fail(Request r, KvException e, KvMetrics.OpResult result) {
        switch (r) {
            case OpRequest op -> {
                metrics.operation(result);
                op.result().completeExceptionally(e);
            }
            case MergeRequest m -> m.result().completeExceptionally(e);
            case SubscribeRequest s -> s.result().completeExceptionally(e);
            case Stop stop -> {
            }
        }
    }

    private static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KvException("interrupted while waiting for the KV store", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof KvException kv) {
                throw kv;
            }
            throw new KvException("KV request failed: " + e.getCause(), e.getCause());
        }
    }

    /** Stops the store thread, fails queued requests and closes the database. */
    @Override
    public void close() {
        if (!running) {
            return;
        }
        running = false;
        try {
            if (!config.inline()) {
                queue.offer(STOP); // a full queue needs no wakeup: the thread sees `running` after its batch
                thread.join(10_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (storage != null) {
            storage.close();
        }
    }
}
