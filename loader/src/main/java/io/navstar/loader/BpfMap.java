package io.navstar.loader;

import io.navstar.loader.elf.ElfObjectReader;
import io.navstar.loader.map.Codec;
import io.navstar.loader.map.Flyweight;
import io.navstar.loader.map.PerCpu;
import io.navstar.loader.map.TypedMap;
import io.navstar.loader.spec.MapSpec;
import io.navstar.loader.spec.MapType;
import io.navstar.loader.spec.Pinning;
import io.navstar.sys.Errno;
import io.navstar.sys.Fd;
import io.navstar.sys.Libc;
import io.navstar.sys.bpf.Bpf;
import io.navstar.sys.bpf.BpfException;
import io.navstar.sys.bpf.PossibleCpus;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A live eBPF map: an owned descriptor plus the shape the kernel gave it. Keys and values are raw
 * {@link MemorySegment}s here (native memory, sized {@link #keySize()} and {@link #kernelValueSize()});
 * {@link #typed} puts flyweight codecs on top.
 *
 * <p>Hot-path methods ({@link #lookup}, {@link #update}, {@link #delete}, {@link #nextKey}) allocate nothing and
 * return 0 or a negative errno (-ENOENT when a key is absent). Control-path methods ({@link #get}, {@link #put},
 * batches, {@link #pin}) throw {@link BpfException}.
 *
 * <p>Threading: every operation may be called from any thread concurrently (the kernel serialises map access);
 * {@link #close()} must not race with use.
 */
public final class BpfMap implements AutoCloseable {
    private final String name;
    private final MapType type;
    private final int keySize;
    private final int valueSize;
    private final int maxEntries;
    private final int flags;
    private final int kernelValueSize;
    /** For a map of maps made from a spec, the spec of its inner maps; else null (a map opened by pin or id). */
    private final MapSpec innerSpec;
    private final Fd fd;

    BpfMap(String name, MapType type, int keySize, int valueSize, int maxEntries, int flags, Fd fd) {
        this(name, type, keySize, valueSize, maxEntries, flags, null, fd);
    }

    private BpfMap(String name, MapType type, int keySize, int valueSize, int maxEntries, int flags, MapSpec innerSpec,
                   Fd fd) {
        this.name = name;
        this.innerSpec = innerSpec;
        this.type = type;
        this.keySize = keySize;
        this.valueSize = valueSize;
        this.maxEntries = maxEntries;
        this.flags = flags;
        this.kernelValueSize = type.perCpu() ? (int) PerCpu.roundUp8(valueSize) * PossibleCpus.count() : valueSize;
        this.fd = fd;
    }

    /** Creates a map from a spec, without BTF and without pinning (pinning is {@link BpfObject}'s job). */
    public static BpfMap create(MapSpec spec) {
        return create(spec, 0, spec.name());
    }

    /** Creates a map, with BTF key/value types when {@code btfFd} > 0; map-in-map specs get a template inner map. */
    static BpfMap create(MapSpec spec, int btfFd, String kernelName) {
        String operation = "creating map \"" + spec.name() + "\"";
        Fd inner = null;
        try {
            if (spec.type().mapOfMaps()) {
                MapSpec innerSpec = spec.innerMap();
                inner = new Fd(Bpf.mapCreate(innerSpec.type().kernelValue(), innerSpec.keySize(), innerSpec.valueSize(),
                        innerSpec.maxEntries(), innerSpec.flags(), 0, kernelName + "_in", 0, 0, 0,
                        "creating the inner map template of \"" + spec.name() + "\""));
            }
            boolean withBtf = btfFd > 0 && spec.valueTypeId() != 0 && !spec.type().mapOfMaps();
            int fd = Bpf.mapCreate(spec.type().kernelValue(), spec.keySize(), spec.valueSize(), spec.maxEntries(),
                    spec.flags(), inner == null ? 0 : inner.value(), kernelName, withBtf ? btfFd : 0,
                    withBtf ? spec.keyTypeId() : 0, withBtf ? spec.valueTypeId() : 0, operation);
            return new BpfMap(spec.name(), spec.type(), spec.keySize(), spec.valueSize(), spec.maxEntries(),
                    spec.flags(), spec.innerMap(), new Fd(fd));
        } finally {
            if (inner != null) {
                inner.close();
            }
        }
    }

    /**
     * Opens a map pinned at {@code path} (BPF_OBJ_GET), taking its shape from the kernel. A missing path, or an
     * object that is not a map, is a {@link BpfException} naming the path.
     */
    public static BpfMap openPinned(Path path) {
        Fd fd = new Fd(Bpf.objGet(path.toString(), 0, "opening pinned map \"" + path + "\""));
        return describe(fd, path.getFileName().toString(), "reading the pinned object \"" + path + "\" as a map");
    }

    /**
     * Opens the map with kernel id {@code id} (BPF_MAP_GET_FD_BY_ID), taking its shape and name from the kernel: an
     * inner map found through {@link #innerMapId}, or a map bpftool listed. A map gone meanwhile is a
     * {@link BpfException} (ENOENT).
     */
    public static BpfMap openById(int id) {
        Fd fd = new Fd(Bpf.mapGetFdById(id, "opening map id " + id));
        return describe(fd, null, "reading map id " + id);
    }

    private static BpfMap describe(Fd fd, String name, String operation) {
        try {
            MapInfo info = MapInfo.of(fd.value(), operation);
            MapType type = MapType.ofKernelValue(info.type());
            return new BpfMap(name == null ? info.name() : name, type, info.keySize(), info.valueSize(),
                    info.maxEntries(), info.flags(), fd);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /** Wraps a descriptor of an existing map whose shape the caller checked (pinned reuse). */
    static BpfMap adopt(MapSpec spec, Fd fd) {
        return new BpfMap(spec.name(), spec.type(), spec.keySize(), spec.valueSize(), spec.maxEntries(), spec.flags(),
                spec.innerMap(), fd);
    }

    // ------------------------------------------------------------------------------------------ maps of maps

    /** BPF_F_INNER_MAP (include/uapi/linux/bpf.h): inner maps of one map of maps may differ in max_entries. */
    public static final int BPF_F_INNER_MAP = 1 << 12;

    /**
     * A new, empty map that fits this map of maps's slots: its inner map spec (the object's
     * {@code __array(values, ...)}) with {@code maxEntries}, owned by the caller. The kernel takes an inner map of
     * another size only when the inner spec's flags hold {@link #BPF_F_INNER_MAP} (kernel/bpf/map_in_map.c
     * bpf_map_meta_equal); one of the same size always.
     *
     * @throws IllegalStateException when this is no map of maps, or was opened by pin or id (no inner spec known)
     */
    public BpfMap createInner(int maxEntries) {
        if (innerSpec == null) {
            throw new IllegalStateException("map \"" + name + "\" has no inner map spec: "
                    + (type.mapOfMaps() ? "opened by pin or id, not loaded from its object" : type + " is no map of maps"));
        }
        MapSpec spec = innerSpec.withMaxEntries(maxEntries);
        int created = Bpf.mapCreate(spec.type().kernelValue(), spec.keySize(), spec.valueSize(), maxEntries,
                spec.flags(), 0, Bpf.objectName(name + "_in"), 0, 0, 0,
                "creating an inner map of \"" + name + "\" (" + maxEntries + " entries)");
        return new BpfMap(spec.name(), spec.type(), spec.keySize(), spec.valueSize(), maxEntries, spec.flags(),
                new Fd(created));
    }

    /**
     * Puts {@code inner} in this map of maps's slot {@code key} with one BPF_MAP_UPDATE_ELEM: a program's lookup
     * finds either the slot's previous map or this one. The slot holds its own reference, so the caller may close
     * {@code inner}; a replaced map is freed by the kernel once no program and no descriptor holds it. Each update
     * of a map of maps from user space waits for an RCU grace period (kernel/bpf/syscall.c maybe_wait_bpf_programs,
     * milliseconds), so put many with {@link #putInners}.
     */
    public void putInner(MemorySegment key, BpfMap inner) {
        requireMapOfMaps();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(JAVA_INT);
            value.set(JAVA_INT, 0, inner.fd());
            check(update(key, value, Bpf.BPF_ANY), Bpf.BPF_MAP_UPDATE_ELEM, "putting inner map \"" + inner.name()
                    + "\" into");
        } finally {
            Reference.reachabilityFence(inner);
        }
    }

    /**
     * Puts {@code inners[i]} in slot {@code keys[i]} for every i with BPF_MAP_UPDATE_BATCH: each slot changes at
     * once as with {@link #putInner}, and the whole batch waits for one RCU grace period, not one per slot.
     *
     * @param keys the slots' keys packed back to back ({@link #keySize()} bytes each), at least inners.length
     */
    public void putInners(MemorySegment keys, BpfMap[] inners) {
        requireMapOfMaps();
        int count = inners.length;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment values = arena.allocate(4L * Math.max(1, count), 8);
            for (int i = 0; i < count; i++) {
                values.setAtIndex(JAVA_INT, i, inners[i].fd());
            }
            int done = 0;
            while (done < count) {
                int n = updateBatch(keys.asSlice((long) done * keySize), values.asSlice(4L * done), count - done, 0);
                if (n <= 0) {
                    throw new BpfException("BPF_MAP_UPDATE_BATCH of map \"" + name + "\" put no inner map at " + done);
                }
                done += n;
            }
        } finally {
            Reference.reachabilityFence(inners);
        }
    }

    /** The kernel id of the inner map in slot {@code key} (what a lookup from user space gives), or 0 when empty. */
    public int innerMapId(MemorySegment key) {
        requireMapOfMaps();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(JAVA_INT);
            return get(key, value) ? value.get(JAVA_INT, 0) : 0;
        }
    }

    private void requireMapOfMaps() {
        if (!type.mapOfMaps()) {
            throw new IllegalStateException("map \"" + name + "\" is " + type + ", no map of maps");
        }
    }

    // --------------------------------------------------------------------------------------------- shape

    /** The map's name in its object (not cut to the kernel's 15 characters). */
    public String name() {
        return name;
    }

    public MapType type() {
        return type;
    }

    public int keySize() {
        return keySize;
    }

    /** The value size of one element (one CPU's element for per-CPU maps). */
    public int valueSize() {
        return valueSize;
    }

    /** The bytes a value buffer must hold for lookup and update: {@link #valueSize()}, or for per-CPU maps
     * the 8-byte-rounded element times the possible CPUs. */
    public int kernelValueSize() {
        return kernelValueSize;
    }

    public int maxEntries() {
        return maxEntries;
    }

    public int flags() {
        return flags;
    }

    /** BPF_F_MMAPABLE (include/uapi/linux/bpf.h): an array map created so that user space may mmap(2) it. */
    public static final int BPF_F_MMAPABLE = ElfObjectReader.BPF_F_MMAPABLE;

    /**
     * Maps this array's values into memory, shared with the kernel, for as long as {@code arena} lives: closing the
     * arena unmaps them, and the segment then refuses access instead of faulting. Element {@code i} starts at
     * {@code i * round_up(valueSize, 8)} (kernel/bpf/arraymap.c array_map_mmap); writes are seen by programs at
     * once, with no syscall. Only arrays created with {@link #BPF_F_MMAPABLE} (global data sections are) can be
     * mapped, and a frozen or program-read-only map only read-only.
     *
     * @param writable false to map read-only (needed for a frozen map such as {@code .rodata})
     * @throws BpfException when the map is not an mmapable array, or mmap(2) fails
     */
    @SuppressWarnings("restricted") // ties the kernel's mapping to the arena, with munmap as its cleanup
    public MemorySegment mmap(Arena arena, boolean writable) {
        if (type != MapType.ARRAY || (flags & BPF_F_MMAPABLE) == 0) {
            throw new BpfException("map \"" + name + "\" cannot be mmap()ed: only arrays created with BPF_F_MMAPABLE"
                    + " can (this is " + type + (type == MapType.ARRAY ? " without the flag" : "") + ")");
        }
        long page = Libc.pageSize();
        long bytes = (long) maxEntries * ((valueSize + 7L) & ~7L);
        long length = Math.max(page, (bytes + page - 1) / page * page);
        int protection = Libc.PROT_READ | (writable ? Libc.PROT_WRITE : 0);
        MemorySegment mapping = Libc.mmap(length, protection, fd.value(), 0,
                "mapping the values of map \"" + name + "\" (" + length + " bytes" + (writable ? "" : ", read-only") + ")");
        return mapping.reinterpret(arena, Libc::munmap).asSlice(0, bytes);
    }

    /** {@link #mmap(Arena, boolean)} read-write. */
    public MemorySegment mmap(Arena arena) {
        return mmap(arena, true);
    }

    /** The descriptor number (for relocations, inner-map values, bpftool). Throws after close. */
    public int fd() {
        return fd.value();
    }

    /**
     * The kernel memory this map takes, as the kernel counts it: {@code memlock} in /proc/self/fdinfo/FD (what
     * bpftool shows as memlock; since Linux 6.4 the map type's own map_mem_usage, elements, buckets and per-CPU
     * copies included). An inner map's memory is its own map's, not its map of maps'. -1 when the kernel gives no
     * figure.
     */
    public long memoryBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo", Integer.toString(fd.value())))) {
                if (line.startsWith("memlock:")) {
                    return Long.parseLong(line.substring("memlock:".length()).strip());
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no figure
        } finally {
            Reference.reachabilityFence(this);
        }
        return -1;
    }

    /** What the kernel says about this map (id, BTF ids, ...). */
    public MapInfo info() {
        return MapInfo.of(fd.value(), "reading info of map \"" + name + "\"");
    }

    // ------------------------------------------------------------------------------------------ hot path

    /** Reads the value of {@code key} into {@code value}: 0, -ENOENT when absent, or another negative errno. */
    public int lookup(MemorySegment key, MemorySegment value) {
        try {
            return Bpf.mapLookupElem(fd.value(), key, value);
        } finally {
            Reference.reachabilityFence(this); // the cleaner must not close the descriptor mid-call
        }
    }

    /** Writes {@code key}'s value; {@code flags} is {@link Bpf#BPF_ANY}, NOEXIST or EXIST. 0 or negative errno. */
    public int update(MemorySegment key, MemorySegment value, long flags) {
        try {
            return Bpf.mapUpdateElem(fd.value(), key, value, flags);
        } finally {
            Reference.reachabilityFence(this); // the cleaner must not close the descriptor mid-call
        }
    }

    /** Deletes {@code key}: 0, -ENOENT when absent, or another negative errno. */
    public int delete(MemorySegment key) {
        try {
            return Bpf.mapDeleteElem(fd.value(), key);
        } finally {
            Reference.reachabilityFence(this); // the cleaner must not close the descriptor mid-call
        }
    }

    /** The key after {@code key} ({@link MemorySegment#NULL} for the first) into {@code next}: 0, -ENOENT at the end. */
    public int nextKey(MemorySegment key, MemorySegment next) {
        try {
            return Bpf.mapGetNextKey(fd.value(), key, next);
        } finally {
            Reference.reachabilityFence(this); // the cleaner must not close the descriptor mid-call
        }
    }

    // -------------------------------------------------------------------------------------- control path

    /** Reads {@code key} into {@code value}; false when absent; throws on any other error. */
    public boolean get(MemorySegment key, MemorySegment value) {
        int result = lookup(key, value);
        if (result == -Errno.ENOENT) {
            return false;
        }
        check(result, Bpf.BPF_MAP_LOOKUP_ELEM, "reading an element of");
        return true;
    }

    /** Writes {@code key}'s value (BPF_ANY); throws on error (E2BIG when full, ...). */
    public void put(MemorySegment key, MemorySegment value) {
        check(update(key, value, Bpf.BPF_ANY), Bpf.BPF_MAP_UPDATE_ELEM, "writing an element of");
    }

    /** Deletes {@code key}; false when it was absent; throws on any other error. */
    public boolean remove(MemorySegment key) {
        int result = delete(key);
        if (result == -Errno.ENOENT) {
            return false;
        }
        check(result, Bpf.BPF_MAP_DELETE_ELEM, "deleting an element of");
        return true;
    }

    /** Writes {@code count} keys and values packed back to back; returns how many were written. */
    public int updateBatch(MemorySegment keys, MemorySegment values, int count, long elemFlags) {
        checkBatch(keys, keySize, count, "keys");
        checkBatch(values, kernelValueSize, count, "values");
        return Bpf.mapUpdateBatch(fd.value(), keys, values, count, elemFlags, "writing a batch of " + count + " to map \"" + name + "\"");
    }

    /** Deletes {@code count} keys packed back to back; returns how many were deleted. */
    public int deleteBatch(MemorySegment keys, int count) {
        checkBatch(keys, keySize, count, "keys");
        return Bpf.mapDeleteBatch(fd.value(), keys, count, "deleting a batch of " + count + " from map \"" + name + "\"");
    }

    /**
     * Reads the next batch of up to {@code count} entries into {@code keys} and {@code values}, continuing where
     * {@code cursor} stopped; returns the number read (0 once the cursor is {@link BatchCursor#done()}).
     */
    public int lookupBatch(BatchCursor cursor, MemorySegment keys, MemorySegment values, int count) {
        if (cursor.done()) {
            return 0;
        }
        checkBatch(keys, keySize, count, "keys");
        checkBatch(values, kernelValueSize, count, "values");
        long result = Bpf.mapLookupBatch(fd.value(), cursor.inBatch(), cursor.outBatch(), keys, values, count,
                "reading a batch from map \"" + name + "\"");
        cursor.advance((result & Bpf.BATCH_END) != 0);
        return (int) result;
    }

    /** Makes the map read-only for user space (BPF_MAP_FREEZE); programs may still write it unless RDONLY_PROG. */
    public void freeze() {
        Bpf.mapFreeze(fd.value(), "freezing map \"" + name + "\"");
    }

    /** Pins the map at {@code path} on a bpffs (BPF_OBJ_PIN); the map then outlives this descriptor. */
    public void pin(Path path) {
        Bpf.objPin(fd.value(), path.toString(), "pinning map \"" + name + "\" at \"" + path + "\"");
    }

    /** This map with flyweight codecs for its keys and values; checks their sizes against the map's. */
    public <K extends Flyweight, V extends Flyweight> TypedMap<K, V> typed(Codec<K> keyCodec, Codec<V> valueCodec) {
        if (keyCodec.byteSize() != keySize || valueCodec.byteSize() != kernelValueSize) {
            throw new IllegalArgumentException("map \"" + name + "\" has " + keySize + "-byte keys and "
                    + kernelValueSize + "-byte values; the codecs are " + keyCodec.byteSize() + " and "
                    + valueCodec.byteSize() + " bytes" + (type.perCpu() ? " (per-CPU: wrap the value codec in PerCpu.codec)" : ""));
        }
        return new TypedMap<>(this, keyCodec, valueCodec);
    }

    /** Gives up the descriptor (for a pinned map the caller keeps only through its pin); returns the number. */
    public int disown() {
        return fd.disown();
    }

    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return "map " + name + " (" + type + ", key " + keySize + " B, value " + valueSize + " B, max " + maxEntries + ")";
    }

    private void check(int result, int command, String what) {
        if (result < 0) {
            throw new BpfException(Bpf.commandName(command), -result, what + " map \"" + name + "\"");
        }
    }

    private void checkBatch(MemorySegment buffer, int elementSize, int count, String what) {
        if (count < 0 || buffer.byteSize() < (long) elementSize * count) {
            throw new IllegalArgumentException("map \"" + name + "\": " + what + " buffer of " + buffer.byteSize()
                    + " bytes cannot hold " + count + " elements of " + elementSize + " bytes");
        }
    }
}
