package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.abi.Abi;
import io.navstar.agent.lb.abi.LbBackend;
import io.navstar.agent.lb.abi.LbBackendVip;
import io.navstar.agent.lb.abi.LbConfig;
import io.navstar.agent.lb.abi.LbFlowBucket;
import io.navstar.agent.lb.abi.LbFlowKey;
import io.navstar.agent.lb.abi.LbPeerIface;
import io.navstar.agent.lb.abi.LbReverseNat;
import io.navstar.agent.lb.abi.LbStats;
import io.navstar.agent.lb.abi.LbVipInfo;
import io.navstar.agent.lb.abi.LbVipKey;
import io.navstar.loader.BpfMap;
import io.navstar.sys.bpf.BpfException;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The kernel memory of Minuteman's maps: a model from their sizes, which {@link LbSettings#defaults(long, int)}
 * sizes them by, and the kernel's own figures, which {@code navstar bpf maps} and the metrics report. The model
 * follows the kernel's allocations per map type (kernel/bpf/arraymap.c, hashtab.c, ringbuf.c, each type's
 * map_mem_usage, which is what fdinfo's {@code memlock} shows since Linux 6.4), rounded up: an allowance per map for
 * its header, and hash buckets counted at a power of two. docs/kernel-memory.md gives the figures per entry;
 * {@code LbMapMemoryTest} checks the model against the kernel's figures for every map.
 *
 * <p>Stateless and thread-safe.
 */
public final class LbMapMemory {
    /** struct htab_elem before its key (its LRU node included): what a hash or LRU element costs beyond key and value. */
    static final long HASH_ELEMENT_OVERHEAD = 48;
    /** One hash bucket (struct bucket: a list head and a lock); a table has max_entries rounded up to a power of two. */
    static final long HASH_BUCKET = 16;
    /** A per-CPU array element's pointer to its per-CPU copies. */
    static final long PERCPU_POINTER = 8;
    /** An allowance per map for its struct and rounding (the kernel's are a few hundred bytes to a page). */
    static final long MAP_OVERHEAD = 4096;
    /** An inner map slot of a map of maps: one pointer. */
    static final long SLOT = 8;
    /** LB_EVENTS_BYTES (bpf/lb/lb_consts.h): the event ring's data. */
    public static final long EVENTS_BYTES = 1L << 22;
    /** LB_DROP_SLOTS (bpf/lb/lb_consts.h): per-CPU counters of lb_drops. */
    static final int DROP_SLOTS = 64;
    /** Maps each object keeps to itself (lb_clock, lb_scratch, and room for global data), per object. */
    static final int PRIVATE_MAPS_PER_OBJECT = 4;
    /** Bytes per CPU each private map may take (lb_scratch's buffer, 128 bytes, is the largest). */
    static final long PRIVATE_MAP_PER_CPU = 256;
    /** LB_ROUTE_SLOTS (bpf/lb/lb_consts.h): slots per CPU of lb_tc's own route cache (lb_route_cache). */
    static final int ROUTE_SLOTS = 1024;
    /** sizeof(struct lb_route_slot) (bpf/lb/lb_tc.bpf.c). */
    static final long ROUTE_SLOT_BYTES = 48;
    private static final long PAGE = 4096;

    private LbMapMemory() {
    }

    // ------------------------------------------------------------------------------------- model, per type

    /** An array (BPF_MAP_TYPE_ARRAY): values rounded up to 8 bytes. */
    public static long array(long entries, long valueSize) {
        return MAP_OVERHEAD + entries * round8(valueSize);
    }

    /** A per-CPU array: a pointer per entry and a copy of the value per possible CPU. */
    public static long perCpuArray(long entries, long valueSize, int cpus) {
        return MAP_OVERHEAD + entries * (PERCPU_POINTER + round8(valueSize) * cpus);
    }

    /** A preallocated hash: every element allocated at creation, plus one spare per CPU, and the buckets. */
    public static long hash(long entries, long keySize, long valueSize, int cpus) {
        return MAP_OVERHEAD + (entries + cpus) * hashElement(keySize, valueSize) + buckets(entries);
    }

    /** An LRU hash (always preallocated). */
    public static long lruHash(long entries, long keySize, long valueSize) {
        return MAP_OVERHEAD + entries * hashElement(keySize, valueSize) + buckets(entries);
    }

    /** A hash created with BPF_F_NO_PREALLOC holding {@code used} elements: buckets up front, elements as added. */
    public static long hashNoPrealloc(long entries, long used, long keySize, long valueSize) {
        return MAP_OVERHEAD + used * hashElement(keySize, valueSize) + buckets(entries);
    }

    /** A ring buffer: its data pages, mapped twice (a pointer per page each time), and its header pages. */
    public static long ringBuffer(long bytes) {
        return MAP_OVERHEAD + bytes + 2 * (bytes / PAGE) * 8 + 3 * PAGE;
    }

    /** An array of maps: a pointer per slot (the inner maps count as maps of their own). */
    public static long arrayOfMaps(long entries) {
        return MAP_OVERHEAD + entries * SLOT;
    }

    /** One VIP's Maglev table of M cells (an inner array of __u32 backend ids). */
    public static long maglevTable(int m) {
        return array(m, 4);
    }

    // ------------------------------------------------------------------------------------ model, per map

