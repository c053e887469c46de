package io.navstar.gossip.kv;

import io.navstar.gossip.metrics.BucketHistogram;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one KV node: state size, local operations by result and their latency, the size of each group
 * commit, deltas and anti-entropy traffic; read one by one by the agent's Prometheus exporter at scrape time.
 *
 * <p>Written by the store thread, the replicator and callers refused at once; read by anyone. Each value is
 * individually atomic; counting is lock-free and allocates nothing.
 */
public final class KvMetrics {

    /** How a local operation ended. */
    public enum OpResult {
        /** Durable and acknowledged. */
        APPLIED,
        /** A compare-and-set whose expected clock no longer held. */
        CLOCK_MOVED,
        /** An operation that does not fit the value's type. */
        INVALID,
        /** The new value would exceed the size limit. */
        TOO_LARGE,
        /** Refused at once: the store's queue was full. */
        OVERLOADED,
        /** The commit failed (storage error) or the store thread failed on its batch. */
        FAILED,
        /** The store was closed first. */
        CLOSED
    }

    /** Upper bounds, in nanoseconds, of the operation latency buckets: 100 us to 5 s, then unbounded. */
    private static final long[] LATENCY_BUCKETS_NANOS = {100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000,
        10_000_000, 25_000_000, 50_000_000, 100_000_000, 250_000_000, 500_000_000, 1_000_000_000, 5_000_000_000L};
    /** Upper bounds of the requests-per-commit buckets: powers of two up to 1024. */
    private static final long[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

    final AtomicLong keys = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    private final LongAdder[] operations = new LongAdder[OpResult.values().length];
    private final BucketHistogram operationLatency = new BucketHistogram(LATENCY_BUCKETS_NANOS);
    private final BucketHistogram commitBatches = new BucketHistogram(BATCH_BUCKETS);
    final LongAdder overloaded = new LongAdder();
    final LongAdder deltasSent = new LongAdder();
    final LongAdder deltasReceived = new LongAdder();
    final LongAdder deltasAlreadyKnown = new LongAdder();
    final LongAdder antiEntropyRounds = new LongAdder();
    final LongAdder antiEntropyBytesSent = new LongAdder();
    final LongAdder antiEntropyBytesReceived = new LongAdder();
    final LongAdder antiEntropyKeysSent = new LongAdder();
    final LongAdder fullExchanges = new LongAdder();
    final LongAdder corruptFrames = new LongAdder();

    KvMetrics() {
        for (int i = 0; i < operations.length; i++) {
            operations[i] = new LongAdder();
        }
    }

    /** A local operation ended with {@code result}. */
    void operation(OpResult result) {
        operations[result.ordinal()].increment();
    }

    /** A local operation was acknowledged {@code nanos} after it was requested. */
    void applied(long nanos) {
        operations[OpResult.APPLIED.ordinal()].increment();
        operationLatency.record(nanos);
    }

    /** One durable commit (one fsync) acknowledged {@code requests} requests. */
    void committed(int requests) {
        commitBatches.record(requests);
    }

    public long keys() { return keys.get(); }
    /** Sum of the encoded sizes of all values. */
    public long bytes() { return bytes.get(); }
    /** Local operations that ended with {@code result}. */
    public long operations(OpResult result) { return operations[result.ordinal()].sum(); }
    /** Local operations applied. */
    public long operations() { return operations(OpResult.APPLIED); }
    /** Nanoseconds from request to durable acknowledgement of each applied local operation. */
    public BucketHistogram operationLatency() { return operationLatency; }
    /** Requests acknowledged by each durable commit (group commit: several per fsync). */
    public BucketHistogram commitBatches() { return commitBatches; }
    /** Requests of any kind (operations, merges, subscriptions) refused because the queue was full. */
    public long overloaded() { return overloaded.sum(); }
    /** Durable commits (fsyncs); with group commit, fewer than committed requests. */
    public long commits() { return commitBatches.count(); }
    public long committedRequests() { return commitBatches.sum(); }
    public long deltasSent() { return deltasSent.sum(); }
    public long deltasReceived() { return deltasReceived.sum(); }
    public long deltasAlreadyKnown() { return deltasAlreadyKnown.sum(); }
    public long antiEntropyRounds() { return antiEntropyRounds.sum(); }
    public long antiEntropyBytesSent() { return antiEntropyBytesSent.sum(); }
    public long antiEntropyBytesReceived() { return antiEntropyBytesReceived.sum(); }
    public long antiEntropyKeysSent() { return antiEntropyKeysSent.sum(); }
    public long fullExchanges() { return fullExchanges.sum(); }
    public long corruptFrames() { return corruptFrames.sum(); }

    @Override
    public String toString() {
        return "KvMetrics{keys=" + keys() + ", bytes=" + bytes() + ", applied=" + operations() + ", commits=" + commits()
                + ", deltasSent=" + deltasSent() + ", deltasReceived=" + deltasReceived() + ", antiEntropyKeysSent="
                + antiEntropyKeysSent() + ", fullExchanges=" + fullExchanges() + "}";
    }
}
