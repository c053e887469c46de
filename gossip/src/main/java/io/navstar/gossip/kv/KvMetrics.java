package io.navstar.gossip.kv;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one KV node: state size, local operations, deltas and anti-entropy traffic. Written
 * by the store thread and the replicator, read by anyone; each value is individually atomic.
 */
public final class KvMetrics {

    final AtomicLong keys = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    final LongAdder operations = new LongAdder();
    final LongAdder operationsRejected = new LongAdder();
    final LongAdder overloaded = new LongAdder();
    final LongAdder commits = new LongAdder();
    final LongAdder committedRequests = new LongAdder();
    final LongAdder deltasSent = new LongAdder();
    final LongAdder deltasReceived = new LongAdder();
    final LongAdder deltasAlreadyKnown = new LongAdder();
    final LongAdder antiEntropyRounds = new LongAdder();
    final LongAdder antiEntropyBytesSent = new LongAdder();
    final LongAdder antiEntropyBytesReceived = new LongAdder();
    final LongAdder antiEntropyKeysSent = new LongAdder();
    final LongAdder fullExchanges = new LongAdder();
    final LongAdder corruptFrames = new LongAdder();

    public long keys() { return keys.get(); }
    /** Sum of the encoded sizes of all values. */
    public long bytes() { return bytes.get(); }
    public long operations() { return operations.sum(); }
    public long operationsRejected() { return operationsRejected.sum(); }
    public long overloaded() { return overloaded.sum(); }
    /** Durable commits (fsyncs); with group commit, fewer than committed requests. */
    public long commits() { return commits.sum(); }
    public long committedRequests() { return committedRequests.sum(); }
    public long deltasSent() { return deltasSent.sum(); }
    public long deltasReceived() { return deltasReceived.sum(); }
    public long deltasAlreadyKnown() { return deltasAlreadyKnown.sum(); }
    public long antiEntropyRounds() { return antiEntropyRounds.sum(); }
    public long antiEntropyBytesSent() { return antiEntropyBytesSent.sum(); }
    public long antiEntropyBytesReceived() { return antiEntropyBytesReceived.sum(); }
    public long antiEntropyKeysSent() { return antiEntropyKeysSent.sum(); }
    public long fullExchanges() { return fullExchanges.sum(); }
    public long corruptFrames() { return corruptFrames.sum(); }

    /** Every counter by a stable name, for the metrics endpoint. */
    public Map<String, Long> snapshot() {
        final Map<String, Long> out = new LinkedHashMap<>();
        out.put("kv_keys", keys());
        out.put("kv_bytes", bytes());
        out.put("kv_operations_total", operations());
        out.put("kv_operations_rejected_total", operationsRejected());
        out.put("kv_overloaded_total", overloaded());
        out.put("kv_commits_total", commits());
        out.put("kv_committed_requests_total", committedRequests());
        out.put("kv_deltas_sent_total", deltasSent());
        out.put("kv_deltas_received_total", deltasReceived());
        out.put("kv_deltas_already_known_total", deltasAlreadyKnown());
        out.put("kv_anti_entropy_rounds_total", antiEntropyRounds());
        out.put("kv_anti_entropy_bytes_sent_total", antiEntropyBytesSent());
        out.put("kv_anti_entropy_bytes_received_total", antiEntropyBytesReceived());
        out.put("kv_anti_entropy_keys_sent_total", antiEntropyKeysSent());
        out.put("kv_full_exchanges_total", fullExchanges());
        out.put("kv_corrupt_frames_total", corruptFrames());
        return out;
    }
}
