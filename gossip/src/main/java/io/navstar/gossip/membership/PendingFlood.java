package io.navstar.gossip.membership;

import io.navstar.gossip.NodeId;
import java.util.Arrays;
import org.agrona.collections.Object2IntHashMap;

/**
 * The rows waiting for membership's next batched flood: the newest row per node, in the order
 * each node was first queued (as a {@code LinkedHashMap} keeps it), and the neighbour each row came
 * from (it is not sent back there). Held as parallel arrays with an open-addressing index, so a
 * queued row costs no entry objects: while a large cluster joins, every node queues nearly every
 * row between two flushes, and entry objects (a linked-map entry and a map node per row, per node)
 * were the largest part of a 10,000-node simulation's heap. After a large batch the arrays and the
 * index are dropped for small ones, so the peak is not kept.
 *
 * <p>Not thread-safe: owned by membership on the node's scheduler thread.
 */
final class PendingFlood {

    private static final int SMALL = 16;
    private static final int KEEP_AT_MOST = 256;

    private Object2IntHashMap<NodeId> slotOf = new Object2IntHashMap<>(-1);
    private MemberEntry[] entries = new MemberEntry[SMALL];
    private NodeId[] sources = new NodeId[SMALL];
    private int count;

    /** Queues {@code entry}, replacing a pending row of the same node in place; source may be null. */
    void put(MemberEntry entry, NodeId source) {
        int slot = slotOf.getValue(entry.node());
        if (slot < 0) {
            if (count == entries.length) {
                int capacity = count * 2;
                entries = Arrays.copyOf(entries, capacity);
                sources = Arrays.copyOf(sources, capacity);
            }
            slot = count++;
            slotOf.put(entry.node(), slot);
        }
        entries[slot] = entry;
        sources[slot] = source;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** The pending rows, in queue order. */
    MemberEntry[] entries() {
        return Arrays.copyOf(entries, count);
    }

    /** The source of each pending row (same order as {@link #entries()}), null for our own. */
    NodeId[] sources() {
        return Arrays.copyOf(sources, count);
    }

    void clear() {
        if (count > KEEP_AT_MOST) {
            slotOf = new Object2IntHashMap<>(-1);
            entries = new MemberEntry[SMALL];
            sources = new NodeId[SMALL];
        } else {
            slotOf.clear();
            Arrays.fill(entries, 0, count, null);
            Arrays.fill(sources, 0, count, null);
        }
        count = 0;
    }
}
