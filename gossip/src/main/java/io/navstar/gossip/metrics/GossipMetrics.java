package io.navstar.gossip.metrics;

import io.navstar.gossip.wire.MessageType;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Plain counters and gauges of one gossip node: view sizes, messages and bytes in and out by type,
 * probe round trips, failures detected, frames dropped or rejected, read one by one by the agent's
 * Prometheus exporter at scrape time.
 *
 * <p>Thread-safe: writers are the node's scheduler thread and the transport's I/O thread; readers
 * may be any thread and see each value atomically (not the set as one instant).
 */
public final class GossipMetrics {

    /** Upper bounds, in nanoseconds, of the probe round-trip histogram buckets (100 us to 1 s, then +Inf). */
    private static final long[] RTT_BUCKETS_NANOS = {100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000,
        10_000_000, 25_000_000, 50_000_000, 100_000_000, 250_000_000, 500_000_000, 1_000_000_000, Long.MAX_VALUE};

    private final AtomicLongArray messagesIn = new AtomicLongArray(256);
    private final AtomicLongArray bytesIn = new AtomicLongArray(256);
    private final AtomicLongArray messagesOut = new AtomicLongArray(256);
    private final AtomicLongArray bytesOut = new AtomicLongArray(256);
    private final BucketHistogram probeRoundTrips = new BucketHistogram(RTT_BUCKETS_NANOS);
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
        probeRoundTrips.record(nanos);
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

    /** Probe round trips measured, in nanoseconds. */
    public BucketHistogram probeRoundTrips() {
        return probeRoundTrips;
    }

    public long probeTimeouts() {
        return probeTimeouts.get();
    }

    /** Multicast payloads delivered to this node's handlers. */
    public long multicastsDelivered() {
        return multicastDelivered.get();
    }

    public int activeViewSize() {
        return (int) activeViewSize.get();
    }

    public int passiveViewSize() {
        return (int) passiveViewSize.get();
    }

    /** Nodes known to global membership, this one included. */
    public int members() {
        return (int) members.get();
    }

    /** Nodes reachable over the overlay, this one included. */
    public int reachableNodes() {
        return (int) reachable.get();
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

    /** Bytes of whole frames received of {@code type}. */
    public long bytesIn(MessageType type) {
        return bytesIn.get(type.code());
    }

    /** Bytes of whole frames sent of {@code type}. */
    public long bytesOut(MessageType type) {
        return bytesOut.get(type.code());
    }
}
