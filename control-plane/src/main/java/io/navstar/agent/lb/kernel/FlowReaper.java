package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.abi.LbFlow;
import io.navstar.agent.lb.abi.LbReverseNat;
import io.navstar.loader.BpfMap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Deletes expired entries from the connection tables (lb_flows, lb_reverse), as a conntrack garbage collector does
 * (Cilium's CT map GC). The programs treat an entry past its expires_ns as absent, but an LRU hash map frees nothing
 * by itself: once a node's table has filled with finished flows, every new flow's insert must evict the least
 * recently used entry (kernel/bpf/bpf_lru_list.c), which costs a new flow about a quarter more than taking a free
 * node (jmh/scripts/lb-kernel-time.sh: "filled with expired flows" beside "reaped"). Reaping keeps free nodes at hand.
 *
 * <p>Each table is read in batches (BPF_MAP_LOOKUP_BATCH). An entry seen expired is read again just before its
 * delete, and kept if it came back to life meanwhile (a new connection on the same tuple writes over an expired
 * entry in place, lb_nat.h); what remains is the microsecond between that read and the delete, after which such a
 * connection's next packet picks its backend again from the same Maglev table.
 *
 * <p>Threading: one thread at a time; independent of applies (an expired entry is no flow to any of them).
 */
public final class FlowReaper {
    private static final long FLOW_EXPIRES = LbFlow.LAYOUT.byteOffset(PathElement.groupElement("expires_ns"));
    private static final long REVERSE_EXPIRES = LbReverseNat.LAYOUT.byteOffset(PathElement.groupElement("expires_ns"));

    private final BpfMap flows;
    private final BpfMap reverse;

    public FlowReaper(LbDataPlane plane) {
        this.flows = plane.map("lb_flows");
        this.reverse = plane.map("lb_reverse");
    }

    /**
     * What one {@link #reap} did.
     *
     * @param entries entries read in both tables
     * @param deleted expired entries deleted
     * @param revived entries seen expired but live again when read a second time, kept
     * @param nanos   how long it took
     */
    public record Report(long entries, long deleted, long revived, long nanos) {
    }

    /** The entries both tables can hold (for a caller that paces its reaping by how full they got). */
    public long capacity() {
        return (long) flows.maxEntries() + reverse.maxEntries();
    }

    /** Deletes every entry of both tables that expired before nowNs (CLOCK_MONOTONIC: System.nanoTime() on Linux). */
    public Report reap(long nowNs) {
        long start = System.nanoTime();
        long[] counts = new long[3];
        reap(flows, FLOW_EXPIRES, nowNs, counts);
        reap(reverse, REVERSE_EXPIRES, nowNs, counts);
        return new Report(counts[0], counts[1], counts[2], System.nanoTime() - start);
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
