package io.navstar.gossip.metrics;

import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of values by fixed buckets, with their sum: the raw form of a Prometheus classic histogram, kept by
 * the part that measures and read by the agent's exporter at scrape time. Bucket {@code i} counts values at
 * most {@code upperBound(i)} and above the bound before it; the last bound is {@link Long#MAX_VALUE}.
 *
 * <p>Thread-safe: {@link #record} is lock-free and allocates nothing ({@link LongAdder} cells spread contention);
 * readers see each count atomically, not all of them as one instant.
 */
public final class BucketHistogram {
    private final long[] upperBounds;
    private final LongAdder[] counts;
    private final LongAdder sum = new LongAdder();

    /** @param upperBounds increasing inclusive upper bounds; {@link Long#MAX_VALUE} is added when missing */
    public BucketHistogram(long... upperBounds) {
        if (upperBounds.length == 0 || upperBounds[upperBounds.length - 1] != Long.MAX_VALUE) {
            upperBounds = Arrays.copyOf(upperBounds, upperBounds.length + 1);
            upperBounds[upperBounds.length - 1] = Long.MAX_VALUE;
        }
        for (int i = 1; i < upperBounds.length; i++) {
            if (upperBounds[i] <= upperBounds[i - 1]) {
                throw new IllegalArgumentException("bucket bounds must increase: " + Arrays.toString(upperBounds));
            }
        }
        this.upperBounds = upperBounds.clone();
        this.counts = new LongAdder[upperBounds.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    /** Counts one value. */
    public void record(long value) {
        int bucket = 0;
        while (value > upperBounds[bucket]) {
            bucket++;
        }
        counts[bucket].increment();
        sum.add(value);
    }

    /** Buckets, the last one unbounded. */
    public int buckets() {
        return upperBounds.length;
    }

    /** The inclusive upper bound of bucket {@code i}; {@link Long#MAX_VALUE} for the last. */
    public long upperBound(int i) {
        return upperBounds[i];
    }

    /** Values in bucket {@code i} alone (not cumulative). */
    public long count(int i) {
        return counts[i].sum();
    }

    /** Values recorded. */
    public long count() {
        long total = 0;
        for (LongAdder c : counts) {
            total += c.sum();
        }
        return total;
    }

    /** The sum of the values recorded. */
    public long sum() {
        return sum.sum();
    }
}
