package io.navstar.agent.lb.plan;

import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * Hands out ranges of the Maglev cell array (first fit over free ranges kept merged). Not thread-safe:
 * owned by the {@link Reconciler}.
 */
final class CellAllocator {
    private final int capacity;
    /** Free ranges: offset -> length, never adjacent (merged on free). */
    private final TreeMap<Integer, Integer> free = new TreeMap<>();
    private long freeCells;

    CellAllocator(int capacity) {
        this.capacity = capacity;
        if (capacity > 0) {
            free.put(0, capacity);
            freeCells = capacity;
        }
    }

    int capacity() {
        return capacity;
    }

    long freeCells() {
        return freeCells;
    }

    /** Marks a range used (recovery from the kernel); throws when it overlaps free space wrongly. */
    void reserve(int offset, int length) {
        Map.Entry<Integer, Integer> e = free.floorEntry(offset);
        if (e == null || e.getKey() + e.getValue() < offset + length) {
            throw new IllegalStateException("cells [" + offset + ", " + (offset + length) + ") are not free");
        }
        int start = e.getKey();
        int end = start + e.getValue();
        free.remove(start);
        if (start < offset) {
            free.put(start, offset - start);
        }
        if (offset + length < end) {
            free.put(offset + length, end - offset - length);
        }
        freeCells -= length;
    }

    /** The offset of a free range of this length, now used; -1 when none is large enough. */
    int allocate(int length) {
        Iterator<Map.Entry<Integer, Integer>> it = free.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Integer, Integer> e = it.next();
            if (e.getValue() >= length) {
                int offset = e.getKey();
                int rest = e.getValue() - length;
                it.remove();
                if (rest > 0) {
                    free.put(offset + length, rest);
                }
                freeCells -= length;
                return offset;
            }
        }
        return -1;
    }

    /** Returns a range. */
    void release(int offset, int length) {
        if (length == 0) {
            return;
        }
        int start = offset;
        int len = length;
        Map.Entry<Integer, Integer> before = free.floorEntry(offset);
        if (before != null && before.getKey() + before.getValue() > offset) {
            throw new IllegalStateException("cells [" + offset + ", " + (offset + length) + ") released twice");
        }
        if (before != null && before.getKey() + before.getValue() == offset) {
            start = before.getKey();
            len += before.getValue();
            free.remove(before.getKey());
        }
        Integer after = free.ceilingKey(offset);
        if (after != null && after < offset + length) {
            throw new IllegalStateException("cells [" + offset + ", " + (offset + length) + ") released twice");
        }
        if (after != null && after == offset + length) {
            len += free.remove(after);
        }
        free.put(start, len);
        freeCells += length;
    }
}
