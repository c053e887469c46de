package io.navstar.bench.loader;

import io.navstar.loader.BpfMap;
import io.navstar.loader.map.TypedMap;
import io.navstar.loader.map.U32;
import io.navstar.loader.map.U64;
import io.navstar.loader.spec.MapSpec;
import io.navstar.loader.spec.MapType;
import io.navstar.loader.spec.Pinning;
import io.navstar.sys.bpf.Bpf;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;

/**
 * Single-element BPF_MAP_UPDATE_ELEM and BPF_MAP_LOOKUP_ELEM through the loader's typed map on a hash map of
 * {@code __u32 -> __u64}: the cost of one bpf(2) round trip from Java, and (with {@code -prof gc}) proof that the
 * hot path allocates nothing. Needs root.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MapOperationsBenchmark {
    private static final int KEYS = 1 << 16;

    private BpfMap map;
    private TypedMap<U32, U64> typed;
    private Arena arena;
    private U32 key;
    private U64 value;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        map = BpfMap.create(new MapSpec("bench_single", MapType.HASH, 4, 8, KEYS, 0, Pinning.NONE, 0, 0, null, null, false));
        typed = map.typed(U32.CODEC, U64.CODEC);
        arena = Arena.ofConfined();
        key = typed.newKey(arena);
        value = typed.newValue(arena);
        for (int i = 0; i < KEYS; i++) {
            typed.put(key.set(i), value.set(i));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        map.close();
        arena.close();
    }

    /** Baseline: the cheapest syscall through the same FFM path (getppid), to separate FFM cost from bpf(2)'s. */
    @Benchmark
    public int getppidBaseline() {
        try {
            return (int) GETPPID.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static final java.lang.invoke.MethodHandle GETPPID = java.lang.foreign.Linker.nativeLinker().downcallHandle(
            java.lang.foreign.Linker.nativeLinker().defaultLookup().find("getppid").orElseThrow(),
            java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT));

    @Benchmark
    public int update() {
        int k = next++ & (KEYS - 1);
        key.set(k);
        value.set(k + 1L);
        return typed.update(key, value, Bpf.BPF_ANY);
    }

    @Benchmark
    public long lookup() {
        key.set(next++ & (KEYS - 1));
        int result = typed.lookup(key, value);
        return result == 0 ? value.get() : result;
    }
}
