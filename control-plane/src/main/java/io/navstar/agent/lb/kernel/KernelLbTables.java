package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.abi.Abi;
import io.navstar.agent.lb.abi.LbBackend;
import io.navstar.agent.lb.abi.LbFlow;
import io.navstar.agent.lb.abi.LbFlowKey;
import io.navstar.agent.lb.abi.LbReverseNat;
import io.navstar.agent.lb.abi.LbVipInfo;
import io.navstar.agent.lb.abi.LbVipKey;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.Protocol;
import io.navstar.agent.lb.model.VipKey;
import io.navstar.agent.lb.plan.InstalledVip;
import io.navstar.agent.lb.plan.KernelTables;
import io.navstar.loader.BatchCursor;
import io.navstar.loader.BpfMap;
import io.navstar.sys.bpf.BpfException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@link KernelTables} over the pinned maps of an {@link LbDataPlane}. Each VIP's Maglev table is an inner map of
 * lb_maglev_tables in the slot of its VIP id, M entries: a new table is created and filled with one
 * BPF_MAP_UPDATE_BATCH, and the tables queued by an apply are swapped into their slots with one more (the kernel
 * frees each table it replaces once no program holds it), so kernel memory follows the tables that exist, and the
 * agent maps none of it. A slot with no table holds {@link #emptyTable}, one shared map of one cell naming no
 * backend (a batch can put a map in a slot, not empty it); the data plane treats both alike.
 *
 * <p>Threading: one thread at a time (the {@code Reconciler} serialises applies). Owns one long-lived arena
 * for its scratch flyweights; {@link #close()} releases it.
 */
public final class KernelLbTables implements KernelTables, AutoCloseable {
    /** The retired array of every VIP's cells (struct lb_vip_info's reserved0 was the offset of a VIP's table). */
    static final String RETIRED_CELLS = "lb_maglev";
    /** The one cell of the empty table: LB_NO_BACKEND (bpf/lb/lb_consts.h), which no backend slot has. */
    static final int NO_BACKEND = -1;
    /** Most tables held open before a commit (each is a descriptor until it is in its slot). */
    static final int MAX_QUEUED_TABLES = 1024;
    private final BpfMap vips;
    private final BpfMap backends;
    private final BpfMap vipStats;
    private final BpfMap backendStats;
    private final BpfMap maglevTables;
    /** Put in slots whose VIP has no table, created on first need; ours to close. */
    private BpfMap emptyTable;
    private final List<Integer> queuedSlots = new ArrayList<>();
    private final List<BpfMap> queuedTables = new ArrayList<>();
    private final Arena arena = Arena.ofShared();
    private final LbVipKey vipKey = LbVipKey.CODEC.newFlyweight();
    private final LbVipInfo vipInfo = LbVipInfo.CODEC.newFlyweight();
    private final LbBackend backend = LbBackend.CODEC.newFlyweight();
    private final MemorySegment index;
    private final MemorySegment vipStatsZero;
    private final AddressFilter vipFilter;
    private final AddressFilter backendFilter;
    private final LbDataPlane plane;

    public KernelLbTables(LbDataPlane plane) {
        this.plane = plane;
        this.vips = plane.map("lb_vips");
        this.backends = plane.map("lb_backends");
        this.vipStats = plane.map("lb_vip_stats");
        this.backendStats = plane.map("lb_backend_stats");
        this.maglevTables = plane.map("lb_maglev_tables");
        vipKey.wrap(arena.allocate(LbVipKey.LAYOUT), 0);
        vipInfo.wrap(arena.allocate(LbVipInfo.LAYOUT), 0);
        backend.wrap(arena.allocate(LbBackend.LAYOUT), 0);
        index = arena.allocate(JAVA_INT);
        vipStatsZero = arena.allocate(vipStats.kernelValueSize(), 8);
        vipFilter = new AddressFilter(plane.map("lb_vip_filter"), arena);
        backendFilter = new AddressFilter(plane.map("lb_backend_filter"), arena);
        markInstalled();
        markUnindexedReverseEntries(plane);
        moveRetiredCells(plane.settings().pinDirectory().resolve(RETIRED_CELLS));
    }

    /**
     * Pins of an agent from before lb_maglev_tables kept every VIP's cells in one array, lb_maglev, each VIP naming
     * its slice by offset and size: copies each VIP's slice into a table of its own, then unpins the array (its
     * memory is freed once the old programs that still read it are replaced). Runs before this agent attaches its
     * programs, so they find every table in place.
     */
    private void moveRetiredCells(Path retired) {
        if (!Files.exists(retired)) {
            return;
        }
        try (BpfMap cells = BpfMap.openPinned(retired); Arena local = Arena.ofConfined()) {
            MemorySegment all = cells.mmap(local, false);
            long stride = (cells.valueSize() + 7L) & ~7L;
            long keySize = vips.keySize();
            List<byte[]> keys = new ArrayList<>();
            List<int[]> infos = new ArrayList<>(); // {vip_id, reserved0 (the slice's first cell), table_size, flags}
            LbVipInfo info = LbVipInfo.CODEC.newFlyweight();
            forEachEntry(vips, local, (keyBytes, keyAt, values, valueAt) -> {
                info.wrap(values, valueAt);
                keys.add(keyBytes.asSlice(keyAt, keySize).toArray(JAVA_BYTE));
                infos.add(new int[] {info.vipId(), info.reserved0(), info.tableSize(), info.flags()});
            });
            MemorySegment key = local.allocate(keySize, 8);
            for (int v = 0; v < keys.size(); v++) {
                int[] vip = infos.get(v);
                int offset = vip[1];
                int size = vip[2];
                if (size > 0 && Integer.toUnsignedLong(offset) + size <= cells.maxEntries() && !hasTable(vip[0])) {
                    int[] table = new int[size];
                    for (int i = 0; i < size; i++) {
                        table[i] = all.get(JAVA_INT, (offset + (long) i) * stride);
                    }
                    writeTable(vip[0], table);
                    commitTables(); // the table in its slot before the entry loses its offset
                }
                MemorySegment.copy(keys.get(v), 0, key, JAVA_BYTE, 0, (int) keySize);
                vipInfo.clear().vipId(vip[0]).tableSize(size).flags(vip[3]);
                vips.put(key, vipInfo.segment());
            }
        }
        try {
            Files.deleteIfExists(retired);
        } catch (IOException e) {
            throw new BpfException("unpinning the retired " + retired + ": " + e.getMessage());
        }
    }

    private boolean hasTable(int vipId) {
        index.set(JAVA_INT, 0, vipId);
        return maglevTables.innerMapId(index) != 0;
    }

    /** True for a table that stands for none: one cell naming no backend (what {@link #clearTable} puts). */
    static boolean isEmptyTable(BpfMap table) {
        if (table.maxEntries() != 1) {
            return false;
        }
        try (Arena local = Arena.ofConfined()) {
            MemorySegment key = local.allocate(JAVA_INT);
            MemorySegment value = local.allocate(JAVA_INT);
            return table.get(key, value) && value.get(JAVA_INT, 0) == NO_BACKEND;
        }
    }

    /** Sets the filter bits of the VIPs and backends already in the kernel (pins made before the filters existed). */
    private void markInstalled() {
        for (VipKey vip : readVips().keySet()) {
            fillKey(vip);
            vipFilter.add(vipKey.segment(), 0);
        }
        for (Endpoint endpoint : readBackends().values()) {
            backend.clear().addr(endpoint.address());
            backendFilter.add(backend.segment(), 0);
        }
    }

    /**
     * Pins made before lb_backend_vips existed hold reverse entries no endpoint record points at: say so in
     * lb_state, or egress would pass their replies unNATed (lb_reply in bpf/lb/lb_nat.h).
     */
    private static void markUnindexedReverseEntries(LbDataPlane plane) {
        BpfMap reverse = plane.map("lb_reverse");
        BpfMap endpoints = plane.map("lb_backend_vips");
        try (Arena local = Arena.ofConfined()) {
            MemorySegment reverseKey = local.allocate(reverse.keySize(), 8);
            MemorySegment endpointKey = local.allocate(endpoints.keySize(), 8);
            if (reverse.nextKey(MemorySegment.NULL, reverseKey) == 0
                    && endpoints.nextKey(MemorySegment.NULL, endpointKey) != 0) {
                BpfMap state = plane.map("lb_state");
                MemorySegment key = local.allocate(JAVA_INT);
                MemorySegment flags = local.allocate(JAVA_LONG);
                long old = state.get(key, flags) ? flags.get(JAVA_LONG, 0) : 0;
                flags.set(JAVA_LONG, 0, old | Abi.STATE_REVERSE_UNINDEXED);
                state.put(key, flags);
            }
        }
    }


    @Override
    public int maxVips() {
        return vips.maxEntries();
    }

    @Override
    public int maxBackends() {
        return backends.maxEntries();
    }

    @Override
    public Map<VipKey, InstalledVip> readVips() {
        Map<VipKey, InstalledVip> result = new HashMap<>();
        try (Arena local = Arena.ofConfined()) {
            LbVipKey key = LbVipKey.CODEC.newFlyweight();
            key.wrap(local.allocate(LbVipKey.LAYOUT), 0);
            LbVipKey next = LbVipKey.CODEC.newFlyweight();
            next.wrap(local.allocate(LbVipKey.LAYOUT), 0);
            LbVipInfo info = LbVipInfo.CODEC.newFlyweight();
            info.wrap(local.allocate(LbVipInfo.LAYOUT), 0);
            MemorySegment previous = MemorySegment.NULL;
            while (vips.nextKey(previous, next.segment()) == 0) {
                if (vips.get(next.segment(), info.segment())) {
                    VipKey vip = new VipKey(new Endpoint(next.addr(next.family()), next.port()),
                            Protocol.ofNumber(next.proto()));
                    result.put(vip, new InstalledVip(vip, info.vipId(), info.tableSize()));
                }
                key.segment().copyFrom(next.segment());
                previous = key.segment();
            }
        }
        return result;
    }

    @Override
    public Map<Integer, Endpoint> readBackends() {
        Map<Integer, Endpoint> result = new HashMap<>();
        int batch = 4096;
        long size = LbBackend.LAYOUT.byteSize();
        try (Arena local = Arena.ofConfined()) {
            MemorySegment keys = local.allocate(4L * batch, 8);
            MemorySegment values = local.allocate(size * batch, 8);
            BatchCursor cursor = BatchCursor.start(local, backends);
            LbBackend b = LbBackend.CODEC.newFlyweight();
            while (!cursor.done()) {
                int n = backends.lookupBatch(cursor, keys, values, batch);
                for (int i = 0; i < n; i++) {
                    b.wrap(values, i * size);
                    if (b.family() != 0) {
                        result.put(keys.getAtIndex(JAVA_INT, i), new Endpoint(b.addr(b.family()), b.port()));
                    }
                }
            }
        }
        return result;
    }

    @Override
    public boolean tableEquals(int vipId, int[] backendIds) {
        index.set(JAVA_INT, 0, vipId);
        int id = maglevTables.innerMapId(index);
        if (id == 0) {
            return false;
        }
        try (BpfMap table = BpfMap.openById(id)) {
            return table.maxEntries() == backendIds.length && !isEmptyTable(table)
                    && Arrays.equals(readTable(table), backendIds);
        } catch (BpfException e) {
            return false; // replaced and freed meanwhile (only another writer could): not equal
        }
    }

    /** The backend ids of a table, cell by cell. */
    static int[] readTable(BpfMap table) {
        int size = table.maxEntries();
        int[] cells = new int[size];
        try (Arena local = Arena.ofConfined()) {
            MemorySegment keys = local.allocate(4L * size, 8);
            MemorySegment values = local.allocate(4L * size, 8);
            BatchCursor cursor = BatchCursor.start(local, table);
            int done = 0;
            while (!cursor.done() && done < size) {
                int n = table.lookupBatch(cursor, keys.asSlice(4L * done), values.asSlice(4L * done), size - done);
                done += n;
            }
            for (int i = 0; i < done; i++) {
                cells[keys.getAtIndex(JAVA_INT, i)] = values.getAtIndex(JAVA_INT, i);
            }
        }
        return cells;
    }

    @Override
    public void writeTable(int vipId, int[] backendIds) {
        checkSlot(vipId);
        if (backendIds.length == 0) {
            throw new IllegalArgumentException("a Maglev table has at least one cell (clearTable for none)");
        }
        BpfMap table = maglevTables.createInner(backendIds.length);
        try {
            fill(table, backendIds);
        } catch (RuntimeException e) {
            table.close();
            throw e;
        }
        queue(vipId, table);
    }

    private static void fill(BpfMap table, int[] backendIds) {
        try (Arena local = Arena.ofConfined()) {
            MemorySegment keys = local.allocate(4L * backendIds.length, 8);
            MemorySegment values = local.allocate(4L * backendIds.length, 8);
            for (int i = 0; i < backendIds.length; i++) {
                keys.setAtIndex(JAVA_INT, i, i);
            }
            MemorySegment.copy(backendIds, 0, values, JAVA_INT, 0, backendIds.length);
            writeBatch(table, keys, values, backendIds.length);
        }
    }

    @Override
    public void clearTable(int vipId) {
        checkSlot(vipId);
        if (emptyTable == null) {
            emptyTable = maglevTables.createInner(1);
            fill(emptyTable, new int[] {NO_BACKEND});
        }
        queue(vipId, null);
    }

    /** Queues a table (null: the empty one) for a slot; commits when too many are held open. */
    private void queue(int vipId, BpfMap table) {
        queuedSlots.add(vipId);
        queuedTables.add(table);
        if (queuedTables.size() >= MAX_QUEUED_TABLES) {
            commitTables();
        }
    }

    @Override
    public void commitTables() {
        int count = queuedSlots.size();
        if (count == 0) {
            return;
        }
        try (Arena local = Arena.ofConfined()) {
            MemorySegment keys = local.allocate(4L * count, 8);
            BpfMap[] maps = new BpfMap[count];
            for (int i = 0; i < count; i++) {
                keys.setAtIndex(JAVA_INT, i, queuedSlots.get(i));
                maps[i] = queuedTables.get(i) == null ? emptyTable : queuedTables.get(i);
            }
            maglevTables.putInners(keys, maps); // the switch; the slots now hold the tables, closing ours is fine
        } finally {
            for (BpfMap table : queuedTables) {
                if (table != null) {
                    table.close();
                }
            }
            queuedSlots.clear();
            queuedTables.clear();
        }
    }

    @Override
    public void retainTables(Set<Integer> vipIds) {
        List<Integer> stray = new ArrayList<>();
        forEachTable(maglevTables, (vipId, mapId) -> {
            if (!vipIds.contains(vipId)) {
                stray.add(vipId);
            }
        });
        stray.forEach(this::clearTable);
        commitTables();
    }

    private void checkSlot(int vipId) {
        if (vipId < 0 || vipId >= maglevTables.maxEntries()) {
            throw new BpfException("no Maglev table slot for VIP id " + vipId + " (slots 0.."
                    + (maglevTables.maxEntries() - 1) + ")");
        }
    }

    /** A filled slot of lb_maglev_tables: the VIP id and its table's kernel map id. */
    @FunctionalInterface
    interface TableVisitor {
        void visit(int vipId, int mapId);
    }

    /** The filled slots of an lb_maglev_tables, VIP id to the kernel id of the map in it (one batched read). */
    static Map<Integer, Integer> slots(BpfMap maglevTables) {
        Map<Integer, Integer> slots = new LinkedHashMap<>();
        try (Arena local = Arena.ofConfined()) {
            forEachEntry(maglevTables, local, (keys, keyAt, values, valueAt) ->
                    slots.put(keys.get(JAVA_INT, keyAt), values.get(JAVA_INT, valueAt)));
        }
        return slots;
    }

    /**
     * Shows every slot of an lb_maglev_tables that holds a table standing for one (one batched read of the slots;
     * the kernel skips empty ones, and slots holding an empty table ({@link #isEmptyTable}) are skipped here).
     */
    static void forEachTable(BpfMap maglevTables, TableVisitor visitor) {
        Map<Integer, Boolean> empty = new HashMap<>();
        slots(maglevTables).forEach((vipId, mapId) -> {
            boolean isEmpty = empty.computeIfAbsent(mapId, id -> {
                try (BpfMap table = BpfMap.openById(id)) {
                    return isEmptyTable(table);
                } catch (BpfException e) {
                    return true; // replaced and freed meanwhile
                }
            });
            if (!isEmpty) {
                visitor.visit(vipId, mapId);
            }
        });
    }

    @Override
    public void writeBackends(int[] ids, Endpoint[] endpoints) {
        long size = LbBackend.LAYOUT.byteSize();
        try (Arena local = Arena.ofConfined()) {
            MemorySegment keys = local.allocate(4L * ids.length, 8);
            MemorySegment values = local.allocate(size * ids.length, 8);
            LbBackend b = LbBackend.CODEC.newFlyweight();
            for (int i = 0; i < ids.length; i++) {
                keys.setAtIndex(JAVA_INT, i, ids[i]);
                b.wrap(values, i * size);
                b.clear().addr(endpoints[i].address()).port(endpoints[i].port()).family(endpoints[i].family());
                backendFilter.add(values, i * size); // before any Maglev cell names the backend
            }
            writeBatch(backends, keys, values, ids.length);
        }
    }

    /** BPF_MAP_UPDATE_BATCH until every element is written (the kernel may stop early). */
    private static void writeBatch(BpfMap map, MemorySegment keys, MemorySegment values, int count) {
        long keySize = map.keySize();
        long valueSize = map.kernelValueSize();
        int done = 0;
        while (done < count) {
            int n = map.updateBatch(keys.asSlice(done * keySize), values.asSlice(done * valueSize), count - done, 0);
            if (n <= 0) {
                throw new BpfException("BPF_MAP_UPDATE_BATCH of " + map.name() + " wrote nothing at element " + done);
            }
            done += n;
        }
    }

    @Override
    public void clearBackend(int id) {
        index.set(JAVA_INT, 0, id);
        backend.clear();
        backends.put(index, backend.segment());
    }

    @Override
    public void putVip(VipKey key, int vipId, int tableSize) {
        fillKey(key);
        vipFilter.add(vipKey.segment(), 0); // before the VIP, so no packet to it misses the filter
        vipInfo.clear().vipId(vipId).tableSize(tableSize);
        vips.put(vipKey.segment(), vipInfo.segment());
    }

    @Override
    public void deleteVip(VipKey key) {
        fillKey(key);
        vips.remove(vipKey.segment());
    }

    @Override
    public void resetVipStats(int vipId) {
        index.set(JAVA_INT, 0, vipId);
        vipStats.put(index, vipStatsZero);
    }

    @Override
    public void resetBackendStats(int[] backendIds) {
        try (Arena local = Arena.ofConfined()) {
            MemorySegment keys = local.allocate(4L * backendIds.length, 8);
            MemorySegment.copy(backendIds, 0, keys, JAVA_INT, 0, backendIds.length);
            MemorySegment zeros = local.allocate((long) backendStats.kernelValueSize() * backendIds.length, 8);
            writeBatch(backendStats, keys, zeros, backendIds.length);
        }
    }

    /**
     * What one {@link #sweep} found and removed.
     *
     * @param staleEndpoints   lb_backend_vips records of endpoints no VIP has any more
     * @param removedEndpoints those of them no live flow used, now deleted
     * @param vipBits          lb_vip_filter bits cleared
     * @param backendBits      lb_backend_filter bits cleared
     * @param liveFlows        live connection-table and lb_reverse entries read (0: nothing was stale, no flow was read)
     */
    public record SweepReport(int staleEndpoints, int removedEndpoints, int vipBits, int backendBits, long liveFlows) {
    }

    /**
     * Forgets what removed VIPs and backends left behind, once no live flow needs it: lb_backend_vips records (the
     * data plane adds one per endpoint and never removes it; when the map is full every new flow needs a reverse
     * entry) and filter bits (a stale bit costs the programs a lookup per packet to or from that address). In three
     * steps, so the slow one need not hold up applies: {@link #beginSweep} and {@link #finishSweep} serialised with
     * applies, {@link Sweep#scanFlows} from any thread in between. The caller must drop a sweep when an apply ran
     * between its begin and finish: new flows only go to the VIPs and backends installed at the begin.
     */
    public Sweep beginSweep() {
        long[] vipBits = AddressFilter.emptyWords();
        for (VipKey vip : readVips().keySet()) {
            fillKey(vip);
            AddressFilter.set(vipBits, vipKey.segment(), 0);
        }
        Set<Endpoint> current = new HashSet<>(readBackends().values());
        long[] backendBits = AddressFilter.emptyWords();
        for (Endpoint endpoint : current) {
            backend.clear().addr(endpoint.address());
            AddressFilter.set(backendBits, backend.segment(), 0);
        }
        BpfMap endpointVips = plane.map("lb_backend_vips");
        List<byte[]> stale = new ArrayList<>();
        long[] staleBits = AddressFilter.emptyWords();
        long keySize = endpointVips.keySize();
        LbVipKey key = LbVipKey.CODEC.newFlyweight();
        try (Arena local = Arena.ofConfined()) {
            forEachEntry(endpointVips, local, (keys, at, values, valueAt) -> {
                key.wrap(keys, at);
                // port 0 is no endpoint's: such a record can only be stale (Endpoint refuses it)
                if (key.port() == 0 || !current.contains(new Endpoint(key.addr(key.family()), key.port()))) {
                    stale.add(keys.asSlice(at, keySize).toArray(JAVA_BYTE));
                    AddressFilter.set(staleBits, keys, at);
                }
            });
        }
        boolean needed = !stale.isEmpty() || vipFilter.hasBitsBeyond(vipBits) || backendFilter.hasBitsBeyond(backendBits);
        return new Sweep(plane, vipBits, backendBits, stale, staleBits, needed);
    }

    /** Deletes the stale records no live flow used and clears the filter bits no VIP, backend or live flow has. */
    public SweepReport finishSweep(Sweep sweep) {
        if (!sweep.needed) {
            return new SweepReport(0, 0, 0, 0, 0);
        }
        if (!sweep.scanned) {
            throw new IllegalStateException("a sweep with something stale must scan the flows before it finishes");
        }
        BpfMap endpointVips = plane.map("lb_backend_vips");
        int removed = 0;
        try (Arena local = Arena.ofConfined()) {
            MemorySegment segment = local.allocate(endpointVips.keySize(), 8);
            LbVipKey key = LbVipKey.CODEC.newFlyweight();
            key.wrap(segment, 0);
            for (byte[] bytes : sweep.stale) {
                MemorySegment.copy(bytes, 0, segment, JAVA_BYTE, 0, bytes.length);
                boolean used = key.port() != 0 && sweep.used.contains(new Endpoint(key.addr(key.family()), key.port()));
                if (!used && endpointVips.remove(segment)) {
                    removed++;
                }
            }
        }
        return new SweepReport(sweep.stale.size(), removed, vipFilter.replace(sweep.vipBits),
                backendFilter.replace(sweep.backendBits), sweep.liveFlows);
    }

    /** {@link #beginSweep}, {@link Sweep#scanFlows} and {@link #finishSweep} in one go, with nothing applied between. */
    public SweepReport sweep(long nowNs) {
        Sweep sweep = beginSweep();
        sweep.scanFlows(nowNs);
        return finishSweep(sweep);
    }

    /**
     * A sweep under way: the addresses of the installed VIPs and backends, the stale lb_backend_vips records, and
     * after {@link #scanFlows} what the live flows add. Threading: one thread at a time.
     */
    public static final class Sweep {
        private final LbDataPlane plane;
        private final long[] vipBits;
        private final long[] backendBits;
        private final List<byte[]> stale;
        private final long[] staleBits;
        private final boolean needed;
        private final Set<Endpoint> used = new HashSet<>();
        private long liveFlows;
        private boolean scanned;

        private Sweep(LbDataPlane plane, long[] vipBits, long[] backendBits, List<byte[]> stale, long[] staleBits,
                boolean needed) {
            this.plane = plane;
            this.vipBits = vipBits;
            this.backendBits = backendBits;
            this.stale = stale;
            this.staleBits = staleBits;
            this.needed = needed;
        }

        /** True when something is stale, so the flows must be read. */
        public boolean needed() {
            return needed;
        }

        /**
         * Reads the connection table and lb_reverse (batched) when something is stale, and keeps
         * the addresses and stale endpoints of every live flow. A flow is live while its expires_ns is ahead of nowNs
         * (CLOCK_MONOTONIC, as bpf_ktime_get_ns; System.nanoTime() on Linux); a dead entry a table still holds is
         * treated by the programs as absent (lb_nat.h), so forgetting its addresses changes nothing for its packets.
         */
        public void scanFlows(long nowNs) {
            scanned = true;
            if (!needed) {
                return;
            }
            LbFlowKey flowKey = LbFlowKey.CODEC.newFlyweight();
            try (Arena local = Arena.ofConfined()) {
                LbFlow flow = LbFlow.CODEC.newFlyweight();
                try (FlowTable table = new FlowTable(plane)) {
                    liveFlows += table.forEachLive(nowNs, (ways, at, valueAt) -> {
                        flow.wrap(ways, valueAt);
                        AddressFilter.set(vipBits, ways, at + 16);      // the key's dst: the VIP
                        AddressFilter.set(backendBits, ways, valueAt);  // backend_addr
                        if (flow.backendPort() != 0 && hasBit(staleBits, ways, valueAt)) {
                            flowKey.wrap(ways, at);
                            used.add(new Endpoint(flow.backendAddr(flowKey.family()), flow.backendPort()));
                        }
                    });
                }
                LbReverseNat reverse = LbReverseNat.CODEC.newFlyweight();
                forEachEntry(plane.map("lb_reverse"), local, (keys, at, values, valueAt) -> {
                    reverse.wrap(values, valueAt);
                    if (reverse.expiresNs() - nowNs > 0) {
                        liveFlows++;
                        AddressFilter.set(backendBits, keys, at);         // the key's src: the backend
                        AddressFilter.set(vipBits, values, valueAt);      // vip_addr
                        flowKey.wrap(keys, at);
                        if (flowKey.sport() != 0 && hasBit(staleBits, keys, at)) {
                            used.add(new Endpoint(flowKey.src(flowKey.family()), flowKey.sport()));
                        }
                    }
                });
            }
        }
    }

    private static boolean hasBit(long[] words, MemorySegment segment, long offset) {
        int bit = Abi.addressFilterBit(segment, offset);
        return (words[bit >>> 6] & (1L << (bit & 63))) != 0;
    }

    /** An entry of a batch read: its key at keyOffset in keys, its value at valueOffset in values. */
    @FunctionalInterface
    interface EntryVisitor {
        void visit(MemorySegment keys, long keyOffset, MemorySegment values, long valueOffset);
    }

    /** Reads map in batches (BPF_MAP_LOOKUP_BATCH) and shows every entry to visitor. */
    static void forEachEntry(BpfMap map, Arena arena, EntryVisitor visitor) {
        int batch = 8192;
        long keySize = map.keySize();
        long valueSize = map.kernelValueSize();
        MemorySegment keys = arena.allocate(keySize * batch, 8);
        MemorySegment values = arena.allocate(valueSize * batch, 8);
        BatchCursor cursor = BatchCursor.start(arena, map);
        while (!cursor.done()) {
            int n = map.lookupBatch(cursor, keys, values, batch);
            for (int i = 0; i < n; i++) {
                visitor.visit(keys, i * keySize, values, i * valueSize);
            }
        }
    }

    /** The cells of a VIP id's table, none when it has no table (for tests and the read-back check). */
    public int[] table(int vipId) {
        index.set(JAVA_INT, 0, vipId);
        int id = maglevTables.innerMapId(index);
        if (id == 0) {
            return new int[0];
        }
        try (BpfMap table = BpfMap.openById(id)) {
            return isEmptyTable(table) ? new int[0] : readTable(table);
        }
    }

    private void fillKey(VipKey key) {
        vipKey.clear().addr(key.endpoint().address()).port(key.endpoint().port())
                .proto(key.protocol().number()).family(key.endpoint().family());
    }

    @Override
    public void close() {
        queuedTables.forEach(table -> {
            if (table != null) {
                table.close();
            }
        });
        if (emptyTable != null) {
            emptyTable.close();
        }
        arena.close();
    }
}
