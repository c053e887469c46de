package io.navstar.gossip.metrics;

import io.navstar.gossip.wire.MessageType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Plain counters and gauges of one gossip node: view sizes, messages and bytes in and out by type,
 * probe round trips, failures detected, frames dropped or rejected. {@link #snapshot()} gives them
 * as named values that the control plane exports (as Prometheus text, later).
 *
 * <p>Thread-safe: writers are the node's scheduler thread and the transport's I/O thread; readers
 * may be any thread and see each value atomically (not the set as one instant).
 */
public final class GossipMetrics {

    /** Upper bounds, in microseconds, of the probe round-trip histogram buckets (last is +Inf). */
    public static final long[] RTT_BUCKETS_MICROS = {100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000,
        50_000, 100_000, 250_000, 500_000, 1_000_000, Long.MAX_VALUE};

    private final AtomicLongArray messagesIn = new AtomicLongArray(256);
    private final AtomicLongArray bytesIn = new AtomicLongArray(256);
    private final AtomicLongArray messagesOut = new AtomicLongArray(256);
    private final AtomicLongArray bytesOut = new AtomicLongArray(256);
    private final AtomicLongArray rttBuckets = new AtomicLongArray(RTT_BUCKETS_MICROS.length);
    private final AtomicLong rttCount = new AtomicLong();
    private final AtomicLong rttSumNanos = new AtomicLong();
    private final AtomicLong failuresDetected = new AtomicLong();
    private final AtomicLong probeTimeouts = new AtomicLong();
    private final AtomicLong framesDropped = new AtomicLong();
    private final AtomicLong framesRejected = new AtomicLong();
    private final AtomicLong handshakeFailures = new AtomicLong();
    private final AtomicLong multicastDelivered = new AtomicLong();
    private final AtomicLong multicastDuplicates = new AtomicLong();
    private final AtomicLong activeViewSize = new AtomicLong();
    private final AtomicLong passiveViewSize = new AtomicLong();
    private final AtomicLong members = new AtomicLong();
    private final AtomicLong reachable = new AtomicLong();

    public void messageIn(MessageType type, int bytes) {
        messagesIn.incrementAndGet(type.code());
        bytesIn.addAndGet(type.code(), bytes);
    }

    public void messageOut(MessageType type, int bytes) {
        messagesOut.incrementAndGet(type.code());
        bytesOut.addAndGet(type.code(), bytes);
    }

    public void probeRoundTrip(long nanos) {
        long micros = nanos / 1_000;
        int bucket = 0;
        while (micros > RTT_BUCKETS_MICROS[bucket]) {
            bucket++;
        }
        rttBuckets.incrementAndGet(bucket);
        rttCount.incrementAndGet();
        rttSumNanos.addAndGet(nanos);
    }

    public void failureDetected() {
        failuresDetected.incrementAndGet();
    }

    public void probeTimedOut() {
        probeTimeouts.incrementAndGet();
    }

    /** A frame dropped by back-pressure, an unreachable peer or a closed transport. */
    public void frameDropped() {
        framesDropped.incrementAndGet();
    }

    /** A frame rejected by the decoder (and its connection closed). */
    public void frameRejected() {
        framesRejected.incrementAndGet();
    }

    public void handshakeFailed() {
        handshakeFailures.incrementAndGet();
    }

    public void multicastDelivered() {
        multicastDelivered.incrementAndGet();
    }

    public void multicastDuplicate() {
        multicastDuplicates.incrementAndGet();
    }

    public void viewSizes(int active, int passive) {
        activeViewSize.set(active);
        passiveViewSize.set(passive);
    }

    public void membership(int known, int reachableNodes) {
        members.set(known);
        reachable.set(reachableNodes);
    }

    public long failuresDetected() {
        return failuresDetected.get();
    }

    public long framesRejected() {
        return framesRejected.get();
    }

    public long handshakeFailures() {
        return handshakeFailures.get();
    }

    public long framesDropped() {
        return framesDropped.get();
    }

    public long multicastDuplicates() {
        return multicastDuplicates.get();
    }

    public long probeRoundTrips() {
        return rttCount.get();
    }

    /** Messages sent, all types. */
    public long totalMessagesOut() {
        long sum = 0;
        for (int i = 0; i < 256; i++) {
            sum += messagesOut.get(i);
        }
        return sum;
    }

    /** Bytes sent (whole frames), all types. */
    public long totalBytesOut() {
        long sum = 0;
        for (int i = 0; i < 256; i++) {
            sum += bytesOut.get(i);
        }
        return sum;
    }

    public long messagesIn(MessageType type) {
        return messagesIn.get(type.code());
    }

    public long messagesOut(MessageType type) {
        return messagesOut.get(type.code());
    }

    /**
     * Every value under a stable name: {@code messages_in.PING}, {@code bytes_out.MULTICAST},
     * {@code probe_rtt_bucket.le_1000us}, {@code failures_detected}, {@code active_view_size} and so on.
     */
    public Map<String, Long> snapshot() {
        Map<String, Long> values = new LinkedHashMap<>();
        values.put("active_view_size", activeViewSize.get());
        values.put("passive_view_size", passiveViewSize.get());
        values.put("members", members.get());
        values.put("reachable_nodes", reachable.get());
        for (MessageType type : MessageType.values()) {
            values.put("messages_in." + type, messagesIn.get(type.code()));
            values.put("bytes_in." + type, bytesIn.get(type.code()));
            values.put("messages_out." + type, messagesOut.get(type.code()));
            values.put("bytes_out." + type, bytesOut.get(type.code()));
        }
        for (int i = 0; i < RTT_BUCKETS_MICROS.length; i++) {
            String bound = RTT_BUCKETS_MICROS[i] == Long.MAX_VALUE ? "inf" : RTT_BUCKETS_MICROS[i] + "us";
            values.put("probe_rtt_bucket.le_" + bound, rttBuckets.get(i));
        }
        values.put("probe_rtt_count", rttCount.get());
        values.put("probe_rtt_sum_nanos", rttSumNanos.get());
        values.put("probe_timeouts", probeTimeouts.get());
        values.put("failures_detected", failuresDetected.get());
        values.put("frames_dropped", framesDropped.get());
        values.put("frames_rejected", framesRejected.get());
        values.put("handshake_failures", handshakeFailures.get());
        values.put("multicast_delivered", multicastDelivered.get());
        values.put("multicast_duplicates_suppressed", multicastDuplicates.get());
        return values;
    }
}
