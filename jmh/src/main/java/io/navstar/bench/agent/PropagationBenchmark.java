package io.navstar.bench.agent;

import io.navstar.agent.config.Cidr;
import io.navstar.agent.vip.NamedVipAddresses;
import io.navstar.bench.report.Comparison;
import io.navstar.bench.report.ResultLines;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * Propagation of a VIP through a cluster of real agents (an nscluster cluster that the calling script made): a task
 * with a new named VIP is registered on one node through its API ({@code t0}, just before the request is sent), and
 * {@link NodeProbe}s on every node record when that node's kernel map holds the VIP with its backend and its Spartan
 * answers the VIP's name with its address; a registration's time is that of the last node to have both. The
 * registrations go to random nodes, one at a time, with a pause between them; the first {@code warmup} are not
 * counted. Then, from the agents' logs, where the last node's time went: until its control thread began the
 * recompute (the origin's own recompute and KV commit, the delta's way over gossip, the receiver's durable merge,
 * two debounces), the recompute (KV read, compile, map writes, zones), and after it (until the probe saw it).
 * Not JMH (wall-clock events across processes); run by jmh/scripts/agent-propagation.sh.
 *
 * <p>Usage: {@code PropagationBenchmark CLUSTER NODES REGISTRATIONS WARMUP WORK_DIR PRELOAD [CSV]}; WORK_DIR is the
 * cluster's nscluster work directory (its agents' logs and n1's tasks directory), PRELOAD how many VIPs are registered
 * before the registrations, or several such counts separated by commas ({@code 0,500}), each a stage of WARMUP +
 * REGISTRATIONS registrations after task files on n1 make up the count (every node must hold them before the stage's
 * first registration), CSV an optional file for every sample. With {@code -Dnavstar.bench.results} each stage's
 * p50/p90/p99/max is also written for the report, a scale series against the VIPs registered before
 * ({@link ResultLines}).
 */
public final class PropagationBenchmark {
    private static final Cidr NAMED_RANGE = Cidr.parse("11.0.0.0/8");
    private static final int VIP_PORT = 80;
    private static final long TIMEOUT_MILLIS = 15_000;
    private static final String PROPAGATION = "propagation to all nodes (map + DNS)";
    private static final String VIPS_BEFORE = "VIPs registered before";
    /** The percentiles the report gets. */
    private static final List<String> PERCENTILES = List.of("p50", "p90", "p99", "max");

    /** One registration: where and when, and per node when the map, then DNS, had it (ns after t0; 0 index unused). */
    private record Sample(int index, int vips, int origin, long wallT0, long[] mapNanos, long[] dnsNanos) {
        long bothNanos(int node) {
            return Math.max(mapNanos[node], dnsNanos[node]);
        }

        int lastNode() {
            int last = 1;
            for (int node = 2; node < mapNanos.length; node++) {
                if (bothNanos(node) > bothNanos(last)) {
                    last = node;
                }
            }
            return last;
        }
    }

