package io.navstar.agent.lb.health;

import io.navstar.agent.lb.kernel.LbCounters;

import java.util.Arrays;
import java.util.BitSet;

/**
 * Minuteman's passive health rule for tc and xdp modes: a backend whose new flows see no reply within 400 ms five
 * times in a row is skipped (takes no new flow) for 30 s. It is judged from two of each backend's kernel counters,
 * sampled every {@link #SAMPLE_NANOS}: new_flows, and replied_flows, which the data plane adds one to at each
 * flow's first reply (struct lb_stats). Counters cannot tell which flow a reply answered, so the rule counts only
 * what they prove:
 * <ul>
 *   <li>When a backend's replied count rises, its baseline becomes its new-flow count of that sample: flows up to
 *   then may have been answered (a reply resets the run).</li>
 *   <li>Flows past the baseline that are at least {@link #REPLY_TIMEOUT_NANOS} old (the new-flow count of the
 *   newest sample taken that long before) saw no reply in time if the replied count has not risen since: when
 *   there are {@link #FAILURES_TO_SKIP} of them, the backend is skipped for {@link #SKIP_NANOS}, after which the
 *   baseline moves to the count of the moment and new flows try the backend again.</li>
 * </ul>
 * A flow still in flight when the last reply came is never counted against its backend, so a skip can come a few
 * flows later than by per-flow matching, never sooner: five flows answered at once and none after are not five
 * failures. A backend id given to another backend has its counters zeroed by the reconciler; a counter that falls
 * starts the id afresh.
 *
 * <p>{@link #unanswered} is an estimate for metrics, a lower bound: the most that the new flows at least 400 ms old
 * have ever exceeded every reply counted by then.
 *
 * <p>Threading: {@link #sample} is called by one thread (the sampler's); {@link #skipped}, {@link #skippedIds},
 * {@link #unanswered} and {@link #sampledNewFlows} may be read from any thread (racy reads of whole longs, acceptable
 * for metrics; {@link #skippedIds} is published with a volatile write).
 */
public final class BackendHealth {
    /** The reply deadline of a new flow. */
    public static final long REPLY_TIMEOUT_NANOS = 400_000_000L;
    /** Consecutive unanswered flows that make a backend skipped. */
    public static final int FAILURES_TO_SKIP = 5;
    /** How long a backend is skipped. */
    public static final long SKIP_NANOS = 30_000_000_000L;
    /** How often the counters are to be sampled. */
    public static final long SAMPLE_NANOS = 50_000_000L;
    /**
     * Samples of each backend's new-flow count kept: twice the samples of one reply timeout, so one at least that old
     * is always held while samples come no closer than {@link #SAMPLE_NANOS} apart (closer, nothing is judged until
     * one is that old: never a flow too young).
     */
    static final int HISTORY = (int) (2 * REPLY_TIMEOUT_NANOS / SAMPLE_NANOS);
    /** {@link #lastNewFlows} of an id not sampled yet. */
    private static final long UNSEEN = -1;

    private final int maxBackends;
    /** When each sample of the history ring was read (the end of its read), and the ring's newest slot. */
    private final long[] sampleTimes = new long[HISTORY];
    private int newest = -1;
    private int samplesTaken;
    /** Per backend id, grown to the highest id sampled: the history ring of new-flow counts, HISTORY per id. */
    private long[] newFlowHistory = new long[0];
    private long[] lastNewFlows = new long[0];
    private long[] lastRepliedFlows = new long[0];
    private long[] baseline = new long[0];
    /** System.nanoTime at which a skip ends; 0 when not skipped. */
    private volatile long[] skippedUntil = new long[0];
    private volatile long[] unanswered = new long[0];
    private volatile long[] sampledNewFlows = new long[0];
    /** The skipped backend ids (the sampler's own). */
    private final BitSet skippedNow = new BitSet();
    private volatile int[] skippedSnapshot = new int[0];

    /** @param maxBackends backend ids are below this */
    public BackendHealth(int maxBackends) {
        this.maxBackends = maxBackends;
    }

    /** {@link #sample(long, long, long[], int)} with a read taken in no time (tests on a simulated clock). */
    public boolean sample(long nowNanos, long[] totals, int idsBelow) {
        return sample(nowNanos, nowNanos, totals, idsBelow);
    }

