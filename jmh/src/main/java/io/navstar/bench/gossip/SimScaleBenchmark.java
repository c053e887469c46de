package io.navstar.bench.gossip;

import io.navstar.bench.report.Comparison;
import io.navstar.bench.report.ResultLines;
import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.GossipNode;
import io.navstar.gossip.sim.SimCluster;
import io.navstar.gossip.wire.MessageType;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;

/**
 * How Lashup's cost grows with cluster size, in the deterministic simulator: for each N, all nodes
 * join at once through one contact; we report the simulated time until every node's own table
 * holds all N rows and its routes reach all N nodes, the messages and bytes per node per second
 * while converging, and the same over a quiet minute afterwards (health probes, shuffles,
 * floods), and the heap in use after a full collection once converged (in MB and per node). Not JMH: one long run per size. Run by jmh/scripts/gossip-sim-scale.sh.
 * With {@code -Dnavstar.bench.results} each of those figures per node is also written for the report as a scale
 * series against N ({@link ResultLines}).
 *
 * <p>Usage: {@code SimScaleBenchmark [N ...]} (default 100 1000 3000; see the script for 10,000).
 */
public final class SimScaleBenchmark {
    private static final String NODES = "nodes";
    private static final String CONVERGENCE = "convergence time (simulated)";
    private static final String MESSAGES_CONVERGING = "messages per node per second, converging";
    private static final String MESSAGES_QUIET = "messages per node per second, quiet minute";
    private static final String BYTES_CONVERGING = "bytes per node per second, converging";
    private static final String BYTES_QUIET = "bytes per node per second, quiet minute";
    private static final String HEAP = "live heap per node";

    private SimScaleBenchmark() {
    }

    public static void main(String[] args) {
        int[] sizes = args.length == 0 ? new int[] {100, 1_000, 3_000}
                : java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        System.out.printf("%7s %12s %10s %14s %14s %14s %14s %10s %10s %s%n", "N", "converge_s", "wall_s",
                "conv_msg/n/s", "conv_B/n/s", "quiet_msg/n/s", "quiet_B/n/s", "heap_MB", "heap_KB/n",
                "quiet bytes by type (top)");
        ResultLines.fromSystemProperties().ifPresent(SimScaleBenchmark::declare);
        for (int n : sizes) {
            run(n);
        }
    }

    private static void run(int n) {
        long wallStart = System.nanoTime();
        SimCluster cluster = new SimCluster(GossipConfig.simulation(), 42, Duration.ofMillis(1), Duration.ofMillis(5), false);
        cluster.addAndStart(n);
        Duration converged = cluster.runUntil(() -> allSee(cluster.nodes(), n), Duration.ofMillis(250), Duration.ofMinutes(30));
        double convergeSeconds = converged == null ? Double.NaN : converged.toNanos() / 1e9;
        long convMessages = cluster.network().deliveredMessages();
        long convBytes = cluster.network().deliveredBytes();
        long heapAfterConverge = liveHeapBytes();
        Map<MessageType, Long> before = bytesByType(cluster.nodes());
        Duration quiet = Duration.ofSeconds(60);
        cluster.runFor(quiet);
        long quietMessages = cluster.network().deliveredMessages() - convMessages;
        long quietBytes = cluster.network().deliveredBytes() - convBytes;
        Map<MessageType, Long> after = bytesByType(cluster.nodes());
        StringBuilder top = new StringBuilder();
        after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() > 0)
                .sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(3)
                .forEach(e -> top.append(e.getKey()).append('=')
                        .append(String.format("%.0f", e.getValue() / (double) n / quiet.toSeconds())).append(' '));
        double wall = (System.nanoTime() - wallStart) / 1e9;
        double convMessagesRate = convMessages / (double) n / convergeSeconds;
        double convBytesRate = convBytes / (double) n / convergeSeconds;
        double quietMessagesRate = quietMessages / (double) n / quiet.toSeconds();
        double quietBytesRate = quietBytes / (double) n / quiet.toSeconds();
        System.out.printf("%7d %12.1f %10.1f %14.1f %14.0f %14.1f %14.0f %10d %10d %s%n", n, convergeSeconds, wall,
                convMessagesRate, convBytesRate, quietMessagesRate, quietBytesRate,
                heapAfterConverge >> 20, heapAfterConverge / n >> 10, top);
        System.out.flush();
        ResultLines.fromSystemProperties().ifPresent(results -> {
            int round = ResultLines.round();
            results.sample(CONVERGENCE, n, round, convergeSeconds)
                    .sample(MESSAGES_CONVERGING, n, round, convMessagesRate)
                    .sample(MESSAGES_QUIET, n, round, quietMessagesRate)
                    .sample(BYTES_CONVERGING, n, round, convBytesRate)
                    .sample(BYTES_QUIET, n, round, quietBytesRate)
                    .sample(HEAP, n, round, heapAfterConverge / (double) n / 1024);
        });
    }

    /** The report's metrics, each a scale series against N (declared once, before the first size). */
    private static void declare(ResultLines results) {
        results.scale(CONVERGENCE, "s", Comparison.Better.LOWER, NODES, "convergence time", "simulated time")
                .scale(MESSAGES_CONVERGING, "msg/s", Comparison.Better.LOWER, NODES, "messages per node per second",
                        "converging")
                .scale(MESSAGES_QUIET, "msg/s", Comparison.Better.LOWER, NODES, "messages per node per second",
                        "quiet minute")
                .scale(BYTES_CONVERGING, "B/s", Comparison.Better.LOWER, NODES, "bytes per node per second",
                        "converging")
                .scale(BYTES_QUIET, "B/s", Comparison.Better.LOWER, NODES, "bytes per node per second",
                        "quiet minute")
                .scale(HEAP, "KB", Comparison.Better.LOWER, NODES, "live heap per node", "after a full collection");
    }

    // Heap in use after a full collection, the cluster converged (what the N^2 tables really cost;
    // wall time includes this collection).
    private static long liveHeapBytes() {
        System.gc();
        java.lang.management.MemoryUsage heap =
                java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return heap.getUsed();
    }

    private static boolean allSee(Collection<GossipNode> nodes, int n) {
        for (GossipNode node : nodes) {
            if (node.reachableCount() != n || node.memberCount() != n) {
                return false;
            }
        }
        return true;
    }

    private static Map<MessageType, Long> bytesByType(Collection<GossipNode> nodes) {
        Map<MessageType, Long> bytes = new EnumMap<>(MessageType.class);
        for (GossipNode node : nodes) {
            for (MessageType type : MessageType.values()) {
                bytes.merge(type, node.metrics().bytesIn(type), Long::sum);
            }
        }
        return bytes;
    }
}
