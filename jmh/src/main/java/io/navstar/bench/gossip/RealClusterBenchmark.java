package io.navstar.bench.gossip;

import io.navstar.bench.report.Comparison;
import io.navstar.bench.report.ResultLines;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.cli.ProcessCluster;
import io.navstar.gossip.cli.ProcessCluster.Event;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Failure detection and healing on real processes: 25 gossip nodes as OS processes over loopback
 * TCP (127.0.0.1-25). Each round kills 5 nodes with SIGKILL and measures, for every survivor and
 * every killed node, the time from the kill until that survivor's own reachability event; then
 * restarts them. Then partitions 15/10 and measures the time from the heal until every node's own
 * routes reach all 25 again. Not JMH (wall-clock events across processes); run by
 * jmh/scripts/gossip-real-cluster.sh.
 *
 * <p>Usage: {@code RealClusterBenchmark [rounds]} (default 3). With {@code -Dnavstar.bench.results} each round's
 * detection percentiles and heal time are also written for the report ({@link ResultLines}).
 */
public final class RealClusterBenchmark {

    private static final int SIZE = 25;
    private static final String DETECTION = "kill to a survivor's unreachable event";
    private static final List<String> DETECTION_PERCENTILES = List.of("p50", "p90", "p99", "max");
    private static final String HEAL = "heal of a 15/10 partition to every node reaching all";

    private RealClusterBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        Path dir = Files.createTempDirectory("nsg" + ProcessHandle.current().pid() + "-bench");
        int port = freePort();
        Random random = new Random(7);
        List<Long> detection = new ArrayList<>();
        List<List<Long>> detectionByRound = new ArrayList<>();
        List<Long> heals = new ArrayList<>();
        try (ProcessCluster cluster = new ProcessCluster(dir, SIZE, port, ProcessCluster.javaCommandOfThisJvm(),
                "real-cluster-benchmark-secret")) {
            cluster.start();
            Set<NodeId> all = new HashSet<>(cluster.nodes());
            long converged = cluster.awaitEveryNode(s -> s.reachable().equals(all), 120_000);
            check(converged >= 0, "did not converge", cluster);
            System.out.printf("converged: every node reaches all %d after %d ms (JVM start-up included)%n", SIZE, converged);
            for (int round = 0; round < rounds; round++) {
                Thread.sleep(3_000); // let RTT windows settle
                List<NodeId> candidates = new ArrayList<>(cluster.nodes());
                Collections.shuffle(candidates, random);
                List<NodeId> victims = candidates.subList(0, 5);
                Set<NodeId> survivors = new HashSet<>(all);
                victims.forEach(survivors::remove);
                long killedAt = 0;
                for (NodeId victim : victims) {
                    killedAt = cluster.kill(victim);
                }
                long seen = cluster.awaitEveryNode(s -> s.reachable().equals(survivors), 30_000);
                check(seen >= 0, "survivors did not drop the killed nodes", cluster);
                Thread.sleep(300); // events are flushed as they happen; give the last ones time
                List<Long> thisRound = new ArrayList<>();
                for (NodeId survivor : survivors) {
                    for (NodeId victim : victims) {
                        long at = firstUnreachable(cluster.events(survivor), victim, killedAt);
                        check(at > 0, survivor + " logged no event for " + victim, cluster);
                        thisRound.add(at - killedAt);
                    }
                }
                detection.addAll(thisRound);
                detectionByRound.add(thisRound);
                for (NodeId victim : victims) {
                    cluster.restart(victim);
                }
                check(cluster.awaitEveryNode(s -> s.reachable().equals(all), 120_000) >= 0, "restart", cluster);
            }
            for (int round = 0; round < rounds; round++) {
                Thread.sleep(3_000);
                List<NodeId> sideA = cluster.nodes().subList(0, 15);
                List<NodeId> sideB = cluster.nodes().subList(15, SIZE);
                Set<NodeId> a = new HashSet<>(sideA);
                Set<NodeId> b = new HashSet<>(sideB);
                sideA.forEach(node -> cluster.block(node, sideB));
                sideB.forEach(node -> cluster.block(node, sideA));
                check(cluster.awaitEveryNode(s -> s.reachable().equals(a.contains(s.self()) ? a : b), 30_000) >= 0,
                        "partition", cluster);
                Thread.sleep(2_000);
                long healStart = System.currentTimeMillis();
                cluster.nodes().forEach(cluster::unblock);
                long healed = cluster.awaitEveryNode(s -> s.reachable().equals(all), 60_000);
                check(healed >= 0, "heal", cluster);
                heals.add(System.currentTimeMillis() - healStart);
            }
        } finally {
            deleteTree(dir);
        }
        Collections.sort(detection);
        long within = detection.stream().filter(ms -> ms <= 1_500).count();
        System.out.printf("kill -> survivor sees unreachable (%d samples, %d rounds x 5 kills x 20 survivors): "
                        + "p50 %d ms, p90 %d ms, p99 %d ms, max %d ms; %.1f %% within 1.5 s%n",
                detection.size(), rounds, pct(detection, 50), pct(detection, 90), pct(detection, 99),
                detection.get(detection.size() - 1), 100.0 * within / detection.size());
        System.out.printf("heal 15/10 partition -> every node reaches all 25: %s ms (status polled every 50 ms, written every 100 ms)%n",
                heals);
        ResultLines.fromSystemProperties().ifPresent(results -> record(results, detectionByRound, heals));
    }

    /**
     * For the report: each kill round's detection percentiles (over its 5 x 20 survivor-victim pairs), so the rounds
     * give them a noise band, and each partition round's heal time.
     */
    private static void record(ResultLines results, List<List<Long>> detectionByRound, List<Long> heals) {
        String subject = SIZE + " processes";
        for (String percentile : DETECTION_PERCENTILES) {
            results.percentile(DETECTION, percentile, "ms", Comparison.Better.LOWER, null);
        }
        results.metric(HEAL, "ms", Comparison.Better.LOWER, null);
        for (int round = 0; round < detectionByRound.size(); round++) {
            List<Long> sorted = new ArrayList<>(detectionByRound.get(round));
            Collections.sort(sorted);
            for (String percentile : DETECTION_PERCENTILES) {
                long value = percentile.equals("max") ? sorted.getLast()
                        : pct(sorted, Integer.parseInt(percentile.substring(1)));
                results.sample(DETECTION + " " + percentile, subject, round + 1, value);
            }
        }
        for (int round = 0; round < heals.size(); round++) {
            results.sample(HEAL, subject, round + 1, heals.get(round));
        }
    }

    private static long firstUnreachable(List<Event> events, NodeId victim, long after) {
        for (Event event : events) {
            if (!event.reachable() && event.node().equals(victim) && event.timeMillis() >= after) {
                return event.timeMillis();
            }
        }
        return -1;
    }

    private static long pct(List<Long> sorted, int percentile) {
        int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static void check(boolean ok, String what, ProcessCluster cluster) {
        if (!ok) {
            throw new IllegalStateException(what + "\n" + cluster.describe());
        }
    }

    private static int freePort() throws IOException {
        Random random = new Random();
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = 20_000 + random.nextInt(20_000);
            boolean free = true;
            for (int i = 1; i <= SIZE && free; i++) {
                try (ServerSocket socket = new ServerSocket()) {
                    socket.bind(new InetSocketAddress("127.0.0." + i, port));
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) {
                return port;
            }
        }
        throw new IOException("no free port");
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Collections.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
