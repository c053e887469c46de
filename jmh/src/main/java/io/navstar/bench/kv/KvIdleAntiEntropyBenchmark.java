package io.navstar.bench.kv;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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

/**
 * Anti-entropy traffic of a converged 5-node cluster on the simulated gossip network, for two
 * state sizes side by side, idle and with a trickle of changes: the bytes per second should follow
 * the changes, not the state. Reported as the {@code antiEntropyBytesPerSecond} counter (and
 * printed), over 30 simulated seconds.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class KvIdleAntiEntropyBenchmark {

    private static final int SECONDS = 30;

    @Param({"1000", "100000"})
    public int keys;

    @Param({"0", "10"})
    public int changesPerSecond;

    private KvSimCluster sim;

    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Result {
        public long antiEntropyBytesPerSecond;
    }

    @Setup(Level.Iteration)
    public void converge() {
        sim = new KvSimCluster(5, 23);
        for (int i = 0; i < keys; i++) {
            sim.write(i % 5, i, 1);
        }
        if (sim.cluster.runUntil(sim::converged, Duration.ofMillis(100), Duration.ofMinutes(10)) == null) {
            throw new IllegalStateException("did not converge");
        }
        sim.cluster.runFor(Duration.ofSeconds(5));
    }

    @Benchmark
    public void measure(Result result) {
        final long before = sim.antiEntropyBytesSent();
        final Random random = new Random(5);
        for (int s = 0; s < SECONDS; s++) {
            for (int c = 0; c < changesPerSecond; c++) {
                sim.write(random.nextInt(5), random.nextInt(keys), 1);
                sim.cluster.runFor(Duration.ofMillis(1000 / changesPerSecond));
            }
            if (changesPerSecond == 0) {
                sim.cluster.runFor(Duration.ofSeconds(1));
            }
        }
        result.antiEntropyBytesPerSecond = (sim.antiEntropyBytesSent() - before) / SECONDS;
        System.out.printf("%n[kv] keys=%d changes/s=%d: %d anti-entropy bytes/s across 5 nodes%n",
                keys, changesPerSecond, result.antiEntropyBytesPerSecond);
    }

    @TearDown(Level.Iteration)
    public void close() {
        sim.close();
    }
}
