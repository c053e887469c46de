package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.abi.LbReverseNat;
import io.navstar.loader.BpfMap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Deletes expired entries from the reverse-NAT table lb_reverse, as a conntrack garbage collector does (Cilium's CT
 * map GC). The programs treat an entry past its expires_ns as absent, but an LRU hash map frees nothing by itself:
 * once it has filled with finished flows, every insert must evict the least recently used entry
 * (kernel/bpf/bpf_lru_list.c), which costs more than taking a free node. Reaping keeps free nodes at hand. The
 * connection table lb_flow_buckets needs none: an insert takes an expired way as it takes a free one (FlowTable).
 *
 * <p>The table is read in batches (BPF_MAP_LOOKUP_BATCH). An entry seen expired is read again just before its
 * delete, and kept if it came back to life meanwhile; what remains is the microsecond between that read and the
 * delete, after which such a flow's replies are found through its forward entry, or show the backend.
 *
 * <p>Threading: one thread at a time; independent of applies (an expired entry is no flow to any of them).
 */
public final class FlowReaper {
    private static final long REVERSE_EXPIRES = LbReverseNat.LAYOUT.byteOffset(PathElement.groupElement("expires_ns"));

    private final LbDataPlane plane;
    private final BpfMap reverse;

    public FlowReaper(LbDataPlane plane) {
        this.plane = plane;
        this.reverse = plane.map("lb_reverse");
    }

    /**
     * What one {@link #reap} did.
     *
     * @param entries entries read
     * @param deleted expired entries deleted
     * @param revived entries seen expired but live again when read a second time, kept
     * @param legacy  live flows of the connection table placed by the earlier hash
     *                ({@link LbDataPlane#settleLegacyFlows}; 0 once none are left)
     * @param nanos   how long it took
     */
    public record Report(long entries, long deleted, long revived, long legacy, long nanos) {
    }

    /** The entries the table can hold (for a caller that paces its reaping by how full it got). */
    public long capacity() {
        return reverse.maxEntries();
    }

    /**
     * Deletes every entry that expired before nowNs (CLOCK_MONOTONIC: System.nanoTime() on Linux), and settles
     * whether the connection table still holds flows an earlier agent placed ({@link LbDataPlane#settleLegacyFlows}).
     */
    public Report reap(long nowNs) {
        long start = System.nanoTime();
        long[] counts = new long[3];
        reap(reverse, REVERSE_EXPIRES, nowNs, counts);
        long legacy = plane.settleLegacyFlows(nowNs);
        return new Report(counts[0], counts[1], counts[2], legacy, System.nanoTime() - start);
    }
    private static void reap(BpfMap map, long expiresOffset, long nowNs, long[] counts) {
        long keySize = map.keySize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment again = arena.allocate(map.kernelValueSize(), 8);
            KernelLbTables.forEachEntry(map, arena, (keys, keyAt, values, valueAt) -> {
                counts[0]++;
                if (values.get(JAVA_LONG, valueAt + expiresOffset) - nowNs >= 0) {
                    return;
                }
                MemorySegment key = keys.asSlice(keyAt, keySize);
                if (!map.get(key, again)) {
                    return; // gone already (evicted, or a program's delete)
                }
                if (again.get(JAVA_LONG, expiresOffset) - nowNs >= 0) {
                    counts[2]++;
                } else if (map.remove(key)) {
                    counts[1]++;
                }
            });
        }
    }
}
