package io.navstar.dns.upstream;

import io.navstar.dns.cache.CacheKey;
import io.navstar.dns.wire.Names;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The per-upstream cache of resolution failures (RFC 9520 §3.2), driven by an explicit clock. */
class FailureCacheTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long MS = 1_000_000L;
    /** An arbitrary start on the nanoTime scale, near the wrap to show the arithmetic does not care. */
    private static final long T0 = Long.MAX_VALUE - 1_000 * SECOND;

    /** An immutable key for {@code name}, type A, class IN. */
    static CacheKey question(String name) {
        byte[] wire = Names.toWire(name);
        return CacheKey.probe().set(wire, wire.length, Names.hash(wire, 0, wire.length), 1, 1).copy();
    }

    @Test
    void cachesFirstFailureForOneSecond() {
        FailureCache cache = new FailureCache(100);
        CacheKey q = question("down.example");
        assertFalse(cache.backingOff(q, T0));
        cache.recordFailure(q, T0);
        assertTrue(cache.backingOff(q, T0));
        assertTrue(cache.backingOff(q, T0 + 999 * MS), "RFC 9520 §3.2: at least 1 s");
        assertFalse(cache.backingOff(q, T0 + SECOND), "asked again once the second is over");
        assertFalse(cache.backingOff(question("other.example"), T0), "per question");
    }

    @Test
    void doublesBackoffOnEachFailedRetryUpToFiveMinutes() {
        FailureCache cache = new FailureCache(100);
        CacheKey q = question("down.example");
        long now = T0;
        long[] expectedSeconds = {1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300};
        for (long expected : expectedSeconds) {
            cache.recordFailure(q, now);
            long backoff = cache.retryAtNanos(q) - now;
            assertEquals(expected * SECOND, backoff, "failure " + expected);
            assertTrue(cache.backingOff(q, now + backoff - 1));
            now += backoff; // the retry after the backoff fails again
        }
        for (int i = 0; i < 100; i++) {
            cache.recordFailure(q, now);
            now = cache.retryAtNanos(q);
        }
        cache.recordFailure(q, now);
        assertEquals(FailureCache.MAX_BACKOFF_NANOS, cache.retryAtNanos(q) - now, "capped, no overflow");
    }

    @Test
    void failuresReportedDuringBackoffDoNotLengthenIt() {
        FailureCache cache = new FailureCache(100);
        CacheKey q = question("down.example");
        cache.recordFailure(q, T0);
        cache.recordFailure(q, T0 + 10 * MS); // queries that were in flight when the first failed
        cache.recordFailure(q, T0 + 500 * MS);
        assertEquals(T0 + SECOND, cache.retryAtNanos(q));
        cache.recordFailure(q, T0 + SECOND);
        assertEquals(T0 + 3 * SECOND, cache.retryAtNanos(q), "the retry failed: 2 s");
    }

    @Test
    void successClearsBackoff() {
        FailureCache cache = new FailureCache(100);
        CacheKey q = question("flaky.example");
        long now = T0;
        for (int i = 0; i < 5; i++) {
            cache.recordFailure(q, now);
            now = cache.retryAtNanos(q) - SECOND; // an answer comes while the fifth (16 s) runs
        }
        assertTrue(cache.backingOff(q, now));
        cache.recordSuccess(q);
        assertFalse(cache.backingOff(q, now));
        assertEquals(0, cache.size());
        cache.recordFailure(q, now);
        assertEquals(SECOND, cache.retryAtNanos(q) - now, "a new streak after an answer");
    }

    @Test
    void forgetsStreakLongAfterItsBackoffEnded() {
        FailureCache cache = new FailureCache(100);
        CacheKey q = question("down.example");
        cache.recordFailure(q, T0);
        cache.recordFailure(q, T0 + SECOND);
        assertEquals(T0 + 3 * SECOND, cache.retryAtNanos(q));
        long muchLater = T0 + 3 * SECOND + FailureCache.MAX_BACKOFF_NANOS + 1;
        cache.recordFailure(q, muchLater);
        assertEquals(SECOND, cache.retryAtNanos(q) - muchLater);
    }

    @Test
    void staysWithinBoundUnderFloodOfFailingNames() {
        FailureCache cache = new FailureCache(100);
        for (int i = 0; i < 10_000; i++) {
            cache.recordFailure(question("n" + i + ".down.example"), T0 + i * MS);
            assertTrue(cache.size() <= 100, "bounded at " + i + ": " + cache.size());
        }
        assertEquals(9_900, cache.evictions());
    }

    @Test
    void evictsExpiredFailuresBeforeOnesStillBackingOff() {
        FailureCache cache = new FailureCache(100);
        for (int i = 0; i < 100; i++) {
            cache.recordFailure(question("old" + i + ".example"), T0);
        }
        long later = T0 + 2 * SECOND; // every old failure's backoff is over
        for (int i = 0; i < 100; i++) {
            cache.recordFailure(question("new" + i + ".example"), later);
        }
        assertEquals(100, cache.size());
        int kept = 0;
        for (int i = 0; i < 100; i++) {
            if (cache.backingOff(question("new" + i + ".example"), later)) {
                kept++;
            }
        }
        assertTrue(kept >= 90, "expired entries go first: " + kept + " of 100 new failures kept");
    }
}