    private PropagationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 6) {
            System.err.println("usage: PropagationBenchmark CLUSTER NODES REGISTRATIONS WARMUP WORK_DIR PRELOAD [CSV]");
            System.exit(2);
        }
        String cluster = args[0];
        int nodes = Integer.parseInt(args[1]);
        int registrations = Integer.parseInt(args[2]);
        int warmup = Integer.parseInt(args[3]);
        Path workDir = Path.of(args[4]);
        int[] stages = stages(args[5], warmup + registrations);
        Path csv = args.length > 6 ? Path.of(args[6]) : null;
        System.setProperty("http.keepAlive", "false"); // 127.0.0.1:62080 names a different agent in every namespace
        Optional<ResultLines> results = ResultLines.fromSystemProperties();
        results.ifPresent(PropagationBenchmark::declare);

        Random random = new Random(42);
        List<NodeProbe> probes = new ArrayList<>();
        List<List<Sample>> samplesByStage = new ArrayList<>();
        try {
            for (int node = 1; node <= nodes; node++) {
                probes.add(new NodeProbe(cluster, node));
            }
            Set<String> names = new TreeSet<>();
            int existing = probes.get(0).vipCount();
            if (existing != 0) {
                throw new IllegalStateException("n1 already serves " + existing + " VIPs: expected a new cluster");
            }
            int taskFiles = 0;
            int index = 0;
            for (int vips : stages) {
                // task files make up what the registrations of the stages before left to reach this stage's count
                int preload = vips - index;
                if (preload > taskFiles) {
                    TaskFiles.write(workDir.resolve("n1").resolve("data").resolve("tasks"), taskFiles, preload);
                    for (int i = taskFiles; i < preload; i++) {
                        names.add("fp" + i + "@marathon");
                    }
                    taskFiles = preload;
                    awaitEveryNode(probes, vips);
                }
                List<Sample> samples = new ArrayList<>();
                for (int i = 1; i <= warmup + registrations; i++) {
                    index++;
                    Sample sample = register(probes, names, index, vips + i, 1 + random.nextInt(nodes));
                    if (i > warmup) {
                        samples.add(sample);
                    }
                    Thread.sleep(200 + random.nextInt(200)); // let the last recomputes and KV writes settle
                }
                samplesByStage.add(samples);
            }
        } finally {
            probes.forEach(NodeProbe::close);
        }
        for (int stage = 0; stage < stages.length; stage++) {
            List<Sample> samples = samplesByStage.get(stage);
            int vips = stages[stage];
            report(samples, nodes, vips, workDir);
            results.ifPresent(lines -> record(lines, samples, vips));
        }
        if (csv != null) {
            writeCsv(csv, samplesByStage.stream().flatMap(List::stream).toList(), nodes);
        }
    }

    /**
     * The stages, VIPs already registered before each one's registrations ({@code 0,500}), each at least the one
     * before plus the {@code perStage} VIPs that one registers; exits with status 2 on anything else.
     */
    private static int[] stages(String list, int perStage) {
        int[] stages;
        try {
            stages = Arrays.stream(list.split(",")).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            System.err.println("PRELOAD " + list + ": expected VIP counts separated by commas, 0,500");
            System.exit(2);
            throw e;
        }
        for (int i = 0; i < stages.length; i++) {
            int least = i == 0 ? 0 : stages[i - 1] + perStage;
            if (stages[i] < least) {
                System.err.println("PRELOAD " + list + ": stage " + stages[i] + " is below the " + least
                        + " VIPs registered by then (each stage registers " + perStage + ")");
                System.exit(2);
            }
        }
        return stages;
    }

    private static void declare(ResultLines results) {
        for (String percentile : PERCENTILES) {
            results.scale(PROPAGATION + " " + percentile, "ms", Comparison.Better.LOWER, VIPS_BEFORE, PROPAGATION,
                    percentile);
        }
    }

    /** For the report: the stage's percentiles of the time to the last node, each a point of its scale series. */
    private static void record(ResultLines results, List<Sample> samples, int vips) {
        List<Double> last = samples.stream().map(s -> millis(s.bothNanos(s.lastNode()))).toList();
        Percentiles percentiles = new Percentiles(last);
        for (String percentile : PERCENTILES) {
            results.sample(PROPAGATION + " " + percentile, vips, ResultLines.round(), percentile.equals("max")
                    ? percentiles.max() : percentiles.at(Integer.parseInt(percentile.substring(1))));
        }
    }

    private static void awaitEveryNode(List<NodeProbe> probes, int vips) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 600_000;
        for (NodeProbe probe : probes) {
            while (probe.vipCount() != vips) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("n" + probe.node() + " holds " + probe.vipCount() + " of the "
                            + vips + " VIPs preloaded after 600 s");
                }
                Thread.sleep(100);
            }
        }
        Thread.sleep(2_000); // the last recomputes and KV exchanges of the preload end
    }

    /** Registers VIP {@code prop<index>} on {@code origin}, the {@code vips}-th VIP of the cluster. */
    private static Sample register(List<NodeProbe> probes, Set<String> names, int index, int vips, int origin)
            throws Exception {
        String name = "prop" + index;
        names.add(name + "@marathon");
        InetAddress address = NamedVipAddresses.allocate(names, NAMED_RANGE, Set.of()).get(name + "@marathon");
        String dnsName = name + ".marathon.l4lb.thisdcos.directory";
        NodeProbe.Watch[] watches = new NodeProbe.Watch[probes.size() + 1];
        for (NodeProbe probe : probes) {
            watches[probe.node()] = new NodeProbe.Watch(address, VIP_PORT, dnsName);
            probe.watch(watches[probe.node()]);
        }
        String body = String.format("{\"id\":\"%s\",\"framework\":\"marathon\",\"address\":\"10.%d.1.2\","
                + "\"ports\":[{\"port\":%d,\"protocol\":\"tcp\",\"labels\":{\"VIP_0\":\"/%s:%d\"},"
                + "\"health_check\":false}]}", name, 200 + origin, 8000 + index, name, VIP_PORT);
        long wallT0 = System.currentTimeMillis();
        long t0 = probes.get(origin - 1).postTask(body);
        long[] map = new long[probes.size() + 1];
        long[] dns = new long[probes.size() + 1];
        List<Integer> missing = new ArrayList<>();
        for (NodeProbe probe : probes) {
            NodeProbe.Watch watch = watches[probe.node()];
            if (!probe.await(watch, TIMEOUT_MILLIS)) {
                missing.add(probe.node());
                continue;
            }
            map[probe.node()] = watch.mapSeen - t0;
            dns[probe.node()] = watch.dnsSeen - t0;
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException(name + " (" + address.getHostAddress() + ":" + VIP_PORT + ", registered on n"
                    + origin + ") not in the map and DNS of nodes " + missing + " after " + TIMEOUT_MILLIS + " ms");
        }
        return new Sample(index, vips, origin, wallT0, map, dns);
    }

    private static void report(List<Sample> samples, int nodes, int preload, Path workDir) throws IOException {
        List<Double> last = new ArrayList<>();
        List<Double> lastMap = new ArrayList<>();
        List<Double> everyNode = new ArrayList<>();
        List<Double> dnsAfterMap = new ArrayList<>();
        for (Sample s : samples) {
            last.add(millis(s.bothNanos(s.lastNode())));
            long latestMap = 0;
            for (int node = 1; node <= nodes; node++) {
                latestMap = Math.max(latestMap, s.mapNanos[node]);
                everyNode.add(millis(s.bothNanos(node)));
                dnsAfterMap.add(millis(s.dnsNanos[node] - s.mapNanos[node]));
            }
            lastMap.add(millis(latestMap));
        }
        System.out.printf("propagation to all %d nodes (map + DNS), per registration, %d VIPs before: %s%n", nodes,
                preload, new Percentiles(last).summary("ms"));
        System.out.printf("  kernel map of all nodes only:                     %s%n", new Percentiles(lastMap).summary("ms"));
        System.out.printf("  each node separately (map + DNS):                 %s%n", new Percentiles(everyNode).summary("ms"));
        System.out.printf("  DNS answered after the map held it, per node:     %s%n", new Percentiles(dnsAfterMap).summary("ms"));
        System.out.printf("  (probes poll the map every %.1f ms, then DNS; times include up to one poll interval)%n",
                NodeProbe.POLL_NANOS / 1e6);

        // Where the last node's time went, from the agents' logs (millisecond timestamps)
        List<List<AgentLog.Apply>> logs = new ArrayList<>();
        logs.add(List.of());
        for (int node = 1; node <= nodes; node++) {
            logs.add(AgentLog.applies(workDir.resolve("n" + node).resolve("agent.log")));
        }
        List<Double> originStart = new ArrayList<>();
        List<Double> originRecompute = new ArrayList<>();
        List<Double> lastStart = new ArrayList<>();
        List<Double> lastRecompute = new ArrayList<>();
        List<Double> lastAfter = new ArrayList<>();
        List<Double> remoteStartAfterOrigin = new ArrayList<>();
        int unmatched = 0;
        for (Sample s : samples) {
            AgentLog.Apply origin = AgentLog.first(logs.get(s.origin()), s.wallT0(), s.vips());
            int lastNode = s.lastNode();
            AgentLog.Apply last2 = AgentLog.first(logs.get(lastNode), s.wallT0(), s.vips());
            if (origin == null || last2 == null) {
                unmatched++;
                continue;
            }
            originStart.add((double) (origin.startMillis() - s.wallT0()));
            originRecompute.add((double) origin.recomputeMillis());
            lastStart.add((double) (last2.startMillis() - s.wallT0()));
            lastRecompute.add((double) last2.recomputeMillis());
            lastAfter.add(millis(s.bothNanos(lastNode)) - (last2.endMillis() - s.wallT0()));
            for (int node = 1; node <= nodes; node++) {
                AgentLog.Apply apply = AgentLog.first(logs.get(node), s.wallT0(), s.vips());
                if (node != s.origin() && apply != null) {
                    remoteStartAfterOrigin.add((double) (apply.startMillis() - origin.startMillis()));
                }
            }
        }
        System.out.printf("where the time went (agent logs, ms resolution; %d of %d registrations matched):%n",
                samples.size() - unmatched, samples.size());
        System.out.printf("  origin: POST -> its recompute starts (task file, debounce, recompute that publishes, KV commit, debounce): %s%n",
                new Percentiles(originStart).summary("ms"));
        System.out.printf("  origin: recompute that applies:                   %s%n", new Percentiles(originRecompute).summary("ms"));
        System.out.printf("  other nodes: recompute starts after the origin's: %s%n",
                new Percentiles(remoteStartAfterOrigin).summary("ms"));
        System.out.printf("  last node: POST -> its recompute starts:          %s%n", new Percentiles(lastStart).summary("ms"));
        System.out.printf("  last node: recompute (KV read, compile, maps, zones): %s%n", new Percentiles(lastRecompute).summary("ms"));
        System.out.printf("  last node: recompute end -> probe saw both:       %s%n", new Percentiles(lastAfter).summary("ms"));
    }

    private static void writeCsv(Path csv, List<Sample> samples, int nodes) throws IOException {
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(csv))) {
            out.println("registration,origin,node,map_ms,dns_ms");
            for (Sample s : samples) {
                for (int node = 1; node <= nodes; node++) {
                    out.printf("%d,%d,%d,%.3f,%.3f%n", s.index(), s.origin(), node, millis(s.mapNanos[node]),
                            millis(s.dnsNanos[node]));
                }
            }
        }
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }
}
