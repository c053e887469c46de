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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@link KernelTables} over the pinned maps of an {@link LbDataPlane}. Maglev tables are written straight
 * into lb_maglev through a shared mmap (the map is BPF_F_MMAPABLE), so a table of a thousand cells costs
 * a memory copy, not a thousand syscalls; the VIP switch is one BPF_MAP_UPDATE_ELEM of lb_vips, and the
 * syscall orders the cell stores before it (on x86 stores are not reordered with later stores anyway).
 *
 * <p>Threading: one thread at a time (the {@code Reconciler} serialises applies). Owns one long-lived arena
 * for its scratch flyweights; {@link #close()} releases it and the mapping.
 */
public final class KernelLbTables implements KernelTables, AutoCloseable {
    /** Bytes between cells in the mapping: a __u32 value padded to 8. */
    static final long CELL_STRIDE = 8;
    private final BpfMap vips;
    private final BpfMap backends;
    private final BpfMap vipStats;
    private final BpfMap backendStats;
    private final int maglevCells;
    private final MemorySegment cells;
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
        BpfMap maglev = plane.map("lb_maglev");
        this.maglevCells = maglev.maxEntries();
        // an array map's elements are value_size rounded up to 8 bytes (kernel/bpf/arraymap.c): CELL_STRIDE
        this.cells = maglev.mmap(arena);
        vipKey.wrap(arena.allocate(LbVipKey.LAYOUT), 0);
        vipInfo.wrap(arena.allocate(LbVipInfo.LAYOUT), 0);
        backend.wrap(arena.allocate(LbBackend.LAYOUT), 0);
        index = arena.allocate(JAVA_INT);
        vipStatsZero = arena.allocate(vipStats.kernelValueSize(), 8);
        vipFilter = new AddressFilter(plane.map("lb_vip_filter"), arena);
        backendFilter = new AddressFilter(plane.map("lb_backend_filter"), arena);
        markInstalled();
        markUnindexedReverseEntries(plane);
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
    public int maglevCells() {
        return maglevCells;
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
                    result.put(vip, new InstalledVip(vip, info.vipId(), info.tableOffset(), info.tableSize()));
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
    public boolean cellsEqual(int offset, int[] backendIds) {
        checkRange(offset, backendIds.length);
        long base = offset * CELL_STRIDE;
        for (int i = 0; i < backendIds.length; i++) {
            if (cells.get(JAVA_INT, base + i * CELL_STRIDE) != backendIds[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void writeCells(int offset, int[] backendIds) {
        checkRange(offset, backendIds.length);
        long base = offset * CELL_STRIDE;
        for (int i = 0; i < backendIds.length; i++) {
            cells.set(JAVA_INT, base + i * CELL_STRIDE, backendIds[i]);
        }
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
    public void putVip(VipKey key, int vipId, int tableOffset, int tableSize) {
        fillKey(key);
        vipFilter.add(vipKey.segment(), 0); // before the VIP, so no packet to it misses the filter
        vipInfo.clear().vipId(vipId).tableOffset(tableOffset).tableSize(tableSize);
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
     * @param liveFlows        live lb_flows and lb_reverse entries read (0: nothing was stale, no flow was read)
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
         * Reads lb_flows and lb_reverse (batched; about 0.4 s for a million flows) when something is stale, and keeps
         * the addresses and stale endpoints of every live flow. A flow is live while its expires_ns is ahead of nowNs
         * (CLOCK_MONOTONIC, as bpf_ktime_get_ns; System.nanoTime() on Linux); a dead entry the LRU still holds is
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
                forEachEntry(plane.map("lb_flows"), local, (keys, at, values, valueAt) -> {
                    flow.wrap(values, valueAt);
                    if (flow.expiresNs() - nowNs > 0) {
                        liveFlows++;
                        AddressFilter.set(vipBits, keys, at + 16);        // the key's dst: the VIP
                        AddressFilter.set(backendBits, values, valueAt);  // backend_addr
                        if (flow.backendPort() != 0 && hasBit(staleBits, values, valueAt)) {
                            flowKey.wrap(keys, at);
                            used.add(new Endpoint(flow.backendAddr(flowKey.family()), flow.backendPort()));
                        }
                    }
                });
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

    /** The backend id in a cell (for tests and the read-back check). */
    public int cell(int index) {
        checkRange(index, 1);
        return cells.get(JAVA_INT, index * CELL_STRIDE);
    }

    private void fillKey(VipKey key) {
        vipKey.clear().addr(key.endpoint().address()).port(key.endpoint().port())
                .proto(key.protocol().number()).family(key.endpoint().family());
    }

    private void checkRange(int offset, int length) {
        if (offset < 0 || (long) offset + length > maglevCells) {
            throw new BpfException("Maglev cells [" + offset + ", " + ((long) offset + length) + ") outside lb_maglev of "
                    + maglevCells);
        }
    }

    @Override
    public void close() {
        arena.close(); // unmaps the cells too
    }
}
