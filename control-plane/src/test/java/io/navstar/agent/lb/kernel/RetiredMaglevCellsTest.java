package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.abi.LbVipInfo;
import io.navstar.agent.lb.abi.LbVipKey;
import io.navstar.agent.lb.model.VipKey;
import io.navstar.agent.lb.plan.InstalledVip;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.loader.BpfMap;
import io.navstar.loader.spec.MapSpec;
import io.navstar.loader.spec.MapType;
import io.navstar.loader.spec.Pinning;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * An agent restarted over the pins of one from before lb_maglev_tables (every VIP's cells in one array, lb_maglev,
 * each VIP naming its slice by offset): it moves each VIP's cells into a table of its own before its programs run,
 * and unpins the old array (root only).
 */
class RetiredMaglevCellsTest {

    @Test
    void aRestartOverRetiredCellsGivesEachVipItsOwnTableAndUnpinsTheArray() throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("retired");
        LbDataPlane plane = LbDataPlane.open(LbSettings.forTests(pins));
        try (Arena arena = Arena.ofConfined()) {
            // what the earlier agent left: cells [100, 1109) of lb_maglev, and a VIP whose entry points there
            int[] cells = new int[1009];
            Arrays.setAll(cells, i -> i % 3);
            MapSpec retiredSpec = new MapSpec("lb_maglev", MapType.ARRAY, 4, 4, 4096, BpfMap.BPF_F_MMAPABLE,
                    Pinning.NONE, 0, 0, null, null, false);
            try (BpfMap retired = BpfMap.create(retiredSpec)) {
                MemorySegment all = retired.mmap(arena);
                for (int i = 0; i < cells.length; i++) {
                    all.set(JAVA_INT, (100L + i) * 8, cells[i]);
                }
                retired.pin(pins.resolve("lb_maglev"));
            }
            LbVipKey key = LbVipKey.CODEC.newFlyweight();
            key.wrap(arena.allocate(LbVipKey.LAYOUT), 0);
            key.clear().addr(InetAddress.getByName("11.0.0.9")).port(80).proto(6).family(2);
            MemorySegment info = arena.allocate(LbVipInfo.LAYOUT);
            info.set(JAVA_INT, 0, 3);      // vip_id
            info.set(JAVA_INT, 4, 100);    // table_offset, now reserved0
            info.set(JAVA_INT, 8, 1009);   // table_size
            plane.map("lb_vips").put(key.segment(), info);

            try (KernelLbTables tables = new KernelLbTables(plane)) {
                assertArrayEquals(cells, tables.table(3), "the VIP's cells, now in its own table");
                assertFalse(Files.exists(pins.resolve("lb_maglev")), "the retired array is unpinned");
                InstalledVip vip = tables.readVips().get(VipKey.of("11.0.0.9:80", "tcp"));
                assertEquals(new InstalledVip(vip.key(), 3, 1009), vip);
                MemorySegment reread = arena.allocate(LbVipInfo.LAYOUT);
                plane.map("lb_vips").get(key.segment(), reread);
                assertEquals(0, reread.get(JAVA_INT, 4), "reserved0 is zero again");
            }
        } finally {
            plane.unpin();
            plane.close();
            LbTestSupport.deleteTree(pins);
        }
    }
}
