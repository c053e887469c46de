package io.navstar.agent.torture;

import io.navstar.agent.lb.abi.LbVipInfo;
import io.navstar.agent.lb.abi.LbVipKey;
import io.navstar.agent.lb.kernel.PinnedLbMaps;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.Protocol;
import io.navstar.agent.lb.model.VipKey;
import io.navstar.loader.BpfMap;

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
 * them ({@link PinnedLbMaps}): each VIP of lb_vips with the set of backends its Maglev table in lb_maglev points at
 * (ids resolved through lb_backends). Reads only, while the agent runs; {@link #injectStaleVip} and
 * {@link #removeVip} write, for the check that shows a stale kernel is caught. Stateless; each call opens the pins.
 */
final class KernelVipView {
    /** Bytes between lb_maglev cells in its mapping: a __u32 value padded to 8 (kernel/bpf/arraymap.c). */
    private static final long CELL_STRIDE = 8;

    private KernelVipView() {
    }

    /** VIP -> the backends its Maglev table holds (empty for a VIP whose backends all drain). */
    static Map<VipKey, Set<Endpoint>> read(Path pinDirectory) {
        List<PinnedLbMaps.MapDump> dumps;
        try {
            dumps = PinnedLbMaps.read(pinDirectory, name -> name.equals("lb_vips") || name.equals("lb_backends"), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<Long, Endpoint> backends = new HashMap<>();
        List<Map<String, Object>> vips = List.of();
        for (PinnedLbMaps.MapDump dump : dumps) {
            if (dump.name().equals("lb_backends")) {
                for (Map<String, Object> row : dump.rows()) {
                    backends.put((Long) row.get("id"), new Endpoint(Endpoint.literal((String) row.get("addr")),
                            (Integer) row.get("port")));
                }
            } else {
                vips = dump.rows();
            }
        }
        Map<VipKey, Set<Endpoint>> kernel = new TreeMap<>();
        try (Arena arena = Arena.ofConfined(); BpfMap maglev = BpfMap.openPinned(pinDirectory.resolve("lb_maglev"))) {
            MemorySegment cells = maglev.mmap(arena, false);
            for (Map<String, Object> vip : vips) {
                VipKey key = new VipKey(new Endpoint(Endpoint.literal((String) vip.get("addr")), (Integer) vip.get("port")),
                        Protocol.parse((String) vip.get("proto")));
                long offset = (Long) vip.get("table_offset");
                long size = (Long) vip.get("table_size");
                Set<Endpoint> inTable = new TreeSet<>();
                for (long cell = offset; cell < offset + size; cell++) {
                    long id = Integer.toUnsignedLong(cells.get(JAVA_INT, cell * CELL_STRIDE));
                    Endpoint backend = backends.get(id);
                    inTable.add(backend != null ? backend
                            : new Endpoint(Endpoint.literal("0.0.0.0"), (int) Math.min(id, 65535)));
                }
                kernel.put(key, inTable);
            }
        }
        return kernel;
    }

    /**
     * Writes a VIP the agent never made into the node's lb_vips, pointing at the first cells of lb_maglev (a kernel
     * left stale, as by a control loop that missed a change).
     */
    static void injectStaleVip(Path pinDirectory, VipKey key) {
        try (Arena arena = Arena.ofConfined(); BpfMap vips = BpfMap.openPinned(pinDirectory.resolve("lb_vips"))) {
            LbVipKey vipKey = LbVipKey.CODEC.newFlyweight();
            vipKey.wrap(arena.allocate(LbVipKey.LAYOUT), 0);
            LbVipInfo info = LbVipInfo.CODEC.newFlyweight();
            info.wrap(arena.allocate(LbVipInfo.LAYOUT), 0);
            vipKey.clear().addr(key.endpoint().address()).port(key.endpoint().port()).proto(key.protocol().number())
                    .family(key.endpoint().family());
            info.clear().vipId(0).tableOffset(0).tableSize(1).flags(0);
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
