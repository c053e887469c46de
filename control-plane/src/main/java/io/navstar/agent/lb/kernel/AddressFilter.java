package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.abi.Abi;
import io.navstar.loader.BpfMap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The control plane's side of an address filter map (lb_vip_filter, lb_backend_filter: one bit per hash of an address,
 * see bpf/include/lb_structs.h). Bits are only ever set: a word is written when one of its bits turns on, so an
 * address already present costs nothing. A copy of the words is read once at construction (the maps are pinned and
 * outlive the agent).
 *
 * <p>Threading: one thread at a time (the owning {@link KernelLbTables}' contract).
 */
final class AddressFilter {
    private final BpfMap map;
    private final long[] words = new long[Abi.ADDR_FILTER_WORDS];
    private final MemorySegment index;
    private final MemorySegment word;

    AddressFilter(BpfMap map, Arena arena) {
        if (map.maxEntries() != Abi.ADDR_FILTER_WORDS) {
            throw new IllegalStateException(map.name() + " has " + map.maxEntries() + " words, expected "
                    + Abi.ADDR_FILTER_WORDS + " (LB_ADDR_FILTER_WORDS)");
        }
        this.map = map;
        this.index = arena.allocate(JAVA_INT);
        this.word = arena.allocate(JAVA_LONG);
        for (int i = 0; i < words.length; i++) {
            index.set(JAVA_INT, 0, i);
            words[i] = map.get(index, word) ? word.get(JAVA_LONG, 0) : 0;
        }
    }

    /** Sets the bit of the 16-byte address field at offset in segment. */
    void add(MemorySegment segment, long offset) {
        int bit = Abi.addressFilterBit(segment, offset);
        int at = bit >>> 6;
        long mask = 1L << (bit & 63);
        if ((words[at] & mask) == 0) {
            words[at] |= mask;
            index.set(JAVA_INT, 0, at);
            word.set(JAVA_LONG, 0, words[at]);
            map.put(index, word);
        }
    }
}
