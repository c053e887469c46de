package io.navstar.gossip.kv;

/**
 * When the store's recent changes were committed, for replication lag: a bounded, ordered list of stamps, each
 * saying "the changes from this sequence number on (up to the next stamp's) were committed by this time". Stamps
 * are kept only while some neighbour has not confirmed their changes. When more than {@code capacity} would be
 * needed (a neighbour silent for hours under steady writes), the stamps coarsen to a grain of the span they cover
 * over half the capacity: the oldest stays exact, a new stamp closer than the grain to the newest joins it, and so
 * does a stamp closer than the grain to the one kept before it when they coarsen. A change may thus be reported older
 * than it is by less than two grains, never younger.
 *
 * <p>Confined to the replicator's thread; allocates nothing after construction.
 */
final class CommitStamps {

    /** {@link #committedAt} of a change older than every stamp kept. */
    static final long BEFORE_OLDEST = Long.MIN_VALUE;

    // A ring: the i-th stamp from the oldest is at (head + i) % capacity.
    private final long[] firstSeqs;
    private final long[] nanos;
    private int head;
    private int size;
    private long lastSeq;
    /** A new stamp closer than this to the newest joins it; 0 until first full, narrowed as stamps are forgotten. */
    private long grainNanos;

    /** Room for {@code capacity} stamps (at least 4). */
    CommitStamps(int capacity) {
        if (capacity < 4) {
            throw new IllegalArgumentException("capacity must be at least 4: " + capacity);
        }
        firstSeqs = new long[capacity];
        nanos = new long[capacity];
    }

    /** The changes after {@link #lastSeq()} up to {@code upToSeq} were committed by {@code nowNanos}. */
    void stamp(long upToSeq, long nowNanos) {
        if (upToSeq <= lastSeq) {
            return;
        }
        if (size == 0 || nowNanos - nanos[index(size - 1)] >= Math.max(1, grainNanos)) {
            if (size == firstSeqs.length) {
                coarsen();
            }
            firstSeqs[index(size)] = lastSeq + 1;
            nanos[index(size)] = nowNanos;
            size++;
        }
        lastSeq = upToSeq;
    }

    /** The last change sequence number stamped. */
    long lastSeq() {
        return lastSeq;
    }

    /** Stamps kept. */
    int size() {
        return size;
    }

    /**
     * When change {@code seq} (at most {@link #lastSeq()}) was committed: the time of the stamp covering it, or
     * {@link #BEFORE_OLDEST} when it is older than every stamp kept.
     */
    long committedAt(long seq) {
        int low = 0;
        int high = size - 1;
        int found = -1;
        while (low <= high) { // the last stamp whose first sequence number is at most seq
            final int mid = (low + high) >>> 1;
            if (firstSeqs[index(mid)] <= seq) {
                found = mid;
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
        return found < 0 ? BEFORE_OLDEST : nanos[index(found)];
    }

    /** Drops the stamps that cover only changes up to {@code seq}: every neighbour has confirmed them. */
    void forgetUpTo(long seq) {
        while (size > 0) {
            final long nextFirst = size > 1 ? firstSeqs[index(1)] : lastSeq + 1;
            if (nextFirst > seq + 1) {
                return;
            }
            head = index(1);
            size--;
            grainNanos = Math.min(grainNanos, grainFor(size)); // a shorter span needs no coarser grain
        }
    }

    /**
     * Widens the grain to fit the stamps in half the capacity and keeps the oldest, then each one at least a grain
     * after the last kept; a stamp dropped leaves its changes to the one before it.
     */
    private void coarsen() {
        grainNanos = Math.max(grainNanos, grainFor(size));
        int kept = 1;
        for (int i = 1; i < size; i++) {
            if (nanos[index(i)] - nanos[index(kept - 1)] >= grainNanos) {
                firstSeqs[index(kept)] = firstSeqs[index(i)];
                nanos[index(kept)] = nanos[index(i)];
                kept++;
            }
        }
        size = kept;
    }

    /** The grain at which the oldest {@code stamps} kept span at most half the capacity's stamps (rounded up). */
    private long grainFor(int stamps) {
        if (stamps <= 1) {
            return 0;
        }
        final long span = nanos[index(stamps - 1)] - nanos[index(0)];
        final long half = firstSeqs.length / 2;
        return (span + half - 1) / half;
    }

    private int index(int fromOldest) {
        return (head + fromOldest) % firstSeqs.length;
    }
}
