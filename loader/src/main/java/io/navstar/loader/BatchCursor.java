package io.navstar.loader;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Where a BPF_MAP_LOOKUP_BATCH walk stands: the kernel's opaque in/out batch tokens. Start with
 * {@link #start}; pass to {@link BpfMap#lookupBatch} until {@link #done()}.
 *
 * <p>Threading: one walk, one thread.
 */
public final class BatchCursor {
    /** Token size: large enough for every map type's token (hash tables use a u32 bucket, arrays a u32 index). */
    private static final long TOKEN_SIZE = 8;

    private MemorySegment in;
    private MemorySegment out;
    private boolean started;
    private boolean done;

    private BatchCursor(Arena arena, int keySize) {
        long size = Math.max(TOKEN_SIZE, keySize);
        this.in = arena.allocate(size, 8);
        this.out = arena.allocate(size, 8);
    }

    /** A cursor at the start of {@code map}, its tokens allocated in {@code arena}. */
    public static BatchCursor start(Arena arena, BpfMap map) {
        return new BatchCursor(arena, map.keySize());
    }

    /** True after the kernel reported the end of the map. */
    public boolean done() {
        return done;
    }

    MemorySegment inBatch() {
        return started ? in : MemorySegment.NULL;
    }

    MemorySegment outBatch() {
        return out;
    }

    void advance(boolean end) {
        MemorySegment swap = in;
        in = out;
        out = swap;
        started = true;
        done = end;
    }
}
