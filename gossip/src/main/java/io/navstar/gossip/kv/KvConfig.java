package io.navstar.gossip.kv;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Settings of one KV store.
 *
 * @param file           the SQLite file, or null for a store that keeps nothing on disk (simulation only)
 * @param replicaId      this node's stable replica id: it names the dots this node issues, so it
 *                       must survive restarts and be unique in the cluster
 * @param maxValueBytes  the largest encoded value a local operation may produce (default 10 MiB)
 * @param queueCapacity  requests (local operations and remote merges) that may wait; beyond it the
 *                       store answers "overloaded"
 * @param maxBatch       most requests committed together in one fsync (group commit); 1 turns
 *                       group commit off
 * @param verifyOnOpen   run SQLite's quick_check when opening
 * @param inline         process every request on the caller's thread instead of a store thread;
 *                       only without a file, for single-threaded deterministic simulations
 */
public record KvConfig(Path file, String replicaId, int maxValueBytes, int queueCapacity, int maxBatch,
                       boolean verifyOnOpen, boolean inline) {

    public static final int DEFAULT_MAX_VALUE_BYTES = 10 * 1024 * 1024;

    public KvConfig {
        Objects.requireNonNull(replicaId, "replicaId");
        if (replicaId.isEmpty() || maxValueBytes <= 0 || queueCapacity <= 0 || maxBatch <= 0) {
            throw new IllegalArgumentException("invalid KV config");
        }
        if (inline && file != null) {
            throw new IllegalArgumentException("an inline store has no file: durability needs the store thread");
        }
    }

    /** A durable store in {@code file}: 10 MiB values, 4,096 queued requests, batches of up to 512. */
    public static KvConfig defaults(Path file, String replicaId) {
        return new KvConfig(Objects.requireNonNull(file, "file"), replicaId, DEFAULT_MAX_VALUE_BYTES, 4096, 512, true, false);
    }

    /**
     * A store without a disk that runs every request on the caller's thread, for simulations in
     * which durability is not under test.
     */
    public static KvConfig inMemory(String replicaId) {
        return new KvConfig(null, replicaId, DEFAULT_MAX_VALUE_BYTES, 65536, 4096, false, true);
    }

    public KvConfig withMaxValueBytes(int bytes) {
        return new KvConfig(file, replicaId, bytes, queueCapacity, maxBatch, verifyOnOpen, inline);
    }

    public KvConfig withQueueCapacity(int capacity) {
        return new KvConfig(file, replicaId, maxValueBytes, capacity, maxBatch, verifyOnOpen, inline);
    }

    /** Group commit on (batches of up to 512) or off (one fsync per request). */
    public KvConfig withGroupCommit(boolean on) {
        return new KvConfig(file, replicaId, maxValueBytes, queueCapacity, on ? 512 : 1, verifyOnOpen, inline);
    }
}
