package io.navstar.bench.kv;

import java.time.Duration;
import java.util.List;
import java.util.Set;
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
 * Time to converge after a heal against the number of keys, on the simulated gossip network (5
 * nodes, 1-5 ms latency): one node is cut off while another writes {@code keys} keys; the
 * benchmark heals the partition and runs the simulation until every node holds the same keys and
 * clocks. The wall time JMH reports is the cost of simulating it; the figure that matters is the
 * simulated time, reported as the {@code simulatedMillis} counter (summed over iterations by JMH;
 * each iteration is the same deterministic run, and the per-run figure is printed), with the
 * anti-entropy bytes it took.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class KvConvergenceBenchmark {

    @Param({"100", "10000", "100000"})
    public int keys;

    private KvSimCluster sim;
    private long bytesBefore;
    private int linksAcrossAtHeal;

    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Result {
        public long simulatedMillis;
        public long reconnectMillis;
        public long antiEntropyBytes;
    }

    @Setup(Level.Iteration)
    public void partitionAndWrite() {
        sim = new KvSimCluster(5, 17);
        final Set<io.navstar.gossip.NodeId> majority = Set.copyOf(sim.ids.subList(0, 4));
        sim.cluster.partition(List.of(majority, Set.of(sim.ids.get(4))));
        sim.cluster.runFor(Duration.ofSeconds(5));
        for (int i = 0; i < keys; i++) {
            sim.write(i % 4, i, 1);
        }
        // Long enough for failure detection to drop the links across the cut, so the heal
        // includes the overlay reconnecting and a full exchange with the returning node.
        sim.cluster.runFor(Duration.ofSeconds(30));
        bytesBefore = sim.antiEntropyBytesSent();
        linksAcrossAtHeal = sim.replicator(4).neighbours().size();
    }

    @Benchmark
    public void healAndConverge(Result result) {
        sim.cluster.heal();
        final Duration reconnected = sim.cluster.runUntil(() -> !sim.replicator(4).neighbours().isEmpty(),
                Duration.ofMillis(1), Duration.ofMinutes(10));
        final Duration took = sim.cluster.runUntil(sim::converged, Duration.ofMillis(1), Duration.ofMinutes(10));
        if (reconnected == null || took == null) {
            throw new IllegalStateException("did not converge within 10 simulated minutes");
        }
        result.reconnectMillis = reconnected.toMillis();
        result.simulatedMillis = reconnected.toMillis() + took.toMillis();
        result.antiEntropyBytes = sim.antiEntropyBytesSent() - bytesBefore;
        System.out.printf("%n[kv] keys=%d converged %d simulated ms after the heal: overlay reconnected after %d ms,"
                        + " then KV converged in %d ms with %d anti-entropy bytes (cut-off node had %d KV neighbours at the heal)%n",
                keys, result.simulatedMillis, reconnected.toMillis(), took.toMillis(), result.antiEntropyBytes, linksAcrossAtHeal);
    }

    @TearDown(Level.Iteration)
    public void close() {
        sim.close();
    }
}
