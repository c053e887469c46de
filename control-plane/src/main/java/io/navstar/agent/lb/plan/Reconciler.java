package io.navstar.agent.lb.plan;

import io.navstar.agent.lb.maglev.Maglev;
import io.navstar.agent.lb.model.BackendSpec;
import io.navstar.agent.lb.model.DesiredState;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.VipKey;
import io.navstar.agent.lb.model.VipSpec;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Keeps the kernel's VIPs, backends and Maglev tables equal to a desired state, touching only what
 * differs. Each VIP changes atomically: its new table is written into free cells, then one update of
 * the VIP's entry points it there ({@link KernelTables#putVip}); the old cells are reused only from the
 * next apply on, after any packet that read the old entry is long done. New backends are written before
 * the tables that name them; unused backends are cleared after.
 *
 * <p>{@link #recover} rebuilds the bookkeeping from what the kernel holds, so a restarted agent applies
 * the same state as a no-op and breaks no flow. Thread-safe: applies are serialised.
 */
public final class Reconciler {

    /**
     * What an apply did.
     *
     * @param added        VIPs created
     * @param changed      VIPs pointed at a new table
     * @param removed      VIPs deleted
     * @param unchanged    VIPs left as they were
     * @param cellsWritten Maglev cells written
     */
    public record Report(int added, int changed, int removed, int unchanged, long cellsWritten) {
        /** True when the kernel was already in the desired state. */
        public boolean noop() {
            return added == 0 && changed == 0 && removed == 0;
        }
    }

    private final KernelTables kernel;
    private final int minimumTableSize;
    private final Map<VipKey, InstalledVip> installed;
    private final Map<Endpoint, Integer> backendIds;
    private final Map<Integer, Endpoint> backendsById;
    private final CellAllocator cells;
    private final IdAllocator vipIds;
    private final IdAllocator backendIdAllocator;
    /** Cell ranges {offset, length} freed by the last apply, reusable from the next one. */
    private final List<int[]> quarantine = new ArrayList<>();

    private Reconciler(KernelTables kernel, int minimumTableSize, Map<VipKey, InstalledVip> installed,
                       Map<Integer, Endpoint> backends) {
        this.kernel = kernel;
        this.minimumTableSize = minimumTableSize;
        this.installed = new TreeMap<>(installed);
        this.backendsById = new HashMap<>(backends);
        this.backendIds = new HashMap<>();
        this.cells = new CellAllocator(kernel.maglevCells());
        BitSet vipUsed = new BitSet();
        for (InstalledVip vip : installed.values()) {
            vipUsed.set(vip.vipId());
            if (vip.tableSize() > 0) {
                cells.reserve(vip.tableOffset(), vip.tableSize());
            }
        }
        BitSet backendUsed = new BitSet();
        for (Map.Entry<Integer, Endpoint> e : backends.entrySet()) {
            backendUsed.set(e.getKey());
            backendIds.put(e.getValue(), e.getKey());
        }
        this.vipIds = IdAllocator.recovered(kernel.maxVips(), vipUsed);
        this.backendIdAllocator = IdAllocator.recovered(kernel.maxBackends(), backendUsed);
    }

    /** A reconciler over kernel state that may already hold VIPs (an agent restart). */
    public static Reconciler recover(KernelTables kernel, int minimumTableSize) {
        return new Reconciler(kernel, minimumTableSize, kernel.readVips(), kernel.readBackends());
    }

    /** Applies a desired state with no backend skipped. */
    public Report apply(DesiredState desired) {
        return apply(desired, Set.of());
    }

    /**
     * Makes the kernel hold exactly the desired state. Backends in {@code skipped} (failing health) take
     * no new flows, unless that would leave a VIP with none (then all its backends stay, as Minuteman did).
     * Throws {@link IllegalStateException} when capacity runs out; VIPs applied before that stay applied.
     */
    public synchronized Report apply(DesiredState desired, Set<Endpoint> skipped) {
        for (int[] range : quarantine) {
            cells.release(range[0], range[1]);
        }
        quarantine.clear();

        Set<Endpoint> wanted = new HashSet<>();
        for (VipSpec spec : desired.vips().values()) {
            for (BackendSpec b : spec.backends()) {
                wanted.add(b.endpoint());
            }
        }
        for (Endpoint endpoint : wanted) {
            if (!backendIds.containsKey(endpoint)) {
                int id = backendIdAllocator.allocate();
                if (id < 0) {
                    throw new IllegalStateException("backend capacity " + kernel.maxBackends() + " exhausted");
                }
                kernel.resetBackendStats(id);
                kernel.writeBackend(id, endpoint);
                backendIds.put(endpoint, id);
                backendsById.put(id, endpoint);
            }
        }

        int added = 0;
        int changed = 0;
        int unchanged = 0;
        int removed = 0;
        long written = 0;
        for (VipSpec spec : desired.vips().values()) {
            InstalledVip current = installed.get(spec.key());
            int[] table = table(spec, skipped);
            if (current != null && current.tableSize() == table.length
                    && (table.length == 0 || kernel.cellsEqual(current.tableOffset(), table))) {
                unchanged++;
                continue;
            }
            int offset = 0;
            if (table.length > 0) {
                offset = cells.allocate(table.length);
                if (offset < 0) {
                    throw new IllegalStateException("Maglev cells exhausted: " + table.length + " needed for " + spec.key()
                            + ", " + cells.freeCells() + " of " + cells.capacity() + " free (raise the cell count)");
                }
                kernel.writeCells(offset, table);
                written += table.length;
            }
            int vipId;
            if (current == null) {
                vipId = vipIds.allocate();
                if (vipId < 0) {
                    cells.release(offset, table.length);
                    throw new IllegalStateException("VIP capacity " + kernel.maxVips() + " exhausted");
                }
                kernel.resetVipStats(vipId);
                added++;
            } else {
                vipId = current.vipId();
                quarantine.add(new int[] {current.tableOffset(), current.tableSize()});
                changed++;
            }
            kernel.putVip(spec.key(), vipId, offset, table.length);
            installed.put(spec.key(), new InstalledVip(spec.key(), vipId, offset, table.length));
        }

        List<VipKey> gone = new ArrayList<>();
        for (VipKey key : installed.keySet()) {
            if (!desired.vips().containsKey(key)) {
                gone.add(key);
            }
        }
        for (VipKey key : gone) {
            InstalledVip vip = installed.remove(key);
            kernel.deleteVip(key);
            quarantine.add(new int[] {vip.tableOffset(), vip.tableSize()});
            vipIds.release(vip.vipId());
            removed++;
        }

        List<Endpoint> unused = new ArrayList<>();
        for (Endpoint endpoint : backendIds.keySet()) {
            if (!wanted.contains(endpoint)) {
                unused.add(endpoint);
            }
        }
        for (Endpoint endpoint : unused) {
            int id = backendIds.remove(endpoint);
            backendsById.remove(id);
            kernel.clearBackend(id);
            backendIdAllocator.release(id);
        }
        return new Report(added, changed, removed, unchanged, written);
    }

    /** The VIPs as installed now. */
    public synchronized Map<VipKey, InstalledVip> installed() {
        return Map.copyOf(installed);
    }

    /** The id of a backend, or -1 when it is not installed. */
    public synchronized int backendId(Endpoint endpoint) {
        Integer id = backendIds.get(endpoint);
        return id == null ? -1 : id;
    }

    /** The backend with this id, or null. */
    public synchronized Endpoint backend(int id) {
        return backendsById.get(id);
    }

    /** The Maglev table of backend ids for a VIP; empty when no backend takes new flows. */
    private int[] table(VipSpec spec, Set<Endpoint> skipped) {
        List<BackendSpec> backends = spec.backends();
        int n = backends.size();
        String[] names = new String[n];
        int[] weights = new int[n];
        boolean anyLeft = false;
        for (int i = 0; i < n; i++) {
            BackendSpec b = backends.get(i);
            names[i] = b.endpoint().toString();
            weights[i] = skipped.contains(b.endpoint()) ? 0 : b.weight();
            anyLeft |= weights[i] > 0;
        }
        if (!anyLeft) {
            for (int i = 0; i < n; i++) {
                weights[i] = backends.get(i).weight();
            }
        }
        int m = Maglev.tableSize(n, minimumTableSize);
        int[] slots = Maglev.populate(names, weights, m);
        int[] idOfIndex = new int[n];
        for (int i = 0; i < n; i++) {
            idOfIndex[i] = backendIds.get(backends.get(i).endpoint());
        }
        for (int i = 0; i < slots.length; i++) {
            slots[i] = idOfIndex[slots[i]];
        }
        return slots;
    }
}
