package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.abi.LbDropReason;
import io.navstar.agent.lb.abi.LbStats;
import io.navstar.loader.BatchCursor;
import io.navstar.loader.BpfMap;
import io.navstar.loader.map.PerCpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Reads the per-CPU counters of lb_vip_stats and lb_backend_stats, summed over CPUs: one entry at a time, or every
 * entry below an id in BPF_MAP_LOOKUP_BATCH calls of {@link #BATCH} entries (a metrics scrape of N backends then
 * costs N / 1024 syscalls, not N); and those of lb_drops, every reason in one call. Owns one arena of scratch; the
 * methods are synchronised.
 */
public final class LbCounters implements AutoCloseable {
    /**
     * Counters summed over CPUs.
     *
     * @param refusedOrReplied a VIP's refused flows, a backend's replied flows (one slot of struct lb_stats)
     */
    public record Totals(long packets, long bytes, long newFlows, long refusedOrReplied) {
    }

    /** Entries read per BPF_MAP_LOOKUP_BATCH call. */
    static final int BATCH = 1024;
    /**
     * Longs per entry in {@link #vipsBelow} and {@link #backendsBelow}: packets, bytes, new flows, and refused flows
     * (a VIP) or replied flows (a backend).
     */
    public static final int FIELDS = 4;

    private final BpfMap vipStats;
    private final BpfMap backendStats;
    private final BpfMap drops;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment key;
    private final PerCpu<LbStats> value;

    public LbCounters(LbDataPlane plane) {
        this.vipStats = plane.map("lb_vip_stats");
        this.backendStats = plane.map("lb_backend_stats");
        this.drops = plane.map("lb_drops");
        this.key = arena.allocate(JAVA_INT);
        var codec = PerCpu.codec(LbStats.CODEC);
        this.value = codec.newFlyweight();
        value.wrap(arena.allocate(codec.byteSize(), 8), 0);
    }

    public synchronized Totals vip(int vipId) {
        return read(vipStats, vipId);
    }

    public synchronized Totals backend(int backendId) {
        return read(backendStats, backendId);
    }

    /**
     * The counters of VIP ids 0 .. count-1, summed over CPUs, {@link #FIELDS} longs per id (packets, bytes, new
     * flows, refused), in ceil(count / {@link #BATCH}) syscalls.
     */
    public synchronized long[] vipsBelow(int count) {
        return readBelow(vipStats, count);
    }

    /** As {@link #vipsBelow}, for backend ids (the fourth long is replies seen). */
    public synchronized long[] backendsBelow(int count) {
        return readBelow(backendStats, count);
    }

    /**
     * The counters of lb_drops summed over CPUs, indexed by {@link LbDropReason#number()} ({@link
     * LbDropReason#NUMBERS} longs, slot 0 unused), in one BPF_MAP_LOOKUP_BATCH call.
     */
    public synchronized long[] drops() {
        long[] totals = new long[LbDropReason.NUMBERS];
        int wanted = Math.min(LbDropReason.NUMBERS, drops.maxEntries());
        int cpus = value.cpus();
        try (Arena local = Arena.ofConfined()) {
            MemorySegment keys = local.allocate(JAVA_INT.byteSize() * wanted, 8);
            MemorySegment values = local.allocate(JAVA_LONG.byteSize() * cpus * wanted, 8);
            BatchCursor cursor = BatchCursor.start(local, drops);
            int read = 0;
            while (read < wanted && !cursor.done()) {
                // an array map's batches go in key order from 0: the first `wanted` entries are slots 0 .. wanted-1
                int n = drops.lookupBatch(cursor, keys, values, wanted - read);
                for (int i = 0; i < n; i++) {
                    int slot = keys.getAtIndex(JAVA_INT, i);
                    if (slot < 0 || slot >= wanted) {
                        continue;
                    }
                    for (int cpu = 0; cpu < cpus; cpu++) {
                        totals[slot] += values.getAtIndex(JAVA_LONG, (long) i * cpus + cpu);
                    }
                }
                read += n;
            }
        }
        return totals;
    }

    private long[] readBelow(BpfMap map, int count) {
        int wanted = Math.min(count, map.maxEntries());
        long[] totals = new long[wanted * FIELDS];
        if (wanted == 0) {
            return totals;
        }
        long stride = PerCpu.roundUp8(LbStats.LAYOUT.byteSize());
        int cpus = value.cpus();
        try (Arena local = Arena.ofConfined()) {
            int batch = Math.min(BATCH, wanted);
            MemorySegment keys = local.allocate(4L * batch, 8);
            MemorySegment values = local.allocate(stride * cpus * batch, 8);
            BatchCursor cursor = BatchCursor.start(local, map);
            LbStats stats = LbStats.CODEC.newFlyweight();
            int read = 0;
            while (read < wanted && !cursor.done()) {
                // an array map's batches go in key order from 0, so the first `wanted` entries are ids 0 .. wanted-1
                int n = map.lookupBatch(cursor, keys, values, Math.min(batch, wanted - read));
                for (int i = 0; i < n; i++) {
                    int id = keys.getAtIndex(JAVA_INT, i);
                    if (id < 0 || id >= wanted) {
                        continue;
                    }
                    int at = id * FIELDS;
                    for (int cpu = 0; cpu < cpus; cpu++) {
                        stats.wrap(values, (i * (long) cpus + cpu) * stride);
                        totals[at] += stats.packets();
                        totals[at + 1] += stats.bytes();
                        totals[at + 2] += stats.newFlows();
                        totals[at + 3] += stats.refusedFlows(); // a backend's repliedFlows(): the same slot
                    }
                }
                read += n;
            }
        }
        return totals;
    }

    private Totals read(BpfMap map, int index) {
        key.set(JAVA_INT, 0, index);
        if (!map.get(key, value.segment())) {
            return new Totals(0, 0, 0, 0);
        }
        long packets = 0;
        long bytes = 0;
        long flows = 0;
        long refusedOrReplied = 0;
        for (int cpu = 0; cpu < value.cpus(); cpu++) {
            LbStats s = value.cpu(cpu);
            packets += s.packets();
            bytes += s.bytes();
            flows += s.newFlows();
            refusedOrReplied += s.refusedFlows(); // a backend's repliedFlows(): the same slot
        }
        return new Totals(packets, bytes, flows, refusedOrReplied);
    }

    @Override
    public void close() {
        arena.close();
    }
}
