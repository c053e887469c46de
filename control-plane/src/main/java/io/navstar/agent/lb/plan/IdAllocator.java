package io.navstar.agent.lb.plan;

import java.util.ArrayDeque;
import java.util.BitSet;

/**
 * Hands out small integer ids (VIP ids, backend ids) below a capacity. Released ids are reused last
 * (first in, first out), so counters and flows that still name an old id rarely meet its successor.
 * Not thread-safe: owned by the {@link Reconciler}.
 */
final class IdAllocator {
    private final int capacity;
    private final BitSet used = new BitSet();
    private final ArrayDeque<Integer> released = new ArrayDeque<>();
    private int nextFresh;

    IdAllocator(int capacity) {
        this.capacity = capacity;
    }

    /** An allocator whose used ids are those set in inUse (recovered from the kernel). */
    static IdAllocator recovered(int capacity, BitSet inUse) {
        IdAllocator a = new IdAllocator(capacity);
        if (inUse.length() > capacity) {
            throw new IllegalStateException("id " + (inUse.length() - 1) + " outside 0.." + (capacity - 1));
        }
        a.used.or(inUse);
        a.nextFresh = inUse.length();
        for (int i = inUse.nextClearBit(0); i < a.nextFresh; i = inUse.nextClearBit(i + 1)) {
            a.released.add(i);
        }
        return a;
    }

    /** A free id, now used; -1 when all are in use. */
    int allocate() {
        int id;
        if (nextFresh < capacity) {
            id = nextFresh++;
        } else if (!released.isEmpty()) {
            id = released.poll();
        } else {
            return -1;
        }
        used.set(id);
        return id;
    }

    void release(int id) {
        if (!used.get(id)) {
            throw new IllegalStateException("id " + id + " released twice");
        }
        used.clear(id);
        released.add(id);
    }

    /** Every id in use is below this (the highest in use plus one; 0 when none is). */
    int bound() {
        return used.length();
    }

    int inUse() {
        return used.cardinality();
    }
}
