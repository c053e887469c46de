package io.navstar.agent.lb.health;

import java.util.Arrays;

/**
 * Minuteman's passive health rule for tc and xdp modes: a backend whose new flows see no reply within
 * 400 ms five times in a row is skipped (takes no new flow) for 30 s. New flows and first replies come
 * from the data plane's ring buffer; a flow is matched to its reply by (backend, client address, client
 * port, protocol).
 *
 * <p>Allocation-free on the event path: pending flows live in an open-addressing table of primitive
 * arrays. Threading: {@link #onNewFlow}, {@link #onReply} and {@link #sweep} are called by the one event
 * thread; {@link #skipped} and the counters may be read from any thread (volatile/racy reads of longs
 * are acceptable for metrics).
 */
public final class BackendHealth {
    /** The reply deadline of a new flow. */
    public static final long REPLY_TIMEOUT_NANOS = 400_000_000L;
    /** Consecutive unanswered flows that make a backend skipped. */
    public static final int FAILURES_TO_SKIP = 5;
    /** How long a backend is skipped. */
    public static final long SKIP_NANOS = 30_000_000_000L;

    private static final int PROBE_LIMIT = 16;

    private final int capacityMask;
    private final long[] keys;
    private final long[] deadlines;
    private final int[] backends;
    private final int[] consecutiveFailures;
    private final long[] unanswered;
    private final long[] skippedUntil;
    /** The skipped backend ids, so a sweep visits only them (owned by the event thread). */
    private final java.util.BitSet skippedNow = new java.util.BitSet();
    /** Entries in the pending table (event thread only). */
    private int pending;
    /**
     * No pending flow's deadline is earlier than this (event thread only): a lower bound, exact after a scan, lowered
     * by each new flow and left as it is when a reply removes one; a sweep before it has nothing to expire and skips
     * its scan of the whole table, so a sweep costs nothing while replies come in time.
     */
    private long earliestDeadline = Long.MAX_VALUE;
    private volatile long changes;
    private volatile int[] skippedSnapshot = new int[0];

    /**
     * @param maxBackends  backend ids are below this
     * @param pendingSlots capacity of the pending-flow table (rounded up to a power of two)
     */
    public BackendHealth(int maxBackends, int pendingSlots) {
        int capacity = Integer.highestOneBit(Math.max(16, pendingSlots - 1)) << 1;
        this.capacityMask = capacity - 1;
        this.keys = new long[capacity];
        this.deadlines = new long[capacity];
        this.backends = new int[capacity];
        this.consecutiveFailures = new int[maxBackends];
        this.unanswered = new long[maxBackends];
        this.skippedUntil = new long[maxBackends];
        Arrays.fill(backends, -1);
    }

    /** A flow's key; never 0 (0 marks a free slot). */
    public static long flowKey(int backendId, long clientAddressHash, int clientPort, int protocol) {
        long h = clientAddressHash * 0x9E3779B97F4A7C15L;
        h ^= ((long) backendId << 24) ^ ((long) clientPort << 8) ^ protocol;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 32;
        return h == 0 ? 1 : h;
    }

    /** A new flow to backendId at monotonic time nowNanos (bpf_ktime_get_ns). */
    public void onNewFlow(long key, int backendId, long nowNanos) {
        if (backendId < 0 || backendId >= consecutiveFailures.length) {
            return;
        }
        int slot = (int) key & capacityMask;
        for (int i = 0; i < PROBE_LIMIT; i++) {
            int s = (slot + i) & capacityMask;
            if (keys[s] == 0 || keys[s] == key) {
                if (keys[s] == 0) {
                    pending++;
                }
                long deadline = nowNanos + REPLY_TIMEOUT_NANOS;
                keys[s] = key;
                deadlines[s] = deadline;
                backends[s] = backendId;
                earliestDeadline = Math.min(earliestDeadline, deadline);
                return;
            }
        }
        // table crowded: this flow goes unwatched, which can only delay a skip, never cause one
    }

