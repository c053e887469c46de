package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.abi.LbStats;
import io.navstar.loader.BpfMap;
import io.navstar.loader.map.PerCpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Reads the per-CPU counters of lb_vip_stats and lb_backend_stats, summed over CPUs. Owns one arena of
 * scratch; confine to one thread (the metrics scrape), or synchronise.
 */
public final class LbCounters implements AutoCloseable {
    /** Counters summed over CPUs. */
    public record Totals(long packets, long bytes, long newFlows, long noBackend) {
    }

    private final BpfMap vipStats;
    private final BpfMap backendStats;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment key;
    private final PerCpu<LbStats> value;

    public LbCounters(LbDataPlane plane) {
        this.vipStats = plane.map("lb_vip_stats");
        this.backendStats = plane.map("lb_backend_stats");
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

    private Totals read(BpfMap map, int index) {
        key.set(JAVA_INT, 0, index);
        if (!map.get(key, value.segment())) {
            return new Totals(0, 0, 0, 0);
        }
        long packets = 0;
        long bytes = 0;
        long flows = 0;
        long refused = 0;
        for (int cpu = 0; cpu < value.cpus(); cpu++) {
            LbStats s = value.cpu(cpu);
            packets += s.packets();
            bytes += s.bytes();
            flows += s.newFlows();
            refused += s.noBackend();
        }
        return new Totals(packets, bytes, flows, refused);
    }

    @Override
    public void close() {
        arena.close();
    }
}
