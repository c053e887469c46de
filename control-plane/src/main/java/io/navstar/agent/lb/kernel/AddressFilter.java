package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.abi.Abi;
import io.navstar.loader.BatchCursor;
import io.navstar.loader.BpfMap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The control plane's side of an address filter map (lb_vip_filter, lb_backend_filter: one bit per hash of an address,
 * see bpf/include/lb_structs.h). {@link #add} only sets bits: a word is written when one of its bits turns on, so an
 * address already present costs nothing. Bits are cleared only by {@link #replace}, with words the caller computed
 * from every address still in use (KernelLbTables' sweep). A copy of the words is read once at construction (the maps
 * are pinned and outlive the agent).
 *
 * <p>Threading: one thread at a time (the owning {@link KernelLbTables}' contract).
 */
final class AddressFilter {
    private final BpfMap map;
    private final long[] words = emptyWords();
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
        // one BPF_MAP_LOOKUP_BATCH for the whole array (a lookup per word took 10 ms per filter)
        try (Arena local = Arena.ofConfined()) {
            MemorySegment keys = local.allocate(JAVA_INT, words.length);
            MemorySegment values = local.allocate(JAVA_LONG, words.length);
            BatchCursor cursor = BatchCursor.start(local, map);
            while (!cursor.done()) {
                int n = map.lookupBatch(cursor, keys, values, words.length);
                for (int i = 0; i < n; i++) {
                    words[keys.getAtIndex(JAVA_INT, i)] = values.getAtIndex(JAVA_LONG, i);
                }
            }
        }
    }

    /** A filter's words with no bit set, for {@link #set} and {@link #replace}. */
    static long[] emptyWords() {
        return new long[Abi.ADDR_FILTER_WORDS];
    }

    /** Sets, in words, the bit of the 16-byte address field at offset in segment. */
    static void set(long[] words, MemorySegment segment, long offset) {
        int bit = Abi.addressFilterBit(segment, offset);
        words[bit >>> 6] |= 1L << (bit & 63);
    }

    /** Sets the bit of the 16-byte address field at offset in segment. */
    void add(MemorySegment segment, long offset) {
        int at = Abi.addressFilterBit(segment, offset) >>> 6;
        long before = words[at];
        set(words, segment, offset);
        if (words[at] != before) {
            write(at);
        }
    }

    /** True when the filter holds a bit that wanted has not. */
    boolean hasBitsBeyond(long[] wanted) {
        for (int i = 0; i < words.length; i++) {
            if ((words[i] & ~wanted[i]) != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Makes the filter hold exactly wanted, writing only the words that differ; returns how many bits were cleared.
     * Clearing a bit makes the programs pass that address's packets untranslated, so wanted must hold the address of
     * every VIP, backend and live flow.
     */
    int replace(long[] wanted) {
        int cleared = 0;
        for (int i = 0; i < words.length; i++) {
            if (words[i] != wanted[i]) {
                cleared += Long.bitCount(words[i] & ~wanted[i]);
                words[i] = wanted[i];
                write(i);
            }
        }
        return cleared;
    }

    private void write(int at) {
        index.set(JAVA_INT, 0, at);
        word.set(JAVA_LONG, 0, words[at]);
        map.put(index, word);
    }
}
