package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.loader.BpfMap;
import io.navstar.loader.spec.MapSpec;
import io.navstar.loader.spec.MapType;
import io.navstar.loader.spec.Pinning;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LbDataPlane#open} (root only): one that fails part-way holds nothing in the kernel afterwards; one after a
 * restart keeps the pinned maps whatever sizes the settings now ask for, and drops the maps no longer used.
 */
class LbDataPlaneTest {

    @Test
    void anObjectsDirectoryWithoutTheObjectIsAnErrorNotTheJarsObject(@TempDir Path dir) {
        String before = System.getProperty("navstar.bpf.dir");
        System.setProperty("navstar.bpf.dir", dir.toString());
        try {
            io.navstar.sys.bpf.BpfException e = assertThrows(io.navstar.sys.bpf.BpfException.class,
                    () -> LbDataPlane.objectBytes("lb_tc"));
            assertTrue(e.getMessage().contains(dir.resolve("lb").resolve("lb_tc.o").toString()), e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty("navstar.bpf.dir");
            } else {
                System.setProperty("navstar.bpf.dir", before);
            }
        }
    }

    @Test
    void aRestartWithOtherSizesKeepsThePinnedMapsAndTheirSizes() {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("resize");
        try {
            LbDataPlane earlier = LbDataPlane.open(LbSettings.forTests(pins).withSizes(1024, 4096, 65_536));
            earlier.close();
            // the defaults moved (another version, or the node's memory): the pins win, nothing is refused
            LbDataPlane restarted = LbDataPlane.open(LbSettings.forTests(pins).withSizes(2048, 8192, 100_000));
            try {
                assertEquals(65_536 / 4, restarted.map(FlowTable.MAP).maxEntries(), "buckets of 4 flows");
                assertEquals(65_536, restarted.map("lb_reverse").maxEntries());
                assertEquals(1024, restarted.map("lb_vip_stats").maxEntries());
                assertEquals(1024, restarted.map("lb_maglev_tables").maxEntries());
                assertEquals(4096, restarted.map("lb_backend_vips").maxEntries());
                assertEquals(1024, restarted.settings().maxVips(), "the settings give the sizes in use");
            } finally {
                restarted.unpin();
                restarted.close();
            }
        } finally {
            LbTestSupport.deleteTree(pins);
        }
    }

    @Test
    void aStartThatFailsOnItsLastObjectUnpinsWhatItPinnedAndKeepsWhatAnEarlierAgentPinned(@TempDir Path objects)
            throws Exception {
        LbTestSupport.assumeRoot();
        Path lb = Files.createDirectories(objects.resolve("lb"));
        for (String name : LbDataPlane.OBJECTS) {
            Files.write(lb.resolve(name + ".o"), LbDataPlane.objectBytes(name));
        }
        byte[] xdp = LbDataPlane.objectBytes("lb_xdp");
        byte[] corrupt = Arrays.copyOf(xdp, xdp.length / 2); // section headers cut off
        Path fresh = LbTestSupport.pinDirectory("failfresh");
        Path restarted = LbTestSupport.pinDirectory("failrestart");
        String previous = System.getProperty("navstar.bpf.dir");
        try {
            LbDataPlane earlier = LbDataPlane.open(LbSettings.forTests(restarted));
            earlier.close(); // an agent that stopped: its pins stay
            long pinned;
            try (var listing = Files.list(restarted)) {
                pinned = listing.count();
            }
            assertTrue(pinned > 5, pinned + " pins");

            System.setProperty("navstar.bpf.dir", objects.toString());
            Files.write(lb.resolve("lb_xdp.o"), corrupt);
            assertThrows(RuntimeException.class, () -> LbDataPlane.open(LbSettings.forTests(fresh)));
            assertFalse(Files.exists(fresh), "a first start that failed leaves no pin directory");

            assertThrows(RuntimeException.class, () -> LbDataPlane.open(LbSettings.forTests(restarted)));
            try (var listing = Files.list(restarted)) {
                assertEquals(pinned, listing.count(), "a restart that failed keeps the earlier agent's maps");
            }
        } finally {
            if (previous == null) {
                System.clearProperty("navstar.bpf.dir");
            } else {
                System.setProperty("navstar.bpf.dir", previous);
            }
            LbTestSupport.deleteTree(fresh);
            LbTestSupport.deleteTree(restarted);
        }
    }

    @Test
    void aStartOverAnEarlierDataPlaneUnpinsItsRetiredSockNatMap() throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("retired");
        try {
            Files.createDirectories(pins);
            Path retired = pins.resolve("lb_sock_nat");
            try (BpfMap earlier = BpfMap.create(new MapSpec("lb_sock_nat", MapType.LRU_HASH, 40, 24, 16, 0,
                    Pinning.NONE, 0, 0, null, null, false))) {
                earlier.pin(retired);
            }
            assertTrue(Files.exists(retired));
            LbDataPlane.open(LbSettings.forTests(pins)).close();
            assertFalse(Files.exists(retired), "lb_sock_nat unpinned: the kernel frees it with its last user");
            assertTrue(Files.exists(pins.resolve("lb_sock_vips")), "its successor is pinned");
        } finally {
            LbTestSupport.deleteTree(pins);
        }
    }

    @Test
    void aStartOverTheLruConnectionTableOfAnEarlierDataPlaneUnpinsItAndTracksFlowsInBuckets() throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("retired-flows");
        try {
            Files.createDirectories(pins);
            Path retired = pins.resolve("lb_flows");
            // the earlier data plane's table, and the reverse table it sized alike (its size is adopted)
            try (BpfMap flows = BpfMap.create(new MapSpec("lb_flows", MapType.LRU_HASH, 40, 48, 4096, 0,
                    Pinning.NONE, 0, 0, null, null, false));
                 BpfMap reverse = BpfMap.create(new MapSpec("lb_reverse", MapType.LRU_HASH, 40, 56, 4096, 0,
                         Pinning.NONE, 0, 0, null, null, false))) {
                flows.pin(retired);
                reverse.pin(pins.resolve("lb_reverse"));
            }
            LbDataPlane plane = LbDataPlane.open(LbSettings.forTests(pins));
            try {
                assertFalse(Files.exists(retired), "lb_flows unpinned: the kernel frees it with its last user");
                assertEquals(4096, plane.settings().maxFlows(), "the pinned reverse table's size is kept");
                assertEquals(1024, plane.map(FlowTable.MAP).maxEntries(), "its successor holds as many flows");
            } finally {
                plane.unpin();
                plane.close();
            }
        } finally {
            LbTestSupport.deleteTree(pins);
        }
    }
}
