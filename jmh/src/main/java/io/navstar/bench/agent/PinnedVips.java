package io.navstar.bench.agent;

import io.navstar.agent.lb.abi.LbVipKey;
import io.navstar.loader.BpfMap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * The {@code lb_vips} map an nscluster node's agent pinned ({@code /sys/fs/bpf/NAME-nI/lb_vips}), opened from
 * outside the agent to see what the kernel holds. Stateless; a map's descriptor may be used from any thread.
 */
final class PinnedVips {
    private PinnedVips() {
    }

    static BpfMap open(String cluster, int node) {
        return BpfMap.openPinned(Path.of("/sys/fs/bpf", cluster + "-n" + node, "lb_vips"));
    }

    /** How many VIPs the map holds now (walks its keys). */
    static int count(BpfMap vips) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(LbVipKey.LAYOUT);
            MemorySegment next = arena.allocate(LbVipKey.LAYOUT);
            int count = 0;
            MemorySegment at = MemorySegment.NULL;
            while (vips.nextKey(at, next) == 0) {
                count++;
                MemorySegment.copy(next, 0, key, 0, key.byteSize());
                at = key;
            }
            return count;
        }
    }
}
