package io.navstar.gossip.health;

/**
 * The last few probe round trips of one neighbour, and the adaptive timeout they imply:
 * {@code floor + multiplier x max(recent RTTs)}, capped; with no sample yet, a fixed timeout. With
 * the defaults (500 ms, 1.6) an RTT of up to 100 ms gives a 660 ms timeout and none gives 1 s, as
 * Lashup's health check did. The maximum rather than the mean keeps a jittery link from being
 * declared dead on its slow probes.
 *
 * <p>Not thread-safe: owned by the health checker on the node's scheduler thread.
 */
public final class RoundTripWindow {

    private final long[] samples;
    private int count;
    private int next;

    public RoundTripWindow(int capacity) {
        this.samples = new long[capacity];
    }

    public void add(long rttNanos) {
        samples[next] = rttNanos;
        next = (next + 1) % samples.length;
        count = Math.min(count + 1, samples.length);
    }

    public int count() {
        return count;
    }

    /** The largest remembered round trip, or -1 with none. */
    public long maxNanos() {
        long max = -1;
        for (int i = 0; i < count; i++) {
            max = Math.max(max, samples[i]);
        }
        return max;
    }

    /** The probe timeout these samples imply. */
    public long timeoutNanos(long withoutSamples, long floor, double multiplier, long cap) {
        long max = maxNanos();
        if (max < 0) {
            return withoutSamples;
        }
        return Math.min(cap, floor + (long) (multiplier * max));
    }
}
