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
 * differs. Each VIP changes atomically: its new table is filled aside and swapped into its slot with one
 * update ({@link KernelTables#writeTable}); the kernel frees the old table once no packet holds it. A new
 * VIP's table is in place before its entry; a removed VIP's entry goes before its table, and its id is
 * reused only from the next apply on. New backends are written before the tables that name them; unused
 * backends are cleared after.
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
     * @param cellsWritten Maglev cells written (the sizes of the tables written)
     * @param removedBackends backends no VIP names any more (cleared from the kernel)
     */
    public record Report(int added, int changed, int removed, int unchanged, long cellsWritten,
                         List<Endpoint> removedBackends) {
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
    private final IdAllocator vipIds;
    private final IdAllocator backendIdAllocator;
    /** The spec each installed VIP was last built from (empty after a restart until the first apply). */
    private final Map<VipKey, VipSpec> appliedSpecs = new HashMap<>();
    /** The same spec objects, by identity: the fast test that a VIP is unchanged. */
    private final Map<VipSpec, Boolean> appliedIdentity = new java.util.IdentityHashMap<>();
    /** How many applied specs name each backend. */
    private final Map<Endpoint, Integer> references = new HashMap<>();
    /** Backends that lost a reference during the current apply. */
    private final Set<Endpoint> released = new HashSet<>();
    private Set<Endpoint> lastSkipped = Set.of();
    /** Every backend id in use is below this: written under the lock, read without it (backendIdBound). */
    private volatile int backendIdBound;
    /** False until the first apply after recovery has cleared backends no VIP names. */
    private boolean recoveredBackendsChecked;

    private Reconciler(KernelTables kernel, int minimumTableSize, Map<VipKey, InstalledVip> installed,
                       Map<Integer, Endpoint> backends) {
        this.kernel = kernel;
        this.minimumTableSize = minimumTableSize;
        this.installed = new TreeMap<>(installed);
        this.backendsById = new HashMap<>(backends);
        this.backendIds = new HashMap<>();
        BitSet vipUsed = new BitSet();
        Set<Integer> liveIds = new HashSet<>();
        for (InstalledVip vip : installed.values()) {
            vipUsed.set(vip.vipId());
            liveIds.add(vip.vipId());
        }
        kernel.retainTables(liveIds);
        BitSet backendUsed = new BitSet();
        for (Map.Entry<Integer, Endpoint> e : backends.entrySet()) {
            backendUsed.set(e.getKey());
            backendIds.put(e.getValue(), e.getKey());
        }
        this.vipIds = IdAllocator.recovered(kernel.maxVips(), vipUsed);
        this.backendIdAllocator = IdAllocator.recovered(kernel.maxBackends(), backendUsed);
        this.backendIdBound = backendIdAllocator.bound();
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
        // Which VIPs need a table: new or changed specs, and those whose backends' skip state changed.
        // An unchanged spec object is recognised by identity first, so re-applying a state that differs
        // in one VIP costs one table, not ten thousand.
        Set<Endpoint> skipChanged = new HashSet<>(skipped);
        if (!skipped.equals(lastSkipped)) {
            skipChanged.addAll(lastSkipped);
            Set<Endpoint> both = new HashSet<>(skipped);
            both.retainAll(lastSkipped);
            skipChanged.removeAll(both);
        } else {
            skipChanged.clear();
        }
        List<VipSpec> work = new ArrayList<>();
        int unchanged = 0;
        int stillInstalled = 0;
        for (VipSpec spec : desired.vips().values()) {
            if (appliedIdentity.containsKey(spec)) {
                stillInstalled++;
                if (!touches(spec, skipChanged)) {
                    unchanged++;
                    continue;
                }
            } else {
                VipSpec applied = appliedSpecs.get(spec.key());
                if (applied != null) {
                    stillInstalled++;
                    if (applied.equals(spec) && !touches(spec, skipChanged)) {
                        unchanged++;
                        continue;
                    }
                } else if (installed.containsKey(spec.key())) {
                    stillInstalled++;
                }
            }
            work.add(spec);
        }
        List<VipKey> gone = new ArrayList<>();
        if (stillInstalled < installed.size()) {
            for (VipKey key : installed.keySet()) {
                if (!desired.vips().containsKey(key)) {
                    gone.add(key);
                }
            }
        }

        // Backends: count references of the new specs before dropping those of the old ones, so a backend
        // moving between VIPs keeps its id.
        List<Endpoint> fresh = new ArrayList<>();
        for (VipSpec spec : work) {
            for (BackendSpec b : spec.backends()) {
                if (references.merge(b.endpoint(), 1, Integer::sum) == 1 && !backendIds.containsKey(b.endpoint())) {
                    fresh.add(b.endpoint());
                }
            }
        }
        if (!fresh.isEmpty()) {
            int[] ids = new int[fresh.size()];
            Endpoint[] endpoints = fresh.toArray(new Endpoint[0]);
            for (int i = 0; i < ids.length; i++) {
                ids[i] = backendIdAllocator.allocate();
                if (ids[i] < 0) {
                    for (int j = 0; j < i; j++) {
                        backendIdAllocator.release(ids[j]);
                    }
                    throw new IllegalStateException("backend capacity " + kernel.maxBackends() + " exhausted");
                }
            }
            kernel.resetBackendStats(ids);
            kernel.writeBackends(ids, endpoints);
            for (int i = 0; i < ids.length; i++) {
                backendIds.put(endpoints[i], ids[i]);
                backendsById.put(ids[i], endpoints[i]);
            }
            backendIdBound = backendIdAllocator.bound();
        }

        // Maglev tables are pure computation: build them on every core when there are many, then write in order
        int[][] tables = new int[work.size()][];
        java.util.stream.IntStream range = java.util.stream.IntStream.range(0, work.size());
        (work.size() > 64 ? range.parallel() : range).forEach(i -> tables[i] = table(work.get(i), skipped));

        int added = 0;
        int changed = 0;
        int removed = 0;
        long written = 0;
        // Tables are queued and committed together (one wait for the kernel, not one per VIP); a VIP's entry is
        // written after its table is in place, also when capacity runs out part-way.
        List<InstalledVip> entries = new ArrayList<>();
        try {
            for (int v = 0; v < work.size(); v++) {
                VipSpec spec = work.get(v);
                InstalledVip current = installed.get(spec.key());
                int[] table = tables[v];
                VipSpec previous = appliedSpecs.put(spec.key(), spec);
                if (previous != null) {
                    appliedIdentity.remove(previous);
                    release(previous);
                }
                appliedIdentity.put(spec, Boolean.TRUE);
                if (current != null && current.tableSize() == table.length
                        && (table.length == 0 || kernel.tableEquals(current.vipId(), table))) {
                    unchanged++;
                    continue;
                }
                int vipId;
                if (current == null) {
                    vipId = vipIds.allocate();
                    if (vipId < 0) {
                        throw new IllegalStateException("VIP capacity " + kernel.maxVips() + " exhausted");
                    }
                    kernel.resetVipStats(vipId);
                    added++;
                } else {
                    vipId = current.vipId();
                    changed++;
                }
                if (table.length > 0) {
                    kernel.writeTable(vipId, table);
                    written += table.length;
                } else {
                    kernel.clearTable(vipId);
                }
                entries.add(new InstalledVip(spec.key(), vipId, table.length));
            }
        } finally {
            kernel.commitTables();
            for (InstalledVip vip : entries) {
                kernel.putVip(vip.key(), vip.vipId(), vip.tableSize());
                installed.put(vip.key(), vip);
            }
        }

        for (VipKey key : gone) {
            InstalledVip vip = installed.remove(key);
            kernel.deleteVip(key);
            kernel.clearTable(vip.vipId());
            vipIds.release(vip.vipId());
            VipSpec previous = appliedSpecs.remove(key);
            if (previous != null) {
                appliedIdentity.remove(previous);
                release(previous);
            }
            removed++;
        }
        if (!gone.isEmpty()) {
            kernel.commitTables();
        }

        // Backends nobody references any more (after a restart: those no desired VIP names) are cleared
        List<Endpoint> unused = new ArrayList<>();
        if (!recoveredBackendsChecked) {
            for (Endpoint endpoint : backendIds.keySet()) {
                if (references.getOrDefault(endpoint, 0) == 0) {
                    unused.add(endpoint);
                }
            }
            recoveredBackendsChecked = true;
        } else {
            for (Endpoint endpoint : released) {
                if (references.getOrDefault(endpoint, 0) == 0 && backendIds.containsKey(endpoint)) {
                    unused.add(endpoint);
                }
            }
        }
        released.clear();
        for (Endpoint endpoint : unused) {
            references.remove(endpoint);
            int id = backendIds.remove(endpoint);
            backendsById.remove(id);
            kernel.clearBackend(id);
            backendIdAllocator.release(id);
        }
        backendIdBound = backendIdAllocator.bound();
        lastSkipped = Set.copyOf(skipped);
        return new Report(added, changed, removed, unchanged, written, List.copyOf(unused));
    }

    private static boolean touches(VipSpec spec, Set<Endpoint> endpoints) {
        if (endpoints.isEmpty()) {
            return false;
        }
        for (BackendSpec b : spec.backends()) {
            if (endpoints.contains(b.endpoint())) {
                return true;
            }
        }
        return false;
    }

    /** Drops one reference of each backend of a spec no longer applied. */
    private void release(VipSpec spec) {
        for (BackendSpec b : spec.backends()) {
            Integer n = references.get(b.endpoint());
            if (n != null) {
                if (n <= 1) {
                    references.put(b.endpoint(), 0);
                } else {
                    references.put(b.endpoint(), n - 1);
                }
                released.add(b.endpoint());
            }
        }
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

    /**
     * Every backend id in use is below this: a bound for reading per-backend counters in batches. Read without the
     * lock (a volatile read), so a reader never waits for an apply; during one it may still give the bound before.
     */
    public int backendIdBound() {
        return backendIdBound;
    }

    /** The backend with this id, or null. */
    public synchronized Endpoint backend(int id) {
        return backendsById.get(id);
    }

    /**
     * The Maglev table of backend ids for a VIP; empty when no backend takes new flows: every backend draining
     * (weight 0) or skipped by the health rule. An empty table makes the data plane answer a new flow at once
     * (RST or ICMP unreachable) instead of sending it to backends whose last new flows all went unanswered, where
     * the client would wait out its SYN retries; the skip ends after 30 s and new flows try the backends again.
     * (Backends on unreachable nodes are a different matter: there "all unreachable" more likely means this node is
     * cut off, and the agent keeps them all, as DESIGN.md says.)
     */
    private int[] table(VipSpec spec, Set<Endpoint> skipped) {
        List<BackendSpec> backends = spec.backends();
        int n = backends.size();
        String[] names = new String[n];
        int[] weights = new int[n];
        for (int i = 0; i < n; i++) {
            BackendSpec b = backends.get(i);
            names[i] = b.endpoint().toString();
            weights[i] = skipped.contains(b.endpoint()) ? 0 : b.weight();
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
