package io.navstar.loader.map;

import io.navstar.loader.BpfMap;
import io.navstar.sys.Errno;
import io.navstar.sys.bpf.Bpf;
import io.navstar.sys.bpf.BpfException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

/**
 * A {@link BpfMap} seen through flyweight codecs: keys and values are {@link Flyweight}s the caller allocates once
 * ({@link #newKey}, {@link #newValue}) and rewrites in place. {@link #lookup}, {@link #update} and {@link #delete}
 * allocate nothing and return 0 or a negative errno; {@link #get}, {@link #put}, {@link #remove} throw on errors
 * other than an absent key; {@link #forEach} walks the map with BPF_MAP_GET_NEXT_KEY.
 *
 * <p>Threading: the map may be shared; flyweights are cursors, one per thread.
 *
 * @param <K> key flyweight
 * @param <V> value flyweight
 */
public final class TypedMap<K extends Flyweight, V extends Flyweight> {
    private final BpfMap map;
    private final Codec<K> keyCodec;
    private final Codec<V> valueCodec;

    /** Use {@link BpfMap#typed}, which checks the codec sizes. */
    public TypedMap(BpfMap map, Codec<K> keyCodec, Codec<V> valueCodec) {
        this.map = map;
        this.keyCodec = keyCodec;
        this.valueCodec = valueCodec;
    }

    /** The untyped map underneath. */
    public BpfMap map() {
        return map;
    }

    /** A key flyweight over fresh zeroed memory from {@code arena}. */
    @SuppressWarnings("unchecked")
    public K newKey(Arena arena) {
        return (K) keyCodec.newFlyweight().wrap(arena.allocate(keyCodec.byteSize(), 8), 0);
    }

    /** A value flyweight over fresh zeroed memory from {@code arena}. */
    @SuppressWarnings("unchecked")
    public V newValue(Arena arena) {
        return (V) valueCodec.newFlyweight().wrap(arena.allocate(valueCodec.byteSize(), 8), 0);
    }

    /** A batch buffer of {@code capacity} keys and values from {@code arena}, for the batch operations. */
    public Batch<K, V> newBatch(Arena arena, int capacity) {
        return new Batch<>(arena, keyCodec, valueCodec, capacity);
    }

    /** Reads {@code key} into {@code value}: 0, -ENOENT when absent, or another negative errno. No allocation. */
    public int lookup(K key, V value) {
        try {
            return Bpf.mapLookupElem(map.fd(), key.address(), value.address());
        } finally {
            Reference.reachabilityFence(map); // the cleaner must not close the descriptor mid-call
        }
    }

    /** Writes {@code key} = {@code value} with BPF_ANY/NOEXIST/EXIST: 0 or a negative errno. No allocation. */
    public int update(K key, V value, long flags) {
        try {
            return Bpf.mapUpdateElem(map.fd(), key.address(), value.address(), flags);
        } finally {
            Reference.reachabilityFence(map); // the cleaner must not close the descriptor mid-call
        }
    }

    /** Deletes {@code key}: 0, -ENOENT when absent, or another negative errno. No allocation. */
    public int delete(K key) {
        try {
            return Bpf.mapDeleteElem(map.fd(), key.address());
        } finally {
            Reference.reachabilityFence(map); // the cleaner must not close the descriptor mid-call
        }
    }

    /** Reads {@code key} into {@code value}; false when absent, throws on other errors. */
    public boolean get(K key, V value) {
        int result = lookup(key, value);
        if (result == -Errno.ENOENT) {
            return false;
        }
        check(result, Bpf.BPF_MAP_LOOKUP_ELEM, "reading an element of");
        return true;
    }

    /** Writes {@code key} = {@code value}; throws on error. */
    public void put(K key, V value) {
        check(update(key, value, Bpf.BPF_ANY), Bpf.BPF_MAP_UPDATE_ELEM, "writing an element of");
    }

