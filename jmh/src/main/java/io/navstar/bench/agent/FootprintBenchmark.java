package io.navstar.bench.agent;

import io.navstar.bench.report.Comparison;
import io.navstar.bench.report.ResultLines;
import io.navstar.loader.BpfMap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Resident memory and CPU of real agents with a growing number of VIPs: for each stage N, task files with distinct
 * named VIPs are dropped into node 1's tasks directory until it holds N (the way an orchestrator registers them),
 * every node's pinned lb_vips is polled until it holds N VIPs, the agents are left alone for a settling time, then
 * each agent's memory (VmRSS, split into anonymous memory, mapped files and mmapped eBPF maps) and CPU (utime +
 * stime over the sample window, as a share of one core) are sampled while idle. Several clusters (one per set of
 * JVM options, made by the calling script) go through the stages together, so their figures are taken under the
 * same machine load. Not JMH (whole processes); run by jmh/scripts/agent-footprint.sh.
 *
 * <p>Usage: {@code FootprintBenchmark WORK_ROOT STAGES SETTLE_SECONDS SAMPLE_SECONDS CLUSTER...}, STAGES a
 * comma-separated list of VIP counts in increasing order ({@code 0,1000,10000}). With {@code -Dnavstar.bench.results}
 * each agent's VmRSS, VmRSS less eBPF maps and CPU are also written for the report, scale series against the VIPs
 * ({@link ResultLines}).
 */
public final class FootprintBenchmark {
    private static final long CONVERGE_TIMEOUT_MILLIS = 600_000;
    private static final String VIPS = "VIPs";
    private static final String RSS = "agent VmRSS";
    private static final String OWN = "agent VmRSS less eBPF maps";
    private static final String CPU = "agent idle CPU";

    /** One cluster under test: its nodes' agents and pinned VIP maps. */
    private record Cluster(String name, Path dir, int nodes, String jvmOptions, String heap, List<BpfMap> vips) {
        long pid(int node) throws IOException {
            return Long.parseLong(Files.readString(dir.resolve("n" + node).resolve("agent.pid")).trim());
        }

        Path tasks() {
            return dir.resolve("n1").resolve("data").resolve("tasks");
        }
    }

