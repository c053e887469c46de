package io.navstar.agent.torture;

import io.navstar.agent.lb.abi.LbVipInfo;
import io.navstar.agent.lb.abi.LbVipKey;
import io.navstar.agent.lb.kernel.PinnedLbMaps;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.Protocol;
import io.navstar.agent.lb.model.VipKey;
import io.navstar.loader.BatchCursor;
import io.navstar.loader.BpfMap;
import io.navstar.sys.bpf.BpfException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A node's load balancer as its kernel holds it, read from the pinned maps the way {@code navstar bpf maps} decodes
 * them ({@link PinnedLbMaps}): each VIP of lb_vips with the set of backends its Maglev table (its slot of
 * lb_maglev_tables) points at, ids resolved through lb_backends. Reads only, while the agent runs;
 * {@link #injectStaleVip} and {@link #removeVip} write, for the check that shows a stale kernel is caught.
 * Stateless; each call opens the pins.
 */
final class KernelVipView {
    private KernelVipView() {
    }

    /**
     * VIP -> the backends its Maglev table holds (empty for a VIP with no usable backend).
     *
     * @throws BpfException when a table is replaced and freed while it is read (read again)
     */
    static Map<VipKey, Set<Endpoint>> read(Path pinDirectory) {
        List<PinnedLbMaps.MapDump> dumps;
        try {
            dumps = PinnedLbMaps.read(pinDirectory, name -> name.equals("lb_vips") || name.equals("lb_backends")
                    || name.equals("lb_maglev_tables"), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<Long, Endpoint> backends = new HashMap<>();
        Map<Long, Long> tableOfVip = new HashMap<>();
        List<Map<String, Object>> vips = List.of();
        for (PinnedLbMaps.MapDump dump : dumps) {
            switch (dump.name()) {
                case "lb_backends" -> {
                    for (Map<String, Object> row : dump.rows()) {
                        backends.put((Long) row.get("id"), new Endpoint(Endpoint.literal((String) row.get("addr")),
                                (Integer) row.get("port")));
                    }
                }
                case "lb_maglev_tables" -> {
                    for (Map<String, Object> row : dump.rows()) {
                        tableOfVip.put((Long) row.get("vip_id"), (Long) row.get("map_id"));
                    }
                }
                default -> vips = dump.rows();
            }
        }
        Map<VipKey, Set<Endpoint>> kernel = new TreeMap<>();
        for (Map<String, Object> vip : vips) {
            VipKey key = new VipKey(new Endpoint(Endpoint.literal((String) vip.get("addr")), (Integer) vip.get("port")),
                    Protocol.parse((String) vip.get("proto")));
            Set<Endpoint> inTable = new TreeSet<>();
            Long table = tableOfVip.get((Long) vip.get("vip_id"));
            if (table != null) {
                for (int id : cells(table.intValue())) {
                    Endpoint backend = backends.get(Integer.toUnsignedLong(id));
                    inTable.add(backend != null ? backend
                            : new Endpoint(Endpoint.literal("0.0.0.0"), (int) Math.min(Integer.toUnsignedLong(id), 65535)));
                }
            }
            kernel.put(key, inTable);
        }
        return kernel;
    }

    /** The backend ids in one Maglev table (an array map of __u32), one batched read. */
    private static Set<Integer> cells(int mapId) {
        Set<Integer> ids = new TreeSet<>();
        try (Arena arena = Arena.ofConfined(); BpfMap table = BpfMap.openById(mapId)) {
            int batch = 8192;
            long valueSize = table.kernelValueSize();
            MemorySegment keys = arena.allocate(4L * batch, 8);
            MemorySegment values = arena.allocate(valueSize * batch, 8);
            BatchCursor cursor = BatchCursor.start(arena, table);
            while (!cursor.done()) {
                int n = table.lookupBatch(cursor, keys, values, batch);
                for (int i = 0; i < n; i++) {
                    ids.add(values.get(JAVA_INT, i * valueSize));
                }
            }
        }
        return ids;
    }

    /**
     * Writes a VIP the agent never made into the node's lb_vips, with the last VIP id and no table (a kernel left
     * stale, as by a control loop that missed a change).
     */
    static void injectStaleVip(Path pinDirectory, VipKey key) {
        try (Arena arena = Arena.ofConfined(); BpfMap vips = BpfMap.openPinned(pinDirectory.resolve("lb_vips"))) {
            LbVipKey vipKey = LbVipKey.CODEC.newFlyweight();
            vipKey.wrap(arena.allocate(LbVipKey.LAYOUT), 0);
            LbVipInfo info = LbVipInfo.CODEC.newFlyweight();
            info.wrap(arena.allocate(LbVipInfo.LAYOUT), 0);
            vipKey.clear().addr(key.endpoint().address()).port(key.endpoint().port()).proto(key.protocol().number())
                    .family(key.endpoint().family());
            info.clear().vipId(vips.maxEntries() - 1).tableSize(0).flags(0);
            vips.put(vipKey.segment(), info.segment());
        }
    }

    /** Removes a VIP from the node's lb_vips (undoes {@link #injectStaleVip}). */
    static void removeVip(Path pinDirectory, VipKey key) {
        try (Arena arena = Arena.ofConfined(); BpfMap vips = BpfMap.openPinned(pinDirectory.resolve("lb_vips"))) {
            LbVipKey vipKey = LbVipKey.CODEC.newFlyweight();
            vipKey.wrap(arena.allocate(LbVipKey.LAYOUT), 0);
            vipKey.clear().addr(key.endpoint().address()).port(key.endpoint().port()).proto(key.protocol().number())
                    .family(key.endpoint().family());
            vips.delete(vipKey.segment());
        }
    }
}
