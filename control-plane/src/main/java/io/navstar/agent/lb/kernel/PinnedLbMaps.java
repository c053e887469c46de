package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.abi.Abi;
import io.navstar.agent.lb.abi.LbBackend;
import io.navstar.agent.lb.abi.LbBackendVip;
import io.navstar.agent.lb.abi.LbConfig;
import io.navstar.agent.lb.abi.LbFlow;
import io.navstar.agent.lb.abi.LbFlowBucket;
import io.navstar.agent.lb.abi.LbFlowKey;
import io.navstar.agent.lb.abi.LbPeerIface;
import io.navstar.agent.lb.abi.LbReverseNat;
import io.navstar.agent.lb.abi.LbStats;
import io.navstar.agent.lb.abi.LbVipInfo;
import io.navstar.agent.lb.abi.LbVipKey;
import io.navstar.agent.lb.model.AddressText;
import io.navstar.agent.lb.model.Protocol;
import io.navstar.loader.BpfMap;
import io.navstar.loader.map.PerCpu;
import io.navstar.loader.spec.MapType;
import io.navstar.sys.bpf.BpfException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Minuteman's pinned maps read back for people ({@code navstar bpf maps}): each map under a pin directory, opened
 * by its pin (BPF_OBJ_GET, nothing created or written), with its shape, how many entries it holds, the memory it
 * takes and its entries decoded through the lb ABI flyweights (bpf/include/lb_structs.h): addresses as text (RFC
 * 5952 for IPv6), ports in host order, protocols and flags by name, expiry times as milliseconds from now. An
 * entry is a flat map of the C struct's field names (key fields first) to values; padding and address families are
 * left out.
 *
 * <p>What "entries" counts, by map: keys of a hash map; backends in use (family set) in lb_backends; ids with a
 * non-zero counter in the per-CPU stats; bits set in the address filters; Maglev tables (filled slots) in
 * lb_maglev_tables, a row per table; null for the ring buffer and for lb_sock_vips (socket-local storage: its values
 * live on their sockets, which the kernel neither lists by map nor counts in the map's memory). Memory is the kernel's
 * own figure ({@code memlock} in /proc/self/fdinfo, {@link LbMapMemory#kernelBytes}), lb_maglev_tables' with every
 * table in it, when the kernel gives one, else max entries x (key + value size).
 *
 * <p>Threading: stateless; each call reads the maps on the calling thread.
 */
public final class PinnedLbMaps {
    /** Names of the LB_FLOW_F_*, LB_BACKEND_VIP_F_* and LB_STATE_F_* bits, bit 0 first (Abi has their values). */
    private static final List<String> FLOW_FLAGS = List.of("closing", "hairpin", "replied", "csum", "routed");
    private static final List<String> BACKEND_VIP_FLAGS = List.of("shared");
    private static final List<String> STATE_FLAGS = List.of("reverse_unindexed");
    private static final List<String> CONFIG_FLAGS = List.of("legacy_flow_hash");

    private PinnedLbMaps() {
    }

    /**
     * One map as read.
     *
     * @param name          its pin's name
     * @param type          the kernel's map type, lower case ({@code lru_hash})
     * @param keySize       key size in bytes
     * @param valueSize     value size in bytes (one CPU's for per-CPU maps)
     * @param maxEntries    the kernel's max_entries
     * @param capacity      entries it can hold, counted as {@code entries} counts them: max_entries, except for the
     *                      connection table, whose kernel entries are buckets of {@link LbFlowBucket#WAYS} flows
     * @param entries       entries held (see the class comment), null when not counted
     * @param memoryBytes   the memory it takes
     * @param kernelMemlock whether {@code memoryBytes} is the kernel's memlock figure (else estimated)
     * @param rows          decoded entries, at most the limit asked for
     * @param omitted       decoded entries left out by the limit
     */
    public record MapDump(String name, String type, int keySize, int valueSize, int maxEntries, long capacity,
                          Long entries, long memoryBytes, boolean kernelMemlock, List<Map<String, Object>> rows, long omitted) {
    }

    /**
     * Reads the maps pinned directly under {@code pinDirectory} whose names {@code wanted} accepts, sorted by name.
     *
     * @param limit most entries decoded per map; 0 for all
     * @throws IOException when the directory cannot be listed
     */
    public static List<MapDump> read(Path pinDirectory, Predicate<String> wanted, int limit) throws IOException {
        List<Path> pins;
        try (Stream<Path> listing = Files.list(pinDirectory)) {
            pins = listing.filter(p -> !Files.isDirectory(p) && wanted.test(p.getFileName().toString())).sorted().toList();
        }
        List<MapDump> dumps = new ArrayList<>();
        for (Path pin : pins) {
            try (BpfMap map = BpfMap.openPinned(pin)) {
                dumps.add(dump(map, pin.getFileName().toString(), limit));
            }
        }
        return dumps;
    }

    private static MapDump dump(BpfMap map, String name, int limit) {
        Rows rows = new Rows(limit);
        Long entries = switch (name) {
            case "lb_vips" -> read(map, rows, PinnedLbMaps::vip);
            case "lb_backends" -> read(map, rows, PinnedLbMaps::backend);
            case FlowTable.MAP -> flowWays(map, rows);
            case FlowTable.RETIRED_MAP -> read(map, rows, PinnedLbMaps::flow); // an earlier data plane's, until restart
            case "lb_reverse" -> read(map, rows, PinnedLbMaps::reverseNat);
            case "lb_backend_vips" -> read(map, rows, PinnedLbMaps::backendVip);
            case "lb_config" -> read(map, rows, PinnedLbMaps::config);
            case "lb_state" -> read(map, rows, PinnedLbMaps::state);
            case "lb_peer_ifaces" -> read(map, rows, PinnedLbMaps::peerIface);
            case "lb_vip_stats" -> read(map, rows, (keys, keyAt, values, valueAt) ->
                    stats(keys, keyAt, values, valueAt, "refused_flows"));
            case "lb_backend_stats" -> read(map, rows, (keys, keyAt, values, valueAt) ->
                    stats(keys, keyAt, values, valueAt, "replied_flows"));
            case "lb_vip_filter", "lb_backend_filter" -> filterBits(map);
            case "lb_maglev_tables" -> maglevTables(map, rows);
            default -> map.type() == MapType.RINGBUF || map.type() == MapType.SK_STORAGE ? null
                    : read(map, rows, (key, keyAt, value, valueAt) -> null);
        };
        long estimate = (long) map.maxEntries() * (map.keySize() + map.kernelValueSize());
        long memlock = LbMapMemory.kernelBytes(map);
        long capacity = name.equals(FlowTable.MAP) ? (long) map.maxEntries() * LbFlowBucket.WAYS : map.maxEntries();
        return new MapDump(name, map.type().name().toLowerCase(Locale.ROOT), map.keySize(), map.valueSize(),
                map.maxEntries(), capacity, entries, memlock >= 0 ? memlock : estimate, memlock >= 0, rows.shown,
                rows.omitted);
    }

    /** Turns one entry into a row, or null when the entry is empty (an unused array slot). */
    @FunctionalInterface
    private interface Decoder {
        Map<String, Object> decode(MemorySegment keys, long keyAt, MemorySegment values, long valueAt);
    }

    /** The rows kept under the limit, and how many were left out. */
    private static final class Rows {
        final int limit;
        final List<Map<String, Object>> shown = new ArrayList<>();
        long omitted;

        Rows(int limit) {
            this.limit = limit;
        }

        void add(Map<String, Object> row) {
            if (limit == 0 || shown.size() < limit) {
                shown.add(row);
            } else {
                omitted++;
            }
        }
    }

    /** Reads every entry in batches; returns how many decoded to a row (all of them for a decoder of no rows). */
    private static long read(BpfMap map, Rows rows, Decoder decoder) {
        long[] count = {0};
        try (Arena arena = Arena.ofConfined()) {
            KernelLbTables.forEachEntry(map, arena, (keys, keyAt, values, valueAt) -> {
                Map<String, Object> row = decoder.decode(keys, keyAt, values, valueAt);
                if (row != null) {
                    rows.add(row);
                    count[0]++;
                } else if (map.type() != MapType.ARRAY && map.type() != MapType.PERCPU_ARRAY) {
                    count[0]++; // a hash map's entry that has no decoder: counted, not shown
                }
            });
        }
        return count[0];
    }

    /** The connection table's published ways, expired or not, one row each; returns how many. */
    private static long flowWays(BpfMap map, Rows rows) {
        long[] count = {0};
        try (FlowTable table = new FlowTable(map)) {
            table.forEachPublished((ways, keyAt, flowAt) -> {
                rows.add(flow(ways, keyAt, ways, flowAt));
                count[0]++;
            });
        }
        return count[0];
    }

    private static Map<String, Object> vip(MemorySegment keys, long keyAt, MemorySegment values, long valueAt) {
        LbVipKey key = (LbVipKey) new LbVipKey().wrap(keys, keyAt);
        LbVipInfo info = (LbVipInfo) new LbVipInfo().wrap(values, valueAt);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("addr", AddressText.of(key.addr(key.family())));
        row.put("port", key.port());
        row.put("proto", protocol(key.proto()));
        row.put("vip_id", Integer.toUnsignedLong(info.vipId()));
        row.put("table_size", Integer.toUnsignedLong(info.tableSize()));
        row.put("flags", flags(info.flags(), List.of()));
        return row;
    }

    private static Map<String, Object> backend(MemorySegment keys, long keyAt, MemorySegment values, long valueAt) {
        LbBackend backend = (LbBackend) new LbBackend().wrap(values, valueAt);
        if (backend.family() == 0) {
            return null; // a free id
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", Integer.toUnsignedLong(keys.get(JAVA_INT, keyAt)));
        row.put("addr", AddressText.of(backend.addr(backend.family())));
        row.put("port", backend.port());
        row.put("flags", flags(backend.flags(), List.of()));
        return row;
    }

    /** Puts a flow key's fields into the row; returns its address family. */
    private static int flowKey(Map<String, Object> row, MemorySegment keys, long keyAt) {
        LbFlowKey key = (LbFlowKey) new LbFlowKey().wrap(keys, keyAt);
        row.put("src", AddressText.of(key.src(key.family())));
        row.put("sport", key.sport());
        row.put("dst", AddressText.of(key.dst(key.family())));
        row.put("dport", key.dport());
        row.put("proto", protocol(key.proto()));
        return key.family();
    }

    private static Map<String, Object> flow(MemorySegment keys, long keyAt, MemorySegment values, long valueAt) {
        Map<String, Object> row = new LinkedHashMap<>();
        int family = flowKey(row, keys, keyAt);
        LbFlow flow = (LbFlow) new LbFlow().wrap(values, valueAt);
        row.put("backend_addr", AddressText.of(flow.backendAddr(family)));
        row.put("backend_port", flow.backendPort());
        row.put("backend_id", Integer.toUnsignedLong(flow.backendId()));
        row.put("vip_id", Integer.toUnsignedLong(flow.vipId()));
        row.put("flags", flags(flow.flags(), FLOW_FLAGS));
        row.put("expires_in_ms", expiresInMillis(flow.expiresNs()));
        return row;
    }

    private static Map<String, Object> reverseNat(MemorySegment keys, long keyAt, MemorySegment values, long valueAt) {
        Map<String, Object> row = new LinkedHashMap<>();
        int family = flowKey(row, keys, keyAt);
        LbReverseNat nat = (LbReverseNat) new LbReverseNat().wrap(values, valueAt);
        row.put("vip_addr", AddressText.of(nat.vipAddr(family)));
        row.put("vip_port", nat.vipPort());
        row.put("client_addr", AddressText.of(nat.clientAddr(family)));
        row.put("backend_id", Integer.toUnsignedLong(nat.backendId()));
        row.put("vip_id", Integer.toUnsignedLong(nat.vipId()));
        row.put("flags", flags(nat.flags(), FLOW_FLAGS));
        row.put("expires_in_ms", expiresInMillis(nat.expiresNs()));
        return row;
    }

    private static Map<String, Object> backendVip(MemorySegment keys, long keyAt, MemorySegment values, long valueAt) {
        LbVipKey endpoint = (LbVipKey) new LbVipKey().wrap(keys, keyAt);
        LbBackendVip vip = (LbBackendVip) new LbBackendVip().wrap(values, valueAt);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("addr", AddressText.of(endpoint.addr(endpoint.family())));
        row.put("port", endpoint.port());
        row.put("proto", protocol(endpoint.proto()));
        row.put("vip_addr", AddressText.of(vip.vipAddr(endpoint.family())));
        row.put("vip_port", vip.vipPort());
        row.put("flags", flags(vip.flags(), BACKEND_VIP_FLAGS));
        return row;
    }

    private static Map<String, Object> peerIface(MemorySegment keys, long keyAt, MemorySegment values, long valueAt) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("ifindex", keys.get(JAVA_INT, keyAt));
        row.put("mac", HexFormat.ofDelimiter(":").formatHex(
                values.asSlice(valueAt + LbPeerIface.MAC, LbPeerIface.MAC_BYTES).toArray(JAVA_BYTE)));
        return row;
    }

    private static Map<String, Object> config(MemorySegment keys, long keyAt, MemorySegment values, long valueAt) {
        LbConfig config = (LbConfig) new LbConfig().wrap(values, valueAt);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("tcp_timeout_s", config.tcpTimeoutNs() / 1_000_000_000.0);
        row.put("tcp_closing_s", config.tcpClosingNs() / 1_000_000_000.0);
        row.put("udp_timeout_s", config.udpTimeoutNs() / 1_000_000_000.0);
        // the field holds the address's bytes in network order, written as a native int (LbDataPlane.writeConfig)
        byte[] v4 = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(config.hairpinAddr4()).array();
        InetAddress v6 = config.hairpinAddr6(Abi.AF_INET6);
        row.put("hairpin_addr4", config.hairpinAddr4() == 0 ? null : AddressText.of(address(v4)));
        row.put("hairpin_addr6", v6.isAnyLocalAddress() ? null : AddressText.of(v6));
        row.put("flags", flags(config.flags(), CONFIG_FLAGS));
        return row;
    }

    private static Map<String, Object> state(MemorySegment keys, long keyAt, MemorySegment values, long valueAt) {
        Map<String, Object> row = new LinkedHashMap<>();
        long flags = values.get(JAVA_LONG, valueAt);
        row.put("flags", flags((int) flags, STATE_FLAGS));
        return row;
    }

    /**
     * A per-CPU counter slot summed over the CPUs, its last counter under the name it has in this map (a VIP's
     * refused_flows, a backend's replied_flows); null when every counter is zero.
     */
    private static Map<String, Object> stats(MemorySegment keys, long keyAt, MemorySegment values, long valueAt,
                                             String lastCounter) {
        @SuppressWarnings("unchecked")
        PerCpu<LbStats> perCpu = (PerCpu<LbStats>) PerCpu.codec(LbStats.CODEC).newFlyweight()
                .wrap(values, valueAt);
        long packets = 0;
        long bytes = 0;
        long newFlows = 0;
        long refusedOrReplied = 0;
        for (int cpu = 0; cpu < perCpu.cpus(); cpu++) {
            LbStats stats = perCpu.cpu(cpu);
            packets += stats.packets();
            bytes += stats.bytes();
            newFlows += stats.newFlows();
            refusedOrReplied += stats.refusedFlows(); // a backend's repliedFlows(): the same slot
        }
        if ((packets | bytes | newFlows | refusedOrReplied) == 0) {
            return null;
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", Integer.toUnsignedLong(keys.get(JAVA_INT, keyAt)));
        row.put("packets", packets);
        row.put("bytes", bytes);
        row.put("new_flows", newFlows);
        row.put(lastCounter, refusedOrReplied);
        return row;
    }

    private static long filterBits(BpfMap map) {
        long[] bits = {0};
        try (Arena arena = Arena.ofConfined()) {
            KernelLbTables.forEachEntry(map, arena,
                    (keys, keyAt, values, valueAt) -> bits[0] += Long.bitCount(values.get(JAVA_LONG, valueAt)));
        }
        return bits[0];
    }

    /** A row per Maglev table in lb_maglev_tables (its VIP id, map id and cells); returns how many there are. */
    private static long maglevTables(BpfMap maglevTables, Rows rows) {
        long[] count = {0};
        KernelLbTables.forEachTable(maglevTables, (vipId, mapId) -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("vip_id", Integer.toUnsignedLong(vipId));
            row.put("map_id", Integer.toUnsignedLong(mapId));
            try (BpfMap table = BpfMap.openById(mapId)) {
                row.put("cells", table.maxEntries());
                row.put("memory_bytes", table.memoryBytes());
            } catch (BpfException e) {
                return; // replaced and freed between the read of the slot and the open
            }
            rows.add(row);
            count[0]++;
        });
        return count[0];
    }

    /** Flag names for the set bits, bit 0 first; a bit without a name as hex. */
    static List<String> flags(int value, List<String> namesByBit) {
        List<String> names = new ArrayList<>();
        for (int bit = 0; bit < 32; bit++) {
            if ((value & (1 << bit)) != 0) {
                names.add(bit < namesByBit.size() ? namesByBit.get(bit) : "0x" + Integer.toHexString(1 << bit));
            }
        }
        return names;
    }

    private static String protocol(int number) {
        try {
            return Protocol.ofNumber(number).name().toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return String.valueOf(number);
        }
    }

    /** Milliseconds until a CLOCK_MONOTONIC deadline (negative once past; System.nanoTime() is that clock on Linux). */
    private static long expiresInMillis(long deadlineNs) {
        return (deadlineNs - System.nanoTime()) / 1_000_000;
    }

    private static InetAddress address(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // four bytes always make an address
        }
    }
}
