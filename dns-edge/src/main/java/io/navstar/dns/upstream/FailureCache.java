package io.navstar.dns.upstream;

import io.navstar.dns.cache.CacheKey;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The resolution failures of one upstream, by question (RFC 9520 §3.2): while a failure is cached the
 * upstream is not asked that question again. The first failure is cached for 1 s, each failure of a
 * retry after the backoff ended doubles it, up to 5 minutes; an answer clears it. Failures reported
 * while the backoff runs (other queries that were already in flight) do not lengthen it. A streak
 * whose backoff ended more than {@link #MAX_BACKOFF_NANOS} ago is forgotten.
 *
 * <p>Bounded by entries: an insert past the bound samples a few entries from a rotating iterator and
 * drops the first whose backoff has ended, else the sampled one whose backoff ends soonest (the same
 * sampled eviction as {@link io.navstar.dns.cache.AnswerCache}).
 *
 * <p>Shared by every event loop: lookups are a lock-free {@link ConcurrentHashMap#get} with the
 * query's key (no allocation), updates are atomic per key ({@code compute}), eviction takes a lock.
 * Time comes in as {@code nowNanos} ({@link System#nanoTime()} scale) so tests drive the clock.
 */
public final class FailureCache {
    /** RFC 9520 §3.2: resolution failures MUST be cached for at least 1 second. */
    public static final long MIN_BACKOFF_NANOS = 1_000_000_000L;
    /** RFC 9520 §3.2 (after RFC 2308 §7.1): never cached for longer than 5 minutes. */
    public static final long MAX_BACKOFF_NANOS = 300_000_000_000L;
    /** Entries per upstream by default: a few MiB at most, whatever names clients make fail. */
    public static final int DEFAULT_MAX_ENTRIES = 10_000;
    /** Entries examined per eviction (as {@code AnswerCache}). */
    private static final int EVICTION_SAMPLES = 5;

    /**
     * One question's failure streak.
     *
     * @param streak failures in a row, each seen after the previous backoff ended
     * @param retryAtNanos when the upstream may be asked this question again
     */
    private record Failure(int streak, long retryAtNanos) {
        boolean backingOff(long nowNanos) {
            return nowNanos - retryAtNanos < 0;
        }

        /** The backoff ended so long ago that a new failure starts a new streak. */
        boolean forgotten(long nowNanos) {
            return nowNanos - retryAtNanos > MAX_BACKOFF_NANOS;
        }
    }

    private final ConcurrentHashMap<CacheKey, Failure> map = new ConcurrentHashMap<>();
    private final int maxEntries;
    private final ReentrantLock evictionLock = new ReentrantLock();
    private Iterator<Map.Entry<CacheKey, Failure>> evictionCursor; // guarded by evictionLock
    private final LongAdder evictions = new LongAdder();

    /** @param maxEntries most questions held; past it the oldest or expired are evicted */
    public FailureCache(int maxEntries) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be positive: " + maxEntries);
        }
        this.maxEntries = maxEntries;
    }

    /** Backoff after {@code streak} failures in a row: 1 s doubled per further failure, at most 5 min. */
    static long backoffNanos(int streak) {
        int doublings = Math.min(streak - 1, 30);
        return Math.min(MIN_BACKOFF_NANOS << doublings, MAX_BACKOFF_NANOS);
    }

    /** Whether a failure for {@code question} is cached at {@code nowNanos}: do not ask. */
    public boolean backingOff(CacheKey question, long nowNanos) {
        Failure f = map.get(question);
        return f != null && f.backingOff(nowNanos);
    }

    /**
     * Records that {@code question} failed at {@code nowNanos} (SERVFAIL, REFUSED or another error
     * code, an unusable answer, a timeout, an unreachable upstream: RFC 9520 §2).
     *
     * @param question an immutable key (stored as given)
     */
    public void recordFailure(CacheKey question, long nowNanos) {
        Failure stored = map.compute(question, (k, f) -> {
            if (f == null || f.forgotten(nowNanos)) {
                return new Failure(1, nowNanos + MIN_BACKOFF_NANOS);
            }
            if (f.backingOff(nowNanos)) {
                return f; // a query already in flight when the backoff began: the same failure
            }
            int streak = f.streak() + 1;
            return new Failure(streak, nowNanos + backoffNanos(streak));
        });
        if (stored.streak() == 1 && map.size() > maxEntries) {
            evict(nowNanos);
        }
    }

    /** An answer for {@code question} came: the next failure starts from 1 s again. */
    public void recordSuccess(CacheKey question) {
        if (!map.isEmpty()) {
            map.remove(question);
        }
    }

    /** When {@code question} may be asked again, or 0 when no failure is held (tests, metrics). */
    public long retryAtNanos(CacheKey question) {
        Failure f = map.get(question);
        return f == null ? 0 : f.retryAtNanos();
    }

    private void evict(long nowNanos) {
        evictionLock.lock();
        try {
            int guard = 0;
            while (map.size() > maxEntries && guard++ < 1_000) {
                Map.Entry<CacheKey, Failure> victim = null;
                for (int i = 0; i < EVICTION_SAMPLES; i++) {
                    if (evictionCursor == null || !evictionCursor.hasNext()) {
                        evictionCursor = map.entrySet().iterator();
                        if (!evictionCursor.hasNext()) {
                            return;
                        }
                    }
                    Map.Entry<CacheKey, Failure> candidate = evictionCursor.next();
                    if (!candidate.getValue().backingOff(nowNanos)) {
                        victim = candidate;
                        break;
                    }
                    if (victim == null || candidate.getValue().retryAtNanos() - victim.getValue().retryAtNanos() < 0) {
                        victim = candidate;
                    }
                }
                if (victim != null && map.remove(victim.getKey(), victim.getValue())) {
                    evictions.increment();
                }
            }
        } finally {
            evictionLock.unlock();
        }
    }

    /** Questions held, in backoff or remembered for their streak. */
    public int size() {
        return map.size();
    }

    /** Entries dropped to stay within the bound. */
    public long evictions() {
        return evictions.sum();
    }
}
