package io.navstar.gossip.multicast;

/**
 * Which sequence numbers of one origin's incarnation were delivered: the highest seen and a bitmap
 * of the {@code window} numbers below it. A number older than the window counts as delivered (we
 * cannot tell, and delivering twice is the worse error); a larger epoch (the origin restarted)
 * starts afresh and a smaller one is a stale copy of a dead incarnation.
 *
 * <p>Not thread-safe: owned by the multicast service on the node's scheduler thread.
 */
public final class DedupWindow {

    private final long[] bits;
    private final int mask;
    private long epoch = Long.MIN_VALUE;
    private long highest = Long.MIN_VALUE;

    /** @param window a power of two, at least 64 */
    public DedupWindow(int window) {
        this.bits = new long[window / 64];
        this.mask = window - 1;
    }

    /** Marks {@code (epoch, sequence)} delivered; returns true when it was not already. */
    public boolean markDelivered(long originEpoch, long sequence) {
        if (originEpoch < epoch) {
            return false;
        }
        if (originEpoch > epoch) {
            epoch = originEpoch;
            highest = Long.MIN_VALUE;
            java.util.Arrays.fill(bits, 0);
        }
        if (highest == Long.MIN_VALUE) {
            highest = sequence;
            set(sequence);
            return true;
        }
        if (sequence > highest) {
            long advance = sequence - highest;
            if (advance > mask) {
                java.util.Arrays.fill(bits, 0);
            } else {
                for (long s = highest + 1; s <= sequence; s++) {
                    clear(s);
                }
            }
            highest = sequence;
            set(sequence);
            return true;
        }
        if (highest - sequence > mask) {
            return false;
        }
        if (isSet(sequence)) {
            return false;
        }
        set(sequence);
        return true;
    }

    private void set(long sequence) {
        int slot = (int) (sequence & mask);
        bits[slot >>> 6] |= 1L << slot;
    }

    private void clear(long sequence) {
        int slot = (int) (sequence & mask);
        bits[slot >>> 6] &= ~(1L << slot);
    }

    private boolean isSet(long sequence) {
        int slot = (int) (sequence & mask);
        return (bits[slot >>> 6] & (1L << slot)) != 0;
    }
}
