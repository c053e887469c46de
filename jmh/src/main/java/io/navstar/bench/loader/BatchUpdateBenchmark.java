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
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;

/**
 * Writing 100,000 entries into a hash map: one BPF_MAP_UPDATE_BATCH call against 100,000 BPF_MAP_UPDATE_ELEM
 * calls, in the same run. Scores are per entry ({@code @OperationsPerInvocation}), so the ratio is the saving of
 * the batch command. Needs root.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BatchUpdateBenchmark {
    private static final int ENTRIES = 100_000;

    private BpfMap map;
    private TypedMap<U32, U64> typed;
    private TypedMap.Batch<U32, U64> batch;
    private Arena arena;
    private U32 key;
    private U64 value;
    private long round;

    @Setup(Level.Trial)
    public void setUp() {
        map = BpfMap.create(new MapSpec("bench_batch", MapType.HASH, 4, 8, 131_072, 0, Pinning.NONE, 0, 0, null, null, false));
        typed = map.typed(U32.CODEC, U64.CODEC);
        arena = Arena.ofConfined();
        batch = typed.newBatch(arena, ENTRIES);
        for (int i = 0; i < ENTRIES; i++) {
            batch.key(i).set(i);
            batch.value(i).set(i);
        }
        key = typed.newKey(arena);
        value = typed.newValue(arena);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        map.close();
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public int batchUpdate100k() {
        return typed.updateBatch(batch, ENTRIES);
    }

    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public int singleUpdates100k() {
        long r = round++;
        int failures = 0;
        for (int i = 0; i < ENTRIES; i++) {
            if (typed.update(key.set(i), value.set(r + i), Bpf.BPF_ANY) != 0) {
                failures++;
            }
        }
        return failures;
    }
}
