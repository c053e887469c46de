package io.navstar.agent.lb.plan;

import io.navstar.agent.lb.model.BackendSpec;
import io.navstar.agent.lb.model.DesiredState;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.VipKey;
import io.navstar.agent.lb.model.VipSpec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReconcilerTest {

    private static VipSpec vip(String vip, String... backends) {
        List<BackendSpec> list = new ArrayList<>();
        for (String b : backends) {
            String[] parts = b.split("/");
            list.add(new BackendSpec(Endpoint.parse(parts[0]), parts.length > 1 ? Integer.parseInt(parts[1]) : 1));
        }
        return new VipSpec(VipKey.of(vip, "tcp"), list);
    }

    private static DesiredState state(VipSpec... specs) {
        return DesiredState.of(List.of(specs));
    }

    @Test
    void appliesFromNothingAndThenDoesNothingForTheSameState() {
        InMemoryKernelTables kernel = new InMemoryKernelTables(64, 64);
        Reconciler r = Reconciler.recover(kernel, 1000);
        DesiredState s = state(vip("11.0.0.1:80", "10.0.1.2:80", "10.0.2.2:80", "10.0.3.2:80"),
                vip("11.0.0.2:80", "10.0.1.2:80"));
        Reconciler.Report first = r.apply(s);
        assertEquals(2, first.added());
        assertEquals(2 * 1009, first.cellsWritten());
        Map<Endpoint, Integer> shares = kernel.shares(VipKey.of("11.0.0.1:80", "tcp"));
        assertEquals(3, shares.size());
        shares.values().forEach(c -> assertEquals(1009 / 3.0, c, 1.0));

        int writes = kernel.vipWrites + kernel.backendWrites;
        assertEquals(1, kernel.commits, "both tables swapped in with one commit");
        Reconciler.Report second = r.apply(s);
        assertTrue(second.noop());
        assertEquals(2, second.unchanged());
        assertEquals(writes, kernel.vipWrites + kernel.backendWrites, "nothing written");
    }

    @Test
    void aRestartedReconcilerRecoversFromTheKernelAndChangesNothing() {
        InMemoryKernelTables kernel = new InMemoryKernelTables(64, 64);
        DesiredState s = state(vip("11.0.0.1:80", "10.0.1.2:80", "10.0.2.2:80"), vip("11.0.0.3:53", "10.0.9.9:53/0"));
        Reconciler.recover(kernel, 1000).apply(s);
        Map<VipKey, InstalledVip> before = kernel.readVips();

        Reconciler restarted = Reconciler.recover(kernel, 1000);
        Reconciler.Report report = restarted.apply(s);
        assertTrue(report.noop(), report.toString());
        assertEquals(before, kernel.readVips());
        // and the recovered bookkeeping allocates around what is in use
        restarted.apply(s.with(vip("11.0.0.4:80", "10.0.4.2:80")));
        assertEquals(3, kernel.vips.size());
    }

    @Test
    void changingOneBackendSwapsInANewTableForThatVipOnly() {
        InMemoryKernelTables kernel = new InMemoryKernelTables(64, 64);
        Reconciler r = Reconciler.recover(kernel, 1000);
        VipSpec a = vip("11.0.0.1:80", "10.0.1.2:80", "10.0.2.2:80", "10.0.3.2:80");
        VipSpec b = vip("11.0.0.2:80", "10.0.5.2:80");
        r.apply(state(a, b));
        InstalledVip oldA = kernel.vips.get(a.key());
        InstalledVip oldB = kernel.vips.get(b.key());
        int[] oldTableA = kernel.tables.get(oldA.vipId());
        int[] oldCellsA = oldTableA.clone();
        int[] oldTableB = kernel.tables.get(oldB.vipId());

        Reconciler.Report report = r.apply(state(vip("11.0.0.1:80", "10.0.1.2:80", "10.0.2.2:80"), b));
        assertEquals(1, report.changed());
        assertEquals(1, report.unchanged());
        InstalledVip newA = kernel.vips.get(a.key());
        assertEquals(oldA.vipId(), newA.vipId(), "counters keep their index");
        assertTrue(kernel.tables.get(newA.vipId()) != oldTableA, "a new table swapped in, not the old one rewritten");
        assertArrayEquals(oldCellsA, oldTableA, "the old table untouched");
        assertEquals(oldB, kernel.vips.get(b.key()));
        assertSame(oldTableB, kernel.tables.get(oldB.vipId()), "the unchanged VIP's table not rewritten");
        assertFalse(kernel.backends.containsValue(Endpoint.parse("10.0.3.2:80")), "unused backend cleared");
    }

    @Test
    void drainingBackendStaysInstalledButTakesNoSlot() {
        InMemoryKernelTables kernel = new InMemoryKernelTables(64, 64);
        Reconciler r = Reconciler.recover(kernel, 1000);
        r.apply(state(vip("11.0.0.1:80", "10.0.1.2:80", "10.0.2.2:80/0")));
        Map<Endpoint, Integer> shares = kernel.shares(VipKey.of("11.0.0.1:80", "tcp"));
        assertEquals(Map.of(Endpoint.parse("10.0.1.2:80"), 1009), shares);
        assertTrue(r.backendId(Endpoint.parse("10.0.2.2:80")) >= 0);
    }

    @Test
    void vipWithoutActiveBackendGetsAnEmptyTable() {
        InMemoryKernelTables kernel = new InMemoryKernelTables(64, 64);
        Reconciler r = Reconciler.recover(kernel, 1000);
        r.apply(state(vip("11.0.0.1:80")));
        assertEquals(0, kernel.vips.get(VipKey.of("11.0.0.1:80", "tcp")).tableSize());
    }

    @Test
    void skippedBackendLosesItsSlotsAndAVipWhoseEveryBackendIsSkippedGetsAnEmptyTable() {
        InMemoryKernelTables kernel = new InMemoryKernelTables(64, 64);
        Reconciler r = Reconciler.recover(kernel, 1000);
        DesiredState s = state(vip("11.0.0.1:80", "10.0.1.2:80", "10.0.2.2:80"), vip("11.0.0.2:80", "10.0.2.2:80"));
        r.apply(s, Set.of(Endpoint.parse("10.0.2.2:80")));
        assertEquals(Set.of(Endpoint.parse("10.0.1.2:80")), kernel.shares(VipKey.of("11.0.0.1:80", "tcp")).keySet());
        assertEquals(0, kernel.vips.get(VipKey.of("11.0.0.2:80", "tcp")).tableSize(), "no usable backend: refused at once");
        r.apply(s, Set.of());
        assertEquals(Set.of(Endpoint.parse("10.0.2.2:80")), kernel.shares(VipKey.of("11.0.0.2:80", "tcp")).keySet(),
                "the skip's end gives the table back");
    }

    @Test
    void removedVipsFreeTheirTablesAtOnceAndTheirIdsForLaterApplies() {
        InMemoryKernelTables kernel = new InMemoryKernelTables(3, 64);
        Reconciler r = Reconciler.recover(kernel, 1000);
        r.apply(state(vip("11.0.0.1:80", "10.0.1.2:80"), vip("11.0.0.2:80", "10.0.1.2:80")));
        assertEquals(2, kernel.tables.size());
        r.apply(state(vip("11.0.0.1:80", "10.0.1.2:80")));
        assertEquals(1, kernel.tables.size(), "the removed VIP's table is gone with it");
        r.apply(state(vip("11.0.0.1:80", "10.0.1.2:80"), vip("11.0.0.3:80", "10.0.1.2:80"),
                vip("11.0.0.4:80", "10.0.1.2:80")));
        assertEquals(3, kernel.vips.size());
        assertEquals(3, kernel.tables.size());
        IllegalStateException full = assertThrows(IllegalStateException.class, () -> r.apply(state(
                vip("11.0.0.1:80", "10.0.1.2:80"), vip("11.0.0.3:80", "10.0.1.2:80"),
                vip("11.0.0.4:80", "10.0.1.2:80"), vip("11.0.0.5:80", "10.0.1.2:80"))));
        assertTrue(full.getMessage().contains("VIP capacity 3 exhausted"), full.getMessage());
    }

    @Test
    void aVipLosingEveryBackendLosesItsTableAndGetsItBack() {
        InMemoryKernelTables kernel = new InMemoryKernelTables(64, 64);
        Reconciler r = Reconciler.recover(kernel, 1000);
        r.apply(state(vip("11.0.0.1:80", "10.0.1.2:80")));
        int id = kernel.vips.get(VipKey.of("11.0.0.1:80", "tcp")).vipId();
        r.apply(state(vip("11.0.0.1:80", "10.0.1.2:80/0")));
        assertFalse(kernel.tables.containsKey(id), "no usable backend: an empty slot");
        r.apply(state(vip("11.0.0.1:80", "10.0.1.2:80")));
        assertEquals(1009, kernel.tables.get(id).length);
    }

    @Test
    void aRestartEmptiesTableSlotsNoVipOwns() {
        InMemoryKernelTables kernel = new InMemoryKernelTables(64, 64);
        DesiredState s = state(vip("11.0.0.1:80", "10.0.1.2:80"));
        Reconciler.recover(kernel, 1000).apply(s);
        int live = kernel.vips.get(VipKey.of("11.0.0.1:80", "tcp")).vipId();
        // an agent stopped between writing a new VIP's table and its entry leaves a table behind
        kernel.tables.put(live + 1, new int[] {0});
        Reconciler.recover(kernel, 1000);
        assertEquals(Set.of(live), kernel.tables.keySet());
    }

    @Test
    void tenThousandVipsOfTenBackendsFitAndReadBack() {
        InMemoryKernelTables kernel = new InMemoryKernelTables(10_240, 100_000);
        Reconciler r = Reconciler.recover(kernel, 1000);
        List<VipSpec> specs = new ArrayList<>();
        for (int v = 0; v < 10_000; v++) {
            String[] backends = new String[10];
            for (int b = 0; b < 10; b++) {
                backends[b] = "10." + (b + 1) + "." + (v / 250) + "." + (v % 250 + 1) + ":8080";
            }
            specs.add(vip("11.0." + (v / 250) + "." + (v % 250 + 1) + ":80", backends));
        }
        Reconciler.Report report = r.apply(DesiredState.of(specs));
        assertEquals(10_000, report.added());
        assertEquals(10_000, kernel.vips.size());
        assertEquals(100_000, kernel.backends.size());
        assertEquals(10, kernel.shares(specs.get(1234).key()).size());
    }
}