    /**
     * The modelled kernel memory of every map the data plane creates with these settings on a host with
     * {@code cpus} possible CPUs, by map name, with no Maglev table yet (each VIP's adds {@link #maglevTable}) and
     * lb_backend_vips full. The objects' private maps are summed under "private".
     */
    public static Map<String, Long> model(LbSettings settings, int cpus) {
        Map<String, Long> maps = new LinkedHashMap<>();
        int vips = settings.maxVips();
        int backends = settings.maxBackends();
        int flows = settings.maxFlows();
        long stats = LbStats.LAYOUT.byteSize();
        maps.put("lb_vips", hash(vips, LbVipKey.LAYOUT.byteSize(), LbVipInfo.LAYOUT.byteSize(), cpus));
        maps.put("lb_vip_stats", perCpuArray(vips, stats, cpus));
        maps.put("lb_maglev_tables", arrayOfMaps(vips));
        maps.put("lb_backends", array(backends, LbBackend.LAYOUT.byteSize()));
        maps.put("lb_backend_stats", perCpuArray(backends, stats, cpus));
        maps.put("lb_backend_vips", hashNoPrealloc(backends, backends, LbVipKey.LAYOUT.byteSize(),
                LbBackendVip.LAYOUT.byteSize()));
        maps.put(FlowTable.MAP, array(FlowTable.bucketCount(flows), LbFlowBucket.LAYOUT.byteSize()));
        maps.put("lb_reverse", lruHash(flows, LbFlowKey.LAYOUT.byteSize(), LbReverseNat.LAYOUT.byteSize()));
        maps.put("lb_sock_vips", (long) MAP_OVERHEAD); // socket storage: its values live on their sockets
        maps.put("lb_vip_filter", array(Abi.ADDR_FILTER_WORDS, 8));
        maps.put("lb_backend_filter", array(Abi.ADDR_FILTER_WORDS, 8));
        maps.put("lb_state", array(1, 8));
        maps.put("lb_peer_ifaces", hash(Abi.MAX_PEER_IFACES, 4, LbPeerIface.LAYOUT.byteSize(), cpus));
        maps.put("lb_config", array(1, LbConfig.LAYOUT.byteSize()));
        maps.put("lb_drops", perCpuArray(DROP_SLOTS, 8, cpus));
        maps.put("lb_events", ringBuffer(EVENTS_BYTES));
        maps.put("private", (long) LbDataPlane.OBJECTS.size() * PRIVATE_MAPS_PER_OBJECT
                * (MAP_OVERHEAD + PRIVATE_MAP_PER_CPU * cpus) + perCpuArray(ROUTE_SLOTS, ROUTE_SLOT_BYTES, cpus));
        return maps;
    }

    /** The sum of {@link #model}. */
    public static long modelTotal(LbSettings settings, int cpus) {
        return model(settings, cpus).values().stream().mapToLong(Long::longValue).sum();
    }

    /** What one more VIP costs (its entry, counters and table slot), without its Maglev table. */
    static long perVip(int cpus) {
        return hashElement(LbVipKey.LAYOUT.byteSize(), LbVipInfo.LAYOUT.byteSize()) + 2 * HASH_BUCKET
                + PERCPU_POINTER + round8(LbStats.LAYOUT.byteSize()) * cpus + SLOT;
    }

    /** What one more backend costs (its slot, counters and endpoint record, buckets at worst). */
    static long perBackend(int cpus) {
        return round8(LbBackend.LAYOUT.byteSize()) + PERCPU_POINTER + round8(LbStats.LAYOUT.byteSize()) * cpus
                + hashElement(LbVipKey.LAYOUT.byteSize(), LbBackendVip.LAYOUT.byteSize()) + 2 * HASH_BUCKET;
    }

    /**
     * What one more flow costs in the two flow-sized tables: a way of a connection-table bucket, and an lb_reverse
     * element (its hash buckets at worst), for a count of flows that is a power of two (the buckets' count is one).
     */
    static long perFlow() {
        return round8(LbFlowBucket.LAYOUT.byteSize()) / LbFlowBucket.WAYS
                + hashElement(LbFlowKey.LAYOUT.byteSize(), LbReverseNat.LAYOUT.byteSize()) + 2 * HASH_BUCKET;
    }

    /** The maps whose size does not depend on the settings' counts (filters, ring, counters, private maps). */
    static long fixed(int cpus) {
        LbSettings none = LbSettings.forTests(LbSettings.PRODUCTION_PIN_DIRECTORY).withSizes(1, 1, 1);
        Map<String, Long> maps = model(none, cpus);
        return maps.values().stream().mapToLong(Long::longValue).sum();
    }

    // ------------------------------------------------------------------------------------ kernel figures

    /**
     * The kernel's figure for a map ({@link BpfMap#memoryBytes}); for lb_maglev_tables, its own plus that of every
     * table in it. -1 when the kernel gives none.
     */
    public static long kernelBytes(BpfMap map) {
        long own = map.memoryBytes();
        if (own < 0 || !map.name().equals("lb_maglev_tables")) {
            return own;
        }
        return own + maglevTablesBytes(map);
    }

    /**
     * The kernel's figures of every table in an lb_maglev_tables, summed, each map once (slots without a table share
     * one empty table); a table freed meanwhile counts 0.
     */
    public static long maglevTablesBytes(BpfMap maglevTables) {
        long sum = 0;
        for (int mapId : new HashSet<>(KernelLbTables.slots(maglevTables).values())) {
            try (BpfMap table = BpfMap.openById(mapId)) {
                sum += Math.max(0, table.memoryBytes());
            } catch (BpfException e) {
                // replaced and freed between the read of the slot and the open
            }
        }
        return sum;
    }

    private static long hashElement(long keySize, long valueSize) {
        return HASH_ELEMENT_OVERHEAD + round8(keySize) + round8(valueSize);
    }

    private static long buckets(long entries) {
        return HASH_BUCKET * Long.highestOneBit(Math.max(1, 2 * entries - 1));
    }

    private static long round8(long bytes) {
        return (bytes + 7) & ~7L;
    }
}
