package io.navstar.dns.cache;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The cache of forwarded answers shared by all event loops, bounded by entries and by estimated
 * heap bytes. Lookups are a {@link ConcurrentHashMap#get} with a per-loop probe key: lock-free and
 * allocation-free. Eviction is sampled approximate LRU (as Redis does): when an insert crosses a
 * bound, the inserting thread takes a lock and repeatedly samples a few entries from a rotating
 * iterator, dropping one past its stale window at once, else the least recently used of the sample.
 * Entries stay past expiry until evicted so they can be served stale (RFC 8767).
 */
public final class AnswerCache {
    /** Entries examined per eviction; 5 gives LRU-like quality at a fixed cost (Redis maxmemory-samples). */
    private static final int EVICTION_SAMPLES = 5;

    private final ConcurrentHashMap<CacheKey, CacheEntry> map;
    private final long maxEntries;
    private final long maxBytes;
    private final AtomicLong bytes = new AtomicLong();
    private final ReentrantLock evictionLock = new ReentrantLock();
    private Iterator<Map.Entry<CacheKey, CacheEntry>> evictionCursor; // guarded by evictionLock

    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder staleServed = new LongAdder();
    private final LongAdder prefetches = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder inserts = new LongAdder();

    /**
     * @param maxEntries most entries held
     * @param maxBytes most estimated heap bytes held by entries and keys
     */
    public AnswerCache(long maxEntries, long maxBytes) {
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
        this.map = new ConcurrentHashMap<>((int) Math.min(maxEntries, 1 << 16));
    }

    /** The entry for {@code probe}, fresh or stale, or null. Counts nothing: see {@link #recordHit}. */
    public CacheEntry get(CacheKey probe) {
        return map.get(probe);
    }

    public void recordHit() {
        hits.increment();
    }

    public void recordMiss() {
        misses.increment();
    }

    public void recordStale() {
        staleServed.increment();
    }

    public void recordPrefetch() {
        prefetches.increment();
    }

    /** Stores {@code entry} under {@code key} (an immutable copy), then evicts down to the bounds. */
    public void put(CacheKey key, CacheEntry entry) {
        CacheEntry old = map.put(key, entry);
        inserts.increment();
        bytes.addAndGet(entry.footprint() + (old == null ? key.footprint() : -old.footprint()));
        if (map.size() > maxEntries || bytes.get() > maxBytes) {
            evict(System.nanoTime());
        }
    }

    private void evict(long nowNanos) {
        evictionLock.lock();
        try {
            int guard = 0;
            while ((map.size() > maxEntries || bytes.get() > maxBytes) && guard++ < 1_000) {
                Map.Entry<CacheKey, CacheEntry> victim = null;
                for (int i = 0; i < EVICTION_SAMPLES; i++) {
                    if (evictionCursor == null || !evictionCursor.hasNext()) {
                        evictionCursor = map.entrySet().iterator();
                        if (!evictionCursor.hasNext()) {
                            return;
                        }
                    }
                    Map.Entry<CacheKey, CacheEntry> candidate = evictionCursor.next();
                    if (!candidate.getValue().usableStale(nowNanos)) {
                        victim = candidate;
                        break;
                    }
                    if (victim == null || candidate.getValue().lastUsedNanos < victim.getValue().lastUsedNanos) {
                        victim = candidate;
                    }
                }
                if (victim != null && map.remove(victim.getKey(), victim.getValue())) {
                    bytes.addAndGet(-(victim.getValue().footprint() + victim.getKey().footprint()));
                    evictions.increment();
                }
            }
        } finally {
            evictionLock.unlock();
        }
    }

    /** Removes everything (configuration change, tests). */
    public void clear() {
        evictionLock.lock();
        try {
            map.clear();
            bytes.set(0);
            evictionCursor = null;
        } finally {
            evictionLock.unlock();
        }
    }

    public int size() {
        return map.size();
    }

    /** Estimated heap bytes held. */
    public long bytes() {
        return bytes.get();
    }

    public Stats stats() {
        return new Stats(hits.sum(), misses.sum(), staleServed.sum(), prefetches.sum(), evictions.sum(),
                inserts.sum(), map.size(), bytes.get());
    }

    /**
     * Cache counters.
     *
     * @param hits answers served fresh from the cache
     * @param misses lookups forwarded because nothing fresh was cached
     * @param staleServed stale answers served because every upstream failed (RFC 8767)
     * @param prefetches refreshes started for popular entries near expiry
     * @param evictions entries dropped to stay within the bounds
     * @param inserts entries stored
     * @param size entries held now
     * @param bytes estimated heap bytes held now
     */
    public record Stats(long hits, long misses, long staleServed, long prefetches, long evictions, long inserts,
                        long size, long bytes) {
    }
}
