package io.navstar.loader;

import io.navstar.loader.map.PerCpu;
import io.navstar.loader.map.TypedMap;
import io.navstar.loader.map.U32;
import io.navstar.loader.map.U64;
import io.navstar.loader.spec.MapSpec;
import io.navstar.loader.spec.MapType;
import io.navstar.loader.spec.Pinning;
import io.navstar.sys.Errno;
import io.navstar.sys.bpf.BpfException;
import io.navstar.sys.bpf.PossibleCpus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MapOperationsTest {

    @BeforeEach
    void root() {
        Kernel.assumeRoot();
    }

    private static MapSpec hash(String name, int maxEntries) {
        return new MapSpec(name, MapType.HASH, 4, 8, maxEntries, 0, Pinning.NONE, 0, 0, null, null, false);
    }

    private static MapSpec arrayOfArrays(int innerFlags) {
        MapSpec inner = new MapSpec("tables.inner", MapType.ARRAY, 4, 4, 1, innerFlags, Pinning.NONE, 0, 0, null, null,
                false);
        return new MapSpec("tables", MapType.ARRAY_OF_MAPS, 4, 4, 8, 0, Pinning.NONE, 0, 0, inner, null, false);
    }

    @Test
    void innerMapsOfAnySizeSwapIntoSlotsAndAreFoundById() {
        try (BpfMap outer = BpfMap.create(arrayOfArrays(BpfMap.BPF_F_INNER_MAP)); Arena scratch = Arena.ofConfined()) {
            MemorySegment slot = scratch.allocate(JAVA_INT);
            slot.set(JAVA_INT, 0, 3);
            assertEquals(0, outer.innerMapId(slot), "an empty slot has no inner map");
            long small;
            try (BpfMap inner = outer.createInner(1009)) {
                assertEquals(1009, inner.maxEntries());
                assertEquals(BpfMap.BPF_F_INNER_MAP, inner.flags() & BpfMap.BPF_F_INNER_MAP, "the inner spec's flags");
                outer.putInner(slot, inner);
                small = inner.memoryBytes();
            } // the slot keeps its own reference
            int firstId = outer.innerMapId(slot);
            assertTrue(firstId > 0);
            try (BpfMap found = BpfMap.openById(firstId)) {
                assertEquals(1009, found.maxEntries(), "the same map, found through the slot");
                assertEquals(small, found.memoryBytes());
            }
            try (BpfMap bigger = outer.createInner(4099)) {
                MemorySegment key = scratch.allocate(JAVA_INT);
                MemorySegment value = scratch.allocate(JAVA_INT);
                key.set(JAVA_INT, 0, 4098);
                value.set(JAVA_INT, 0, 77);
                bigger.put(key, value);
                outer.putInner(slot, bigger); // one update replaces the slot's map
                assertTrue(bigger.memoryBytes() > 3 * small, "an inner map's memory is its own size's: "
                        + bigger.memoryBytes() + " vs " + small);
            }
            int secondId = outer.innerMapId(slot);
            assertTrue(secondId != firstId);
            try (BpfMap found = BpfMap.openById(secondId); Arena local = Arena.ofConfined()) {
                MemorySegment key = local.allocate(JAVA_INT);
                MemorySegment value = local.allocate(JAVA_INT);
                key.set(JAVA_INT, 0, 4098);
                assertTrue(found.get(key, value));
                assertEquals(77, value.get(JAVA_INT, 0));
            }
            BpfException gone = assertThrows(BpfException.class, () -> BpfMap.openById(firstId),
                    "the replaced map was freed by the kernel once nothing held it");
            assertTrue(gone.getMessage().contains("BPF_MAP_GET_FD_BY_ID"), gone.getMessage());
            assertTrue(outer.remove(slot));
            assertEquals(0, outer.innerMapId(slot));
        }
    }

    @Test
    void manyInnerMapsArePutWithOneBatch() {
        try (BpfMap outer = BpfMap.create(arrayOfArrays(BpfMap.BPF_F_INNER_MAP)); Arena scratch = Arena.ofConfined()) {
            BpfMap[] inners = new BpfMap[5];
            MemorySegment keys = scratch.allocate(4L * inners.length);
            for (int i = 0; i < inners.length; i++) {
                inners[i] = outer.createInner(10 + i);
                keys.setAtIndex(JAVA_INT, i, 7 - i);
            }
            outer.putInners(keys, inners);
            for (BpfMap inner : inners) {
                inner.close();
            }
            MemorySegment slot = scratch.allocate(JAVA_INT);
            for (int i = 0; i < inners.length; i++) {
                slot.set(JAVA_INT, 0, 7 - i);
                try (BpfMap found = BpfMap.openById(outer.innerMapId(slot))) {
                    assertEquals(10 + i, found.maxEntries(), "slot " + (7 - i));
                }
            }
        }
    }

    @Test
    void innerMapsDifferingInSizeNeedTheInnerMapFlag() {
        try (BpfMap outer = BpfMap.create(arrayOfArrays(0)); BpfMap inner = outer.createInner(1009);
             Arena scratch = Arena.ofConfined()) {
            MemorySegment slot = scratch.allocate(JAVA_INT);
            BpfException refused = assertThrows(BpfException.class, () -> outer.putInner(slot, inner),
                    "without BPF_F_INNER_MAP the kernel wants the template's size");
            assertTrue(refused.getMessage().contains("EINVAL"), refused.getMessage());
        }
        try (BpfMap pinless = BpfMap.create(hash("plain", 4))) {
            assertThrows(IllegalStateException.class, () -> pinless.createInner(4));
        }
    }

    @Test
    void mmapedArrayIsSharedWithTheKernelUntilItsArenaCloses() {
        MapSpec spec = new MapSpec("mmaped", MapType.ARRAY, 4, 12, 100, BpfMap.BPF_F_MMAPABLE, Pinning.NONE, 0, 0,
                null, null, false);
        long before = Kernel.openDescriptors();
        try (BpfMap map = BpfMap.create(spec); Arena scratch = Arena.ofConfined()) {
            MemorySegment key = scratch.allocate(4);
            MemorySegment value = scratch.allocate(12);
            MemorySegment values;
            try (Arena mapping = Arena.ofShared()) {
                values = map.mmap(mapping);
                assertEquals(100 * 16, values.byteSize(), "12-byte values are 16 apart");
                values.set(JAVA_INT, 5 * 16 + 8, 0x5eed);                // element 5, bytes 8..11, no syscall
                key.set(JAVA_INT, 0, 5);
                assertEquals(0, map.lookup(key, value));
                assertEquals(0x5eed, value.get(JAVA_INT, 8), "the kernel sees the write through the mapping");
                key.set(JAVA_INT, 0, 99);
                value.set(JAVA_INT, 0, 0x99);
                assertEquals(0, map.update(key, value, 0));
                assertEquals(0x99, values.get(JAVA_INT, 99 * 16), "the mapping sees the update");
            }
            MemorySegment closed = values;
            assertThrows(IllegalStateException.class, () -> closed.get(JAVA_INT, 0), "unmapped with its arena");
        }
        assertEquals(before, Kernel.openDescriptors());
        try (BpfMap hash = BpfMap.create(hash("not_mmapable", 4)); Arena arena = Arena.ofConfined()) {
            BpfException e = assertThrows(BpfException.class, () -> hash.mmap(arena));
            assertTrue(e.getMessage().contains("only arrays created with BPF_F_MMAPABLE"), e.getMessage());
        }
    }

    @Test
    void singleOperationsReadBackWhatWasWrittenAndReportAbsentKeys() {
        try (BpfMap map = BpfMap.create(hash("single", 16)); Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(4);
            MemorySegment value = arena.allocate(8);
            key.set(JAVA_INT, 0, 7);
            value.set(JAVA_LONG, 0, 0x1122334455L);
            assertEquals(0, map.update(key, value, 0));
            value.set(JAVA_LONG, 0, 0);
            assertEquals(0, map.lookup(key, value));
            assertEquals(0x1122334455L, value.get(JAVA_LONG, 0));
            key.set(JAVA_INT, 0, 8);
            assertEquals(-Errno.ENOENT, map.lookup(key, value));
            assertFalse(map.get(key, value));
            key.set(JAVA_INT, 0, 7);
            assertTrue(map.remove(key));
            assertFalse(map.remove(key));
        }
    }

    @Test
    void fullHashMapRefusesANewKeyWithE2big() {
        try (BpfMap map = BpfMap.create(hash("full", 2)); Arena arena = Arena.ofConfined()) {
            TypedMap<U32, U64> typed = map.typed(U32.CODEC, U64.CODEC);
            U32 key = typed.newKey(arena);
            U64 value = typed.newValue(arena);
            typed.put(key.set(1), value.set(1));
            typed.put(key.set(2), value.set(2));
            BpfException full = assertThrows(BpfException.class, () -> typed.put(key.set(3), value.set(3)));
            assertEquals(Errno.E2BIG, full.errno());
            assertTrue(full.getMessage().startsWith("BPF_MAP_UPDATE_ELEM: E2BIG (Argument list too long) writing an element of map \"full\""),
                    full.getMessage());
        }
    }

    @Test
    void forEachVisitsEveryEntryOnce() {
        try (BpfMap map = BpfMap.create(hash("walk", 64)); Arena arena = Arena.ofConfined()) {
            TypedMap<U32, U64> typed = map.typed(U32.CODEC, U64.CODEC);
            U32 key = typed.newKey(arena);
            U64 value = typed.newValue(arena);
            for (int i = 0; i < 40; i++) {
                typed.put(key.set(i), value.set(i * 10L));
            }
            Map<Integer, Long> seen = new HashMap<>();
            int visited = typed.forEach((k, v) -> seen.put(k.get(), v.get()));
            assertEquals(40, visited);
            assertEquals(40, seen.size());
            for (int i = 0; i < 40; i++) {
                assertEquals(i * 10L, seen.get(i));
            }
        }
    }

    @Test
    void batchUpdateLookupAndDeleteMoveManyEntriesPerCall() {
        int count = 1000;
        try (BpfMap map = BpfMap.create(hash("batch", 2048)); Arena arena = Arena.ofConfined()) {
            TypedMap<U32, U64> typed = map.typed(U32.CODEC, U64.CODEC);
            TypedMap.Batch<U32, U64> batch = typed.newBatch(arena, count);
            for (int i = 0; i < count; i++) {
                batch.key(i).set(i + 1);
                batch.value(i).set(1000L + i);
            }
            assertEquals(count, typed.updateBatch(batch, count));

            TypedMap.Batch<U32, U64> read = typed.newBatch(arena, 256);
            BatchCursor cursor = BatchCursor.start(arena, map);
            long sum = 0;
            int total = 0;
            while (!cursor.done()) {
                int n = typed.lookupBatch(cursor, read);
                for (int i = 0; i < n; i++) {
                    assertEquals(1000L + read.key(i).get() - 1, read.value(i).get());
                    sum += read.key(i).get();
                }
                total += n;
            }
            assertEquals(count, total);
            assertEquals((long) count * (count + 1) / 2, sum);

            assertEquals(count / 2, typed.deleteBatch(batch, count / 2));
            U64 value = typed.newValue(arena);
            assertEquals(-Errno.ENOENT, typed.lookup(batch.key(0), value));
            assertEquals(0, typed.lookup(batch.key(count - 1), value));
        }
    }

    @Test
    void perCpuValuesHaveOneSlotPerPossibleCpu() {
        MapSpec spec = new MapSpec("percpu", MapType.PERCPU_ARRAY, 4, 4, 4, 0, Pinning.NONE, 0, 0, null, null, false);
        try (BpfMap map = BpfMap.create(spec); Arena arena = Arena.ofConfined()) {
            int cpus = PossibleCpus.count();
            assertEquals(8 * cpus, map.kernelValueSize(), "4-byte values are rounded to 8 per CPU");
            assertThrows(IllegalArgumentException.class, () -> map.typed(U32.CODEC, U32.CODEC));
            TypedMap<U32, PerCpu<U32>> typed = map.typed(U32.CODEC, PerCpu.codec(U32.CODEC));
            U32 key = typed.newKey(arena).set(2);
            PerCpu<U32> value = typed.newValue(arena);
            for (int cpu = 0; cpu < cpus; cpu++) {
                value.cpu(cpu).set(100 + cpu);
            }
            typed.put(key, value);
            PerCpu<U32> back = typed.newValue(arena);
            assertTrue(typed.get(key, back));
            for (int cpu = 0; cpu < cpus; cpu++) {
                assertEquals(100 + cpu, back.cpu(cpu).get());
            }
        }
    }

    @Test
    void hotPathLookupAndUpdateAllocateNothingOnceCompiled() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        try (BpfMap map = BpfMap.create(hash("noalloc", 1024)); Arena arena = Arena.ofConfined()) {
            TypedMap<U32, U64> typed = map.typed(U32.CODEC, U64.CODEC);
            U32 key = typed.newKey(arena);
            U64 value = typed.newValue(arena);
            long perRound = Long.MAX_VALUE;
            for (int round = 0; round < 6 && perRound != 0; round++) {   // early rounds run before the JIT is done
                long before = threads.getThreadAllocatedBytes(thread);
                int failures = churn(typed, key, value, 50_000);
                perRound = threads.getThreadAllocatedBytes(thread) - before;
                assertEquals(0, failures);
            }
            assertEquals(0, perRound, "bytes allocated by 50,000 updates and 50,000 lookups");
        }
    }

    private static int churn(TypedMap<U32, U64> typed, U32 key, U64 value, int count) {
        int failures = 0;
        for (int i = 0; i < count; i++) {
            key.set(i & 1023);
            if (typed.update(key, value.set(i), 0) != 0 || typed.lookup(key, value) != 0) {
                failures++;
            }
        }
        return failures;
    }

    @Test
    void eachThreadSeesItsOwnErrno() throws Exception {
        try (BpfMap full = BpfMap.create(hash("full2", 1)); BpfMap empty = BpfMap.create(hash("empty", 4))) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment key = arena.allocate(4);
                full.put(key, arena.allocate(8));   // the one slot is taken by key 0
            }
            Callable<Integer> absentLookups = () -> {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment key = arena.allocate(4);
                    MemorySegment value = arena.allocate(8);
                    int wrong = 0;
                    for (int i = 0; i < 20_000; i++) {
                        key.set(JAVA_INT, 0, i + 1);
                        wrong += empty.lookup(key, value) == -Errno.ENOENT ? 0 : 1;
                    }
                    return wrong;
                }
            };
            Callable<Integer> overfullUpdates = () -> {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment key = arena.allocate(4);
                    MemorySegment value = arena.allocate(8);
                    int wrong = 0;
                    for (int i = 0; i < 20_000; i++) {
                        key.set(JAVA_INT, 0, i + 1);
                        wrong += full.update(key, value, 0) == -Errno.E2BIG ? 0 : 1;
                    }
                    return wrong;
                }
            };
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<Integer> lookups = pool.submit(absentLookups);
                Future<Integer> updates = pool.submit(overfullUpdates);
                assertEquals(0, lookups.get(), "lookups that saw another thread's errno");
                assertEquals(0, updates.get(), "updates that saw another thread's errno");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void closingMapsLeaksNoDescriptor() {
        long before = Kernel.openDescriptors();
        for (int i = 0; i < 50; i++) {
            BpfMap.create(hash("leak" + i, 4)).close();
        }
        assertEquals(before, Kernel.openDescriptors());
    }
}