    private FootprintBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: FootprintBenchmark WORK_ROOT STAGES SETTLE_SECONDS SAMPLE_SECONDS CLUSTER...");
            System.exit(2);
        }
        Path root = Path.of(args[0]);
        int[] stages = java.util.Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray();
        int settleSeconds = Integer.parseInt(args[2]);
        int sampleSeconds = Integer.parseInt(args[3]);
        List<Cluster> clusters = new ArrayList<>();
        for (int i = 4; i < args.length; i++) {
            clusters.add(open(root, args[i]));
        }
        Optional<ResultLines> results = ResultLines.fromSystemProperties();
        results.ifPresent(lines -> clusters.forEach(cluster -> declare(lines, cluster.name())));
        try {
            for (Cluster cluster : clusters) {
                System.out.printf("cluster %s: %d nodes, tasks on n1, JVM -Xmx%s %s%n", cluster.name(), cluster.nodes(),
                        cluster.heap(), cluster.jvmOptions());
            }
            System.out.printf("%-8s %6s %-5s %9s %8s %8s %8s %9s %8s %7s%n", "cluster", "VIPs", "node", "VmRSS MB",
                    "anon MB", "file MB", "maps MB", "own MB", "CPU %", "threads");
            int registered = 0;
            for (int vips : stages) {
                for (Cluster cluster : clusters) {
                    TaskFiles.write(cluster.tasks(), registered, vips);
                }
                registered = vips;
                long start = System.nanoTime();
                for (Cluster cluster : clusters) {
                    long took = awaitVips(cluster, vips, start);
                    System.out.printf("# %s: every node's lb_vips holds %d VIPs %.1f s after the task files were written%n",
                            cluster.name(), vips, took / 1e9);
                }
                Thread.sleep(settleSeconds * 1000L);
                sample(clusters, vips, sampleSeconds, results);
            }
        } finally {
            for (Cluster cluster : clusters) {
                cluster.vips().forEach(BpfMap::close);
            }
        }
    }

    private static Cluster open(Path root, String name) throws IOException {
        Path dir = root.resolve(name);
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(dir.resolve("cluster.env"))) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1).replace("\\ ", " ")); // bash's printf %q
            }
        }
        int nodes = Integer.parseInt(env.get("NODES"));
        List<BpfMap> vips = new ArrayList<>();
        for (int node = 1; node <= nodes; node++) {
            vips.add(PinnedVips.open(name, node));
        }
        return new Cluster(name, dir, nodes, env.getOrDefault("AGENT_JVM_OPTS", "").trim(), env.get("HEAP"), vips);
    }

    /** Waits until every node of the cluster holds {@code vips} VIPs; returns nanoseconds since {@code start}. */
    private static long awaitVips(Cluster cluster, int vips, long start) throws InterruptedException {
        long deadline = System.currentTimeMillis() + CONVERGE_TIMEOUT_MILLIS;
        while (true) {
            boolean all = true;
            StringBuilder counts = new StringBuilder();
            for (BpfMap map : cluster.vips()) {
                int count = PinnedVips.count(map);
                counts.append(' ').append(count);
                all &= count == vips;
            }
            if (all) {
                return System.nanoTime() - start;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException(cluster.name() + ": expected " + vips + " VIPs on every node, have"
                        + counts + " after " + CONVERGE_TIMEOUT_MILLIS / 1000 + " s");
            }
            Thread.sleep(100);
        }
    }

    /**
     * The report's metrics for one cluster, each a scale series against the VIPs with one line per cluster (JVM
     * option set); every agent of the cluster is one round, so the spread of the agents is the noise band.
     */
    private static void declare(ResultLines results, String cluster) {
        results.scale(RSS + ", " + cluster, "MB", Comparison.Better.LOWER, VIPS, RSS, cluster)
                .scale(OWN + ", " + cluster, "MB", Comparison.Better.LOWER, VIPS, OWN, cluster)
                .scale(CPU + ", " + cluster, "% of a core", Comparison.Better.LOWER, VIPS, CPU, cluster);
    }

    /**
     * Samples every agent of every cluster over the same window; prints one row per agent, and gives the report each
     * agent's figures as round {@code node} at {@code vips}.
     */
    private static void sample(List<Cluster> clusters, int vips, int seconds, Optional<ResultLines> results)
            throws Exception {
        List<long[]> before = new ArrayList<>();
        List<List<Map<String, Long>>> threadsBefore = new ArrayList<>();
        for (Cluster cluster : clusters) {
            long[] ticks = new long[cluster.nodes() + 1];
            List<Map<String, Long>> threads = new ArrayList<>();
            threads.add(Map.of());
            for (int node = 1; node <= cluster.nodes(); node++) {
                ticks[node] = ProcessUsage.of(cluster.pid(node)).cpuTicks();
                threads.add(ProcessUsage.threadTicks(cluster.pid(node)));
            }
            before.add(ticks);
            threadsBefore.add(threads);
        }
        long start = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        double elapsed = (System.nanoTime() - start) / 1e9;
        for (int c = 0; c < clusters.size(); c++) {
            Cluster cluster = clusters.get(c);
            for (int node = 1; node <= cluster.nodes(); node++) {
                ProcessUsage usage = ProcessUsage.of(cluster.pid(node));
                double cpu = 100.0 * (usage.cpuTicks() - before.get(c)[node]) / ProcessUsage.USER_HZ / elapsed;
                double rss = usage.vmRssKb() / 1024.0;
                double own = (usage.vmRssKb() - usage.bpfMapKb()) / 1024.0;
                System.out.printf("%-8s %6d %-5s %9.1f %8.1f %8.1f %8.1f %9.1f %8.2f %7d%n", cluster.name(), vips,
                        "n" + node + (node == 1 ? "*" : ""), rss, usage.anonKb() / 1024.0,
                        usage.fileKb() / 1024.0, usage.bpfMapKb() / 1024.0, own, cpu, usage.threads());
                int round = node;
                results.ifPresent(lines -> lines.sample(RSS + ", " + cluster.name(), vips, round, rss)
                        .sample(OWN + ", " + cluster.name(), vips, round, own)
                        .sample(CPU + ", " + cluster.name(), vips, round, cpu));
            }
        }
        // where the idle CPU goes: the busiest threads of each cluster's n2 (a node that only receives)
        for (int c = 0; c < clusters.size(); c++) {
            Cluster cluster = clusters.get(c);
            int node = Math.min(2, cluster.nodes());
            Map<String, Long> after = ProcessUsage.threadTicks(cluster.pid(node));
            Map<String, Long> earlier = threadsBefore.get(c).get(node);
            StringBuilder busiest = new StringBuilder();
            after.entrySet().stream()
                    .map(e -> Map.entry(e.getKey(), e.getValue() - earlier.getOrDefault(e.getKey(), 0L)))
                    .filter(e -> e.getValue() > 0)
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .limit(6)
                    .forEach(e -> busiest.append(String.format(" %s %.2f %%,", e.getKey(),
                            100.0 * e.getValue() / ProcessUsage.USER_HZ / elapsed)));
            System.out.printf("# %s n%d busiest threads:%s%n", cluster.name(), node,
                    busiest.isEmpty() ? " none" : busiest.substring(0, busiest.length() - 1));
        }
    }
}
