package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.model.BackendSpec;
import io.navstar.agent.lb.model.DesiredState;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.VipKey;
import io.navstar.agent.lb.model.VipSpec;
import io.navstar.agent.lb.plan.Reconciler;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.loader.BpfMap;
import io.navstar.sys.bpf.PossibleCpus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel memory of the data plane's maps: the defaults keep all of it within 1 % of the node's memory, by the
 * model and on this kernel, the model covers the kernel's figure for every map, and the Maglev tables' memory
 * follows the VIPs that exist.
 */
class LbMapMemoryTest {
    private static final long GIB = 1L << 30;

    @ParameterizedTest(name = "{0} GiB, {1} CPUs")
    @CsvSource({"2, 2", "2, 64", "8, 4", "24, 2", "64, 16", "256, 128", "1024, 256"})
    void defaultsKeepEveryMapWithinOnePercentOfTheNodesMemory(long gibibytes, int cpus) {
        long memory = gibibytes * GIB;
        LbSettings settings = LbSettings.defaults(memory, cpus);
        long total = LbMapMemory.modelTotal(settings, cpus);
        assertTrue(total <= memory / 100, String.format(Locale.ROOT, "%s: %,d bytes of maps, %.2f %% of %d GiB",
                settings, total, 100.0 * total / memory, gibibytes));
        assertTrue(settings.maxFlows() >= 4096 && settings.maxVips() >= 256 && settings.maxBackends() >= 256,
                settings.toString());
    }

    @Test
    void biggerNodesGetBiggerTablesUpToTheCaps() {
        LbSettings small = LbSettings.defaults(2 * GIB, 2);
        LbSettings medium = LbSettings.defaults(24 * GIB, 2);
        LbSettings large = LbSettings.defaults(1024 * GIB, 2);
        assertTrue(small.maxFlows() < medium.maxFlows() && medium.maxFlows() < large.maxFlows());
        assertTrue(small.maxVips() < medium.maxVips());
        assertEquals(65_536, large.maxVips());
        assertEquals(262_144, large.maxBackends());
        assertEquals(16_777_216, large.maxFlows());
    }

    /** The kernel's figure for every map is at most the model's, and not far below it (lb_backend_vips fills up). */
    @Test
    void theModelCoversTheKernelsFigureForEveryMap() {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("memmodel");
        int cpus = PossibleCpus.count();
        LbSettings settings = LbSettings.forTests(pins).withSizes(3000, 5000, 70_000);
        LbDataPlane plane = LbDataPlane.open(settings);
        try {
            Map<String, Long> model = LbMapMemory.model(settings, cpus);
            long privateMaps = 0;
            for (Map.Entry<String, BpfMap> map : plane.maps().entrySet()) {
                long kernel = map.getValue().memoryBytes();
                assertTrue(kernel > 0, map.getKey() + " has a kernel figure");
                if (map.getKey().contains("/")) {
                    privateMaps += kernel;
                    continue;
                }
                Long modelled = model.get(map.getKey());
                assertTrue(modelled != null, "the model has no " + map.getKey());
                assertTrue(kernel <= modelled, map.getKey() + ": kernel " + kernel + " > model " + modelled);
                if (!map.getKey().equals("lb_backend_vips")) { // modelled full, empty here
                    assertTrue(modelled <= kernel * 1.05 + 8192, map.getKey() + ": model " + modelled
                            + " far above kernel " + kernel);
                }
            }
            assertTrue(privateMaps <= model.get("private"), "private maps " + privateMaps + " > " + model.get("private"));
            assertTrue(LbMapMemory.maglevTable(1009) >= 1009 * 8, "a cell is 8 bytes in the kernel");
        } finally {
            plane.unpin();
            plane.close();
            LbTestSupport.deleteTree(pins);
        }
    }

    /** This host's defaults, loaded for real: the kernel's figures of all maps together are within 1 % of MemTotal. */
    @Test
    void thisHostsDefaultsTakeAtMostOnePercentOfItsMemoryInTheKernel() {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("memdefaults");
        long memory = LbSettings.totalMemoryBytes();
        LbSettings settings = LbSettings.defaults().withPinDirectory(pins);
        LbDataPlane plane = LbDataPlane.open(settings);
        try {
            long total = 0;
            StringBuilder table = new StringBuilder();
            for (Map.Entry<String, BpfMap> map : plane.maps().entrySet()) {
                long kernel = LbMapMemory.kernelBytes(map.getValue());
                total += kernel;
                table.append(String.format(Locale.ROOT, "| %s | %,d | %,d |%n", map.getKey(),
                        map.getValue().maxEntries(), kernel));
            }
            System.out.printf(Locale.ROOT, "%s%ntotal %,d bytes, %.3f %% of %,d%n", table, total, 100.0 * total / memory,
                    memory);
            assertTrue(total <= memory / 100, String.format(Locale.ROOT, "%,d bytes of maps > 1 %% of %,d (%s)", total,
                    memory, settings));
        } finally {
            plane.unpin();
            plane.close();
            LbTestSupport.deleteTree(pins);
        }
    }

    /** Maglev memory grows with the VIPs applied and shrinks back when they go. */
    @Test
    void maglevMemoryFollowsTheVipsThatExist() {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("memmaglev");
        LbDataPlane plane = LbDataPlane.open(LbSettings.forTests(pins));
        try (KernelLbTables tables = new KernelLbTables(plane)) {
            BpfMap maglev = plane.map("lb_maglev_tables");
            Reconciler reconciler = Reconciler.recover(tables, 1000);
            long none = LbMapMemory.kernelBytes(maglev);

            reconciler.apply(vips(50));
            long fifty = LbMapMemory.kernelBytes(maglev);
            assertTrue(fifty >= none + 50L * 1009 * 8, "50 tables of 1,009 cells: " + none + " -> " + fifty);

            reconciler.apply(vips(100));
            long hundred = LbMapMemory.kernelBytes(maglev);
            assertTrue(hundred >= fifty + 50L * 1009 * 8, "50 more: " + fifty + " -> " + hundred);

            reconciler.apply(vips(10));
            long ten = LbMapMemory.kernelBytes(maglev);
            assertTrue(ten <= none + 10L * LbMapMemory.maglevTable(1009) + 4096, "back to 10: " + ten
                    + " (none: " + none + ")");

            reconciler.apply(vips(0));
            long after = LbMapMemory.kernelBytes(maglev);
            assertTrue(after <= none + 4096, "all gone: " + after + " (none: " + none + "; one shared empty table)");
        } finally {
            plane.unpin();
            plane.close();
            LbTestSupport.deleteTree(pins);
        }
    }

    private static DesiredState vips(int count) {
        List<VipSpec> specs = new ArrayList<>();
        for (int v = 0; v < count; v++) {
            List<BackendSpec> backends = new ArrayList<>();
            for (int b = 0; b < 3; b++) {
                backends.add(new BackendSpec(Endpoint.parse("10.9." + b + "." + (v + 1) + ":8080"), 1));
            }
            specs.add(new VipSpec(VipKey.of("11.9." + (v / 250) + "." + (v % 250 + 1) + ":80", "tcp"), backends));
        }
        return DesiredState.of(specs);
    }
}