    /**
     * Takes one reading of the counters of backend ids 0 .. idsBelow-1 ({@code totals}: {@link LbCounters#FIELDS}
     * longs per id, as {@link LbCounters#backendsBelow} gives them), read between readStartNanos and readEndNanos
     * (System.nanoTime). A sample's new-flow counts are dated by the end of its read (no flow they count started
     * later); flows are judged at the start of the read (every reply counted in this reading came before). Returns
     * true when the set of skipped backends changed (the caller then re-applies the tables).
     */
    public boolean sample(long readStartNanos, long readEndNanos, long[] totals, int idsBelow) {
        int ids = Math.min(Math.min(idsBelow, maxBackends), totals.length / LbCounters.FIELDS);
        ensureCapacity(ids);
        int slot = (newest + 1) % HISTORY;
        int old = timedOutSample(slot, readStartNanos - REPLY_TIMEOUT_NANOS);
        sampleTimes[slot] = readEndNanos;
        newest = slot;
        samplesTaken++;
        long[] skipEnds = skippedUntil;
        long[] estimates = unanswered;
        long[] sampled = sampledNewFlows;
        boolean changed = false;
        for (int id = 0; id < ids; id++) {
            long newFlows = totals[id * LbCounters.FIELDS + 2];
            long replied = totals[id * LbCounters.FIELDS + 3];
            if (lastNewFlows[id] == UNSEEN || newFlows < lastNewFlows[id] || replied < lastRepliedFlows[id]) {
                changed |= restart(id, newFlows, replied);
                sampled[id] = newFlows;
                continue;
            }
            newFlowHistory[id * HISTORY + slot] = newFlows;
            lastNewFlows[id] = newFlows;
            sampled[id] = newFlows;
            if (replied > lastRepliedFlows[id]) {
                lastRepliedFlows[id] = replied;
                baseline[id] = newFlows;
            }
            if (old < 0) {
                continue; // no sample is a reply timeout old yet
            }
            long timedOut = newFlowHistory[id * HISTORY + old];
            estimates[id] = Math.max(estimates[id], timedOut - replied);
            if (skipEnds[id] != 0) {
                if (skipEnds[id] <= readEndNanos) {
                    skipEnds[id] = 0;
                    skippedNow.clear(id);
                    baseline[id] = newFlows;
                    changed = true;
                }
            } else if (timedOut - baseline[id] >= FAILURES_TO_SKIP) {
                skipEnds[id] = readEndNanos + SKIP_NANOS;
                skippedNow.set(id);
                changed = true;
            }
        }
        // skips of ids no longer read (above the highest in use) still end
        for (int id = skippedNow.nextSetBit(ids); id >= 0; id = skippedNow.nextSetBit(id + 1)) {
            if (skipEnds[id] <= readEndNanos) {
                skipEnds[id] = 0;
                skippedNow.clear(id);
                changed = true;
            }
        }
        if (changed) {
            skippedSnapshot = skippedNow.stream().toArray(); // published for other threads (volatile write)
        }
        return changed;
    }

    /** The slot of the newest sample read by {@code notAfter} (before the one about to go in {@code slot}), or -1. */
    private int timedOutSample(int slot, long notAfter) {
        for (int back = 1; back < HISTORY && back <= samplesTaken; back++) {
            int s = Math.floorMod(slot - back, HISTORY);
            if (sampleTimes[s] <= notAfter) {
                return s;
            }
        }
        return -1;
    }

    /** Forgets an id's history: first seen, or its counters fell (the id was given to another backend). */
    private boolean restart(int id, long newFlows, long replied) {
        Arrays.fill(newFlowHistory, id * HISTORY, (id + 1) * HISTORY, newFlows);
        boolean wasSeen = lastNewFlows[id] != UNSEEN;
        lastNewFlows[id] = newFlows;
        lastRepliedFlows[id] = replied;
        baseline[id] = newFlows;
        if (wasSeen) {
            unanswered[id] = 0;
        }
        if (skippedUntil[id] != 0) {
            skippedUntil[id] = 0;
            skippedNow.clear(id);
            return true;
        }
        return false;
    }

    private void ensureCapacity(int ids) {
        int capacity = lastNewFlows.length;
        if (ids <= capacity) {
            return;
        }
        int grown = Math.min(maxBackends, Math.max(ids, Math.max(16, capacity * 2)));
        newFlowHistory = Arrays.copyOf(newFlowHistory, grown * HISTORY);
        lastNewFlows = Arrays.copyOf(lastNewFlows, grown);
        Arrays.fill(lastNewFlows, capacity, grown, UNSEEN);
        lastRepliedFlows = Arrays.copyOf(lastRepliedFlows, grown);
        baseline = Arrays.copyOf(baseline, grown);
        // other threads read these: each new array is complete before its volatile write publishes it
        skippedUntil = Arrays.copyOf(skippedUntil, grown);
        unanswered = Arrays.copyOf(unanswered, grown);
        sampledNewFlows = Arrays.copyOf(sampledNewFlows, grown);
    }

    /** True while backendId is skipped. */
    public boolean skipped(int backendId, long nowNanos) {
        long[] ends = skippedUntil;
        return backendId >= 0 && backendId < ends.length && ends[backendId] > nowNanos;
    }

    /** The backend ids skipped as of the last sample; safe from any thread. */
    public int[] skippedIds() {
        return skippedSnapshot.clone();
    }

    /** An estimate (a lower bound) of the new flows of backendId that saw no reply in time. */
    public long unanswered(int backendId) {
        long[] estimates = unanswered;
        return backendId >= 0 && backendId < estimates.length ? estimates[backendId] : 0;
    }

    /** The new-flow count of backendId as the last sample read it (0 before the first). */
    public long sampledNewFlows(int backendId) {
        long[] sampled = sampledNewFlows;
        return backendId >= 0 && backendId < sampled.length ? sampled[backendId] : 0;
    }
}