    /** Deletes {@code key}; false when absent, throws on other errors. */
    public boolean remove(K key) {
        int result = delete(key);
        if (result == -Errno.ENOENT) {
            return false;
        }
        check(result, Bpf.BPF_MAP_DELETE_ELEM, "deleting an element of");
        return true;
    }

    /** Writes the first {@code count} entries of {@code batch} in one BPF_MAP_UPDATE_BATCH. */
    public int updateBatch(Batch<K, V> batch, int count) {
        return map.updateBatch(batch.keys(), batch.values(), count, Bpf.BPF_ANY);
    }

    /**
     * Reads the next entries after {@code cursor} into {@code batch} (up to its capacity) with one
     * BPF_MAP_LOOKUP_BATCH; returns how many were read, 0 once the cursor is done.
     */
    public int lookupBatch(io.navstar.loader.BatchCursor cursor, Batch<K, V> batch) {
        return map.lookupBatch(cursor, batch.keys(), batch.values(), batch.capacity());
    }

    /** Deletes the first {@code count} keys of {@code batch} in one BPF_MAP_DELETE_BATCH. */
    public int deleteBatch(Batch<K, V> batch, int count) {
        return map.deleteBatch(batch.keys(), count);
    }

    /** Receives entries during {@link #forEach}; the flyweights are reused between calls. */
    @FunctionalInterface
    public interface Visitor<K, V> {
        void visit(K key, V value);
    }

    /**
     * Visits every entry (BPF_MAP_GET_NEXT_KEY then lookup); entries deleted meanwhile are skipped. Returns how
     * many were visited. As with every get-next-key walk, a hash map changed during the walk may restart it.
     */
    public int forEach(Visitor<? super K, ? super V> visitor) {
        try (Arena arena = Arena.ofConfined()) {
            K current = newKey(arena);
            K next = newKey(arena);
            V value = newValue(arena);
            long previous = 0;  // NULL: start at the first key
            int visited = 0;
            while (true) {
                int result = Bpf.mapGetNextKey(map.fd(), previous, next.address());
                if (result == -Errno.ENOENT) {
                    return visited;
                }
                check(result, Bpf.BPF_MAP_GET_NEXT_KEY, "walking the keys of");
                MemorySegment.copy(next.segment(), next.offset(), current.segment(), current.offset(), next.byteSize());
                if (lookup(current, value) == 0) {
                    visitor.visit(current, value);
                    visited++;
                }
                previous = current.address();
            }
        }
    }

    private void check(int result, int command, String what) {
        if (result < 0) {
            throw new BpfException(Bpf.commandName(command), -result, what + " map \"" + map.name() + "\"");
        }
    }

    /**
     * Keys and values packed back to back for the batch commands, with one key and one value flyweight that
     * {@link #key(int)} and {@link #value(int)} re-point. Threading: one thread.
     */
    public static final class Batch<K extends Flyweight, V extends Flyweight> {
        private final MemorySegment keys;
        private final MemorySegment values;
        private final K key;
        private final V value;
        private final long keySize;
        private final long valueSize;
        private final int capacity;

        Batch(Arena arena, Codec<K> keyCodec, Codec<V> valueCodec, int capacity) {
            this.keySize = keyCodec.byteSize();
            this.valueSize = valueCodec.byteSize();
            this.keys = arena.allocate(keySize * capacity, 8);
            this.values = arena.allocate(valueSize * capacity, 8);
            this.key = keyCodec.newFlyweight();
            this.value = valueCodec.newFlyweight();
            this.capacity = capacity;
        }

        public int capacity() {
            return capacity;
        }

        /** The key flyweight pointed at entry {@code index}. */
        @SuppressWarnings("unchecked")
        public K key(int index) {
            return (K) key.wrap(keys, index * keySize);
        }

        /** The value flyweight pointed at entry {@code index}. */
        @SuppressWarnings("unchecked")
        public V value(int index) {
            return (V) value.wrap(values, index * valueSize);
        }

        public MemorySegment keys() {
            return keys;
        }

        public MemorySegment values() {
            return values;
        }
    }
}