    /** The first reply of a flow. */
    public void onReply(long key, int backendId) {
        if (backendId < 0 || backendId >= consecutiveFailures.length) {
            return;
        }
        consecutiveFailures[backendId] = 0;
        int slot = (int) key & capacityMask;
        for (int i = 0; i < PROBE_LIMIT; i++) {
            int s = (slot + i) & capacityMask;
            if (keys[s] == key) {
                remove(s);
                return;
            }
            if (keys[s] == 0) {
                return;
            }
        }
    }

    /**
     * Expires flows past their deadline and ends skips that ran out. Returns true when the set of skipped
     * backends changed (the caller then re-applies the tables).
     */
    public boolean sweep(long nowNanos) {
        boolean changed = false;
        if (pending > 0 && earliestDeadline <= nowNanos) {
            changed = expire(nowNanos);
        }
        for (int b = skippedNow.nextSetBit(0); b >= 0; b = skippedNow.nextSetBit(b + 1)) {
            if (skippedUntil[b] <= nowNanos) {
                skippedUntil[b] = 0;
                skippedNow.clear(b);
                changed = true;
            }
        }
        if (changed) {
            changes++;
            skippedSnapshot = skippedNow.stream().toArray(); // published for other threads (volatile write)
        }
        return changed;
    }

    /** Removes the flows past their deadline, counts them against their backends, and finds the next deadline. */
    private boolean expire(long nowNanos) {
        boolean changed = false;
        long earliest = Long.MAX_VALUE;
        for (int s = 0; s <= capacityMask; s++) {
            if (keys[s] != 0 && deadlines[s] > nowNanos) {
                earliest = Math.min(earliest, deadlines[s]);
            } else if (keys[s] != 0) {
                int b = backends[s];
                remove(s);
                unanswered[b]++;
                if (++consecutiveFailures[b] >= FAILURES_TO_SKIP && skippedUntil[b] <= nowNanos) {
                    skippedUntil[b] = nowNanos + SKIP_NANOS;
                    skippedNow.set(b);
                    consecutiveFailures[b] = 0;
                    changed = true;
                }
                s--; // the slot now holds a shifted entry, or is free
            }
        }
        earliestDeadline = earliest;
        return changed;
    }

    /** Flows waiting for their first reply. */
    int pending() {
        return pending;
    }

    /** True while backendId is skipped. */
    public boolean skipped(int backendId, long nowNanos) {
        return backendId >= 0 && backendId < skippedUntil.length && skippedUntil[backendId] > nowNanos;
    }

    /** The backend ids skipped as of the last sweep; safe from any thread. */
    public int[] skippedIds() {
        return skippedSnapshot.clone();
    }

    /** New flows of backendId that saw no reply in time, ever. */
    public long unanswered(int backendId) {
        return backendId >= 0 && backendId < unanswered.length ? unanswered[backendId] : 0;
    }

    /** Forgets a backend id's history (the id is being reused). */
    public void reset(int backendId) {
        consecutiveFailures[backendId] = 0;
        unanswered[backendId] = 0;
        skippedUntil[backendId] = 0;
        skippedNow.clear(backendId);
    }

    /** Backward-shift deletion keeps probe chains intact (Knuth, TAOCP vol. 3, 6.4 Algorithm R). */
    private void remove(int slot) {
        int hole = slot;
        int s = (slot + 1) & capacityMask;
        while (keys[s] != 0) {
            int home = (int) keys[s] & capacityMask;
            boolean movable = hole <= s ? (home <= hole || home > s) : (home <= hole && home > s);
            if (movable) {
                keys[hole] = keys[s];
                deadlines[hole] = deadlines[s];
                backends[hole] = backends[s];
                hole = s;
            }
            s = (s + 1) & capacityMask;
        }
        keys[hole] = 0;
        backends[hole] = -1;
        if (--pending == 0) {
            earliestDeadline = Long.MAX_VALUE;
        }
    }
}
