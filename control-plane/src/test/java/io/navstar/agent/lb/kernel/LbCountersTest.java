package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.abi.LbDropReason;
import io.navstar.agent.lb.abi.LbStats;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.loader.BpfMap;
import io.navstar.loader.map.PerCpu;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class LbCountersTest {

    /** Writes distinct per-CPU counters for every id below count: CPU c of id i holds i * 1000 + c * 10 + field. */
    private static void fill(BpfMap map, int count) {
        long stride = PerCpu.roundUp8(LbStats.LAYOUT.byteSize());
        int cpus;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            var codec = PerCpu.codec(LbStats.CODEC);
            MemorySegment value = arena.allocate(codec.byteSize(), 8);
            cpus = (int) (codec.byteSize() / stride);
            for (int id = 0; id < count; id++) {
                key.set(JAVA_INT, 0, id);
                for (int cpu = 0; cpu < cpus; cpu++) {
                    for (int field = 0; field < 4; field++) {
                        value.set(JAVA_LONG, cpu * stride + field * 8L, id * 1000L + cpu * 10L + field);
                    }
                }
                map.put(key, value);
            }
        }
    }

    @Test
    void dropsAreEveryReasonsCountersSummedOverCpusInOneRead() {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("drops");
        LbDataPlane plane = LbDataPlane.open(LbSettings.forTests(pins));
        try (LbCounters counters = new LbCounters(plane); Arena arena = Arena.ofConfined()) {
            BpfMap drops = plane.map("lb_drops");
            int cpus = drops.kernelValueSize() / Long.BYTES;
            MemorySegment key = arena.allocate(JAVA_INT);
            MemorySegment value = arena.allocate(drops.kernelValueSize(), 8);
            long[] expected = new long[LbDropReason.NUMBERS];
            // every slot written, those past the reasons too: only the reasons' are read
            for (int slot = 0; slot < drops.maxEntries(); slot++) {
                key.set(JAVA_INT, 0, slot);
                for (int cpu = 0; cpu < cpus; cpu++) {
                    value.setAtIndex(JAVA_LONG, cpu, slot * 1000L + cpu + 1);
                    if (slot < expected.length) {
                        expected[slot] += slot * 1000L + cpu + 1;
                    }
                }
                drops.put(key, value);
            }
            assertArrayEquals(expected, counters.drops());
        } finally {
            plane.unpin();
            plane.close();
            LbTestSupport.deleteTree(pins);
        }
    }

    @Test
    void batchReadsEqualOneByOneReadsAcrossSeveralBatches() {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("counters");
        LbDataPlane plane = LbDataPlane.open(LbSettings.forTests(pins));
        try (LbCounters counters = new LbCounters(plane)) {
            int backends = 2 * LbCounters.BATCH + 77;
            fill(plane.map("lb_backend_stats"), backends);
            fill(plane.map("lb_vip_stats"), 300);
            long[] all = counters.backendsBelow(backends);
            assertEquals(backends * LbCounters.FIELDS, all.length);
            for (int id = 0; id < backends; id++) {
                LbCounters.Totals one = counters.backend(id);
                int at = id * LbCounters.FIELDS;
                assertEquals(one.packets(), all[at], "packets of " + id);
                assertEquals(one.bytes(), all[at + 1], "bytes of " + id);
                assertEquals(one.newFlows(), all[at + 2], "new flows of " + id);
                assertEquals(one.refusedOrReplied(), all[at + 3], "replies of " + id);
            }
            assertEquals(counters.backend(backends - 1).packets(), all[(backends - 1) * LbCounters.FIELDS]);
            long[] someVips = counters.vipsBelow(5);
            assertEquals(5 * LbCounters.FIELDS, someVips.length);
            assertEquals(counters.vip(4).newFlows(), someVips[4 * LbCounters.FIELDS + 2]);
            assertEquals(0, counters.vipsBelow(0).length);
        } finally {
            plane.unpin();
            plane.close();
            LbTestSupport.deleteTree(pins);
        }
    }
}
