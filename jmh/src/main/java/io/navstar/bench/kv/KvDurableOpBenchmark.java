package io.navstar.bench.kv;

import io.navstar.gossip.kv.KvConfig;
import io.navstar.gossip.kv.KvKey;
import io.navstar.gossip.kv.KvStore;
import io.navstar.gossip.kv.crdt.CrdtType;
import io.navstar.gossip.kv.crdt.Op;
import io.navstar.gossip.kv.crdt.OrMap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Durable KV operations on one node: each call returns once its operation is fsynced (SQLite WAL,
 * synchronous=FULL). Sixteen writers at once, group commit on (up to 512 requests per fsync)
 * against off (one fsync per request), side by side. Throughput mode gives operations per
 * millisecond; sample mode gives the latency percentiles (p50, p99). The store lives under
 * /var/tmp, on a real disk (fsync on tmpfs would measure nothing).
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(16)
public class KvDurableOpBenchmark {

    @Param({"true", "false"})
    public boolean groupCommit;

    private Path dir;
    private KvStore store;
    private final AtomicInteger nextThread = new AtomicInteger();

    @State(Scope.Thread)
    public static class Writer {
        KvKey key;
        List<Op> ops;

        @Setup(Level.Trial)
        public void setUp(KvDurableOpBenchmark bench) {
            final int index = bench.nextThread.getAndIncrement();
            key = KvKey.of("bench", "writer" + index);
            ops = List.of(Op.update("n", CrdtType.PNCOUNTER, new Op.Increment(1)),
                    Op.update("backends", CrdtType.ORSWOT, new Op.Add("10.0." + index + ".1:80")));
        }
    }

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = Files.createTempDirectory(Path.of("/var/tmp"), "nsk" + ProcessHandle.current().pid() + "-kvbench");
        store = KvStore.open(KvConfig.defaults(dir.resolve("kv.db"), "bench").withGroupCommit(groupCommit));
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        System.out.printf("%n[kv] groupCommit=%s: %d requests in %d fsyncs (%.1f per fsync)%n", groupCommit,
                store.metrics().committedRequests(), store.metrics().commits(),
                store.metrics().committedRequests() / (double) Math.max(1, store.metrics().commits()));
        store.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public OrMap durableOp(Writer writer) {
        return store.requestOp(writer.key, writer.ops);
    }
}
