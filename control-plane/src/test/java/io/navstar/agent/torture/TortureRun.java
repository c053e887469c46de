package io.navstar.agent.torture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.navstar.agent.cluster.ClusterFixtures;
import io.navstar.agent.cluster.ClusterFixtures.Answer;
import io.navstar.agent.cluster.ClusterFixtures.Backend;
import io.navstar.agent.cluster.ClusterFixtures.Probe;
import io.navstar.agent.cluster.NsCluster;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.VipKey;
import io.navstar.agent.torture.FaultSchedule.Fault;
import io.navstar.agent.torture.FaultSchedule.Kind;
import io.navstar.agent.torture.InvariantChecks.Connection;
import io.navstar.sys.bpf.BpfException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * One torture run: a cluster of {@link Settings#nodes()} agents under navstar-launch (sock or tc mode), each node with a
 * backend container serving its VIPs and a client container calling one VIP by name; then a storm of faults drawn
 * from one seed (partitions between random groups of nodes, 5 % loss on the fabric, SIGKILL of agents, tasks
 * registered and removed, backends that stop listening and fail their health check) while a writer puts
 * acknowledged elements into the KV store and a sampler reads every agent's resident memory; then the final heal and
 * the invariants of {@link InvariantChecks}, checked during the storm (each kernel equals what its agent's state
 * compiles to) and after the heal (all of them). Each fault goes to the {@link FaultSchedule} file as it is made.
 * Threading: the calling thread drives the run; the KV writer and the memory sampler are two threads of their own.
 */
final class TortureRun implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final int BACKEND_PORT = 8080;
    private static final int VIP_PORT = 80;
    private static final int API_PORT = 62080;
    private static final int GOSSIP_PORT = 62501;
    private static final String TABLE = "bridge torture";
    /** Probe timeout: longer than a few SYN retransmissions (1 s, then 2 s) that 5 % loss causes now and then. */
    static final int CONNECT_TIMEOUT_MILLIS = 5000;
    private static final int PROBE_INTERVAL_MILLIS = 500;
    /**
     * How long after a change a connection may still fail: a health check drains a backend after three failed checks
     * 2 s apart (HealthChecks), membership notices a cut within a few seconds, and the change must cross the fabric.
     */
    static final long SETTLE_MILLIS = 12_000;
    /** The bound on the cluster agreeing after the final heal: membership, KV state, kernels, DNS. */
    private static final Duration HEAL_BOUND = Duration.ofSeconds(60);

    /**
     * What to run.
     *
     * @param seed     every random choice of the schedule follows from it
     * @param storm    how long faults go on
     * @param nodes    agents (10 at least for the suite)
     * @param vips     named VIPs, {@code /v0:80} ...
     * @param heap     each agent's -Xmx
     * @param mode     the data plane's mode: sock, or tc (on the containers' veths)
     * @param keepRoot where the schedule is written and, after a failure, the agents' logs kept
     */
    record Settings(long seed, Duration storm, int nodes, int vips, String heap, String mode, Path keepRoot) {
    }

    /** The outcome: every violation found, and figures for the report. */
    record Outcome(List<String> violations, InvariantChecks.ConnectionReport connections, int acknowledgedWrites,
                   int attemptedWrites, int faults, int kernelChecks, Map<String, List<Long>> rss, Duration run,
                   Path keptIn) {
    }

    private final Settings settings;
    private final SplittableRandom random;
    private final NsCluster cluster;
    private final FaultSchedule schedule;
    private final Path keepDir;
    private final Backend[] backends;
    private final List<Probe> probes = new ArrayList<>();
    private final Map<Integer, String> probedVip = new HashMap<>();
    /** node -> VIP labels its backend is registered in (the run's own record of what it asked for). */
    private final Map<Integer, Set<String>> registrations = new TreeMap<>();
    private final Set<Integer> stopped = new TreeSet<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    private final Set<String> attempted = ConcurrentHashMap.newKeySet();
    private final Map<String, List<Long>> rss = new ConcurrentHashMap<>();
    private final AtomicBoolean writing = new AtomicBoolean();
    private final AtomicBoolean sampling = new AtomicBoolean();
    private final AtomicInteger kernelChecks = new AtomicInteger();
    private List<Set<Integer>> partition = List.of();
    private boolean loss;
    private Thread writer;
    private Thread sampler;

    private TortureRun(Settings settings, NsCluster cluster, FaultSchedule schedule, Path keepDir) {
        this.settings = settings;
        this.random = new SplittableRandom(settings.seed());
        this.cluster = cluster;
        this.schedule = schedule;
        this.keepDir = keepDir;
        this.backends = new Backend[settings.nodes() + 1];
    }

    /** Makes the cluster, its containers, backends, tasks and clients, and waits until they agree. */
    static TortureRun start(Settings settings) {
        String name = NsCluster.uniqueName("t");
        Path keepDir = settings.keepRoot().resolve(name + "-seed-" + settings.seed());
        try {
            Files.createDirectories(keepDir);
            Files.deleteIfExists(keepDir.resolve("schedule.txt"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        FaultSchedule schedule = new FaultSchedule(System.currentTimeMillis(), keepDir.resolve("schedule.txt"));
        schedule.add(Fault.note(System.currentTimeMillis(), "seed " + settings.seed() + ", " + settings.nodes()
                + " nodes, " + settings.mode() + " mode, storm " + settings.storm().toSeconds() + " s"));
        NsCluster cluster = NsCluster.up(name, settings.nodes(), settings.mode(), settings.heap(),
                NsCluster.UpOption.LAUNCH);
        TortureRun run = new TortureRun(settings, cluster, schedule, keepDir);
        try {
            run.populate();
        } catch (RuntimeException | Error e) {
            run.keepLogs();
            run.close();
            throw e;
        }
        return run;
    }

    private static String vipLabel(int vip) {
        return "/v" + vip + ":" + VIP_PORT;
    }

    private static String vipName(String label) {
        return label.substring(1, label.indexOf(':')) + ".marathon.l4lb.thisdcos.directory";
    }

    private static String taskId(int node, String label) {
        return "t" + node + "-" + label.substring(1, label.indexOf(':'));
    }

    private void populate() {
        int n = settings.nodes();
        for (int node = 1; node <= n; node++) {
            cluster.container(node, 1).orThrow("container n" + node + " c1");
            cluster.container(node, 2).orThrow("container n" + node + " c2");
            backends[node] = new Backend(cluster, node, 1, "n" + node, BACKEND_PORT, 1 << 20, 1 << 20);
            registrations.put(node, new TreeSet<>());
            // every VIP gets backends on several nodes: the node's own VIP and the next one
            register(node, vipLabel((node - 1) % settings.vips()));
            register(node, vipLabel(node % settings.vips()));
        }
        awaitAgreement("the first registrations");
        for (int node = 1; node <= n; node++) {
            String label = vipLabel(random.nextInt(settings.vips()));
            probedVip.put(node, label);
            probes.add(new Probe(cluster, node, 2, vipName(label), VIP_PORT, PROBE_INTERVAL_MILLIS, CONNECT_TIMEOUT_MILLIS));
        }
        schedule.add(Fault.note(System.currentTimeMillis(), "clients started: " + probedVip));
    }

    /** Runs the storm, heals, checks every invariant; returns what it found (never throws for a violation). */
    Outcome run() {
        long began = System.currentTimeMillis();
        writing.set(true);
        sampling.set(true);
        writer = Thread.ofPlatform().name("torture-kv-writer").start(this::writeLoop);
        sampler = Thread.ofPlatform().name("torture-rss-sampler").start(this::sampleLoop);
        storm();
        heal();
        writing.set(false);
        join(writer);
        finalChecks();
        ClusterFixtures.sleep(10_000); // quiet: every connection now must succeed
        sampling.set(false);
        join(sampler);
        InvariantChecks.ConnectionReport connections = InvariantChecks.connections(connections(), schedule.faults(),
                CONNECT_TIMEOUT_MILLIS, SETTLE_MILLIS);
        violations.addAll(connections.violations());
        try {
            Files.write(keepDir.resolve("failed-connections.txt"), connections.excused());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        violations.addAll(InvariantChecks.memoryLevelsOff(rss, 1.25, 64 << 10));
        Path kept = null;
        if (!violations.isEmpty()) {
            kept = keepLogs();
        }
        return new Outcome(List.copyOf(violations), connections, acknowledged.size(), attempted.size(),
                schedule.faults().size(), kernelChecks.get(), Map.copyOf(rss),
                Duration.ofMillis(System.currentTimeMillis() - began), kept);
    }

    NsCluster cluster() {
        return cluster;
    }

    FaultSchedule schedule() {
        return schedule;
    }

    private void storm() {
        schedule.add(Fault.note(System.currentTimeMillis(), "storm begins"));
        long end = System.currentTimeMillis() + settings.storm().toMillis();
        long nextKernelCheck = System.currentTimeMillis() + 15_000;
        while (System.currentTimeMillis() < end) {
            ClusterFixtures.sleep(1500 + random.nextInt(2000));
            int dice = random.nextInt(100);
            int node = 1 + random.nextInt(settings.nodes());
            String label = vipLabel(random.nextInt(settings.vips()));
            if (dice < 25) {
                repartition();
            } else if (dice < 33) {
                applyNetwork(List.of(), loss);
                schedule.add(Fault.of(System.currentTimeMillis(), Kind.HEAL, 0));
            } else if (dice < 46) {
                crash(node);
            } else if (dice < 61) {
                if (!registrations.get(node).contains(label)) {
                    register(node, label);
                }
            } else if (dice < 73) {
                long others = registrations.values().stream().filter(s -> s.contains(label)).count();
                if (registrations.get(node).contains(label) && others >= 2) {
                    unregister(node, label);
                }
            } else if (dice < 83) {
                if (!stopped.contains(node) && stopped.size() < 2) {
                    backends[node].signal("USR1");
                    stopped.add(node);
                    schedule.add(Fault.of(System.currentTimeMillis(), Kind.STOP_LISTENING, node));
                }
            } else if (dice < 93) {
                if (!stopped.isEmpty()) {
                    int back = List.copyOf(stopped).get(random.nextInt(stopped.size()));
                    startListening(back);
                }
            } else {
                applyNetwork(partition, !loss);
                schedule.add(Fault.of(System.currentTimeMillis(), loss ? Kind.LOSS_ON : Kind.LOSS_OFF, 0));
            }
            if (System.currentTimeMillis() >= nextKernelCheck) {
                // the one invariant that holds during the storm too: a node's kernel follows its own state
                violations.addAll(kernelsMatch(Duration.ofSeconds(10)));
                nextKernelCheck = System.currentTimeMillis() + 20_000;
            }
        }
    }

    private void repartition() {
        int groups = 2 + random.nextInt(2);
        List<Set<Integer>> split = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            split.add(new TreeSet<>());
        }
        List<Integer> nodes = new ArrayList<>();
        for (int node = 1; node <= settings.nodes(); node++) {
            nodes.add(node);
        }
        // a seeded shuffle, so the same seed cuts the same way
        for (int i = nodes.size() - 1; i > 0; i--) {
            Collections.swap(nodes, i, random.nextInt(i + 1));
        }
        for (int i = 0; i < nodes.size(); i++) {
            split.get(i < groups ? i : random.nextInt(groups)).add(nodes.get(i));
        }
        applyNetwork(split, loss);
        schedule.add(Fault.partition(System.currentTimeMillis(), split));
    }

    /** Replaces the fabric's rules in one nft transaction: loss first, then a drop for each pair across groups. */
    private void applyNetwork(List<Set<Integer>> groups, boolean withLoss) {
        StringBuilder rules = new StringBuilder("add table " + TABLE + "\nflush table " + TABLE + "\n"
                + "add chain " + TABLE + " forward { type filter hook forward priority 0; policy accept; }\n");
        if (withLoss) {
            rules.append("add rule ").append(TABLE).append(" forward numgen random mod 100 < 5 drop\n");
        }
        for (Set<Integer> from : groups) {
            for (Set<Integer> to : groups) {
                if (from == to) {
                    continue;
                }
                for (int a : from) {
                    for (int b : to) {
                        rules.append("add rule ").append(TABLE).append(" forward iifname \"n").append(a)
                                .append("\" oifname \"n").append(b).append("\" drop\n");
                    }
                }
            }
        }
        try {
            Path file = cluster.workDir().resolve("fabric.nft");
            Files.writeString(file, rules);
            cluster.fabricExec("nft", "-f", file.toString()).orThrow("nft -f in the fabric");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        partition = List.copyOf(groups);
        loss = withLoss;
    }

    private void crash(int node) {
        if (cluster.crash(node).ok()) {
            schedule.add(Fault.of(System.currentTimeMillis(), Kind.CRASH, node));
        } else {
            schedule.add(Fault.note(System.currentTimeMillis(), "n" + node + "'s agent not running (restarting): not killed"));
        }
    }

    private void register(int node, String label) {
        // the agent may be restarting after a kill: try a few times, record only what it accepted
        for (int attempt = 0; attempt < 20; attempt++) {
            if (cluster.register(node, 1, taskId(node, label), label, BACKEND_PORT).ok()) {
                registrations.get(node).add(label);
                schedule.add(Fault.vip(System.currentTimeMillis(), Kind.REGISTER, node, label));
                return;
            }
            ClusterFixtures.sleep(250);
        }
        schedule.add(Fault.note(System.currentTimeMillis(), "n" + node + " refused to register " + label));
    }

    private void unregister(int node, String label) {
        for (int attempt = 0; attempt < 20; attempt++) {
            if (cluster.unregister(node, taskId(node, label)).ok()) {
                registrations.get(node).remove(label);
                schedule.add(Fault.vip(System.currentTimeMillis(), Kind.UNREGISTER, node, label));
                return;
            }
            ClusterFixtures.sleep(250);
        }
        schedule.add(Fault.note(System.currentTimeMillis(), "n" + node + " refused to unregister " + label));
    }

    private void startListening(int node) {
        backends[node].signal("USR2");
        stopped.remove(node);
        schedule.add(Fault.of(System.currentTimeMillis(), Kind.START_LISTENING, node));
    }

    /** Removes every rule, lets every backend listen, waits until every agent runs again. */
    private void heal() {
        applyNetwork(List.of(), false);
        for (int node : List.copyOf(stopped)) {
            startListening(node);
        }
        schedule.add(Fault.of(System.currentTimeMillis(), Kind.HEAL, 0));
        schedule.add(Fault.of(System.currentTimeMillis(), Kind.LOSS_OFF, 0));
        schedule.add(Fault.note(System.currentTimeMillis(), "final heal"));
        for (int node = 1; node <= settings.nodes(); node++) {
            int n = node;
            if (!ClusterFixtures.awaitTrue(Duration.ofSeconds(60), () -> cluster.api(n, "/v1/version").ok())) {
                violations.add("n" + node + "'s agent did not answer within 60 s of the heal");
            }
        }
    }

    /** After the heal: membership, KV, kernels, DNS and the acknowledged writes, each within the bound. */
    private void finalChecks() {
        Set<String> expectedMembers = new TreeSet<>();
        for (int node = 1; node <= settings.nodes(); node++) {
            expectedMembers.add(NsCluster.nodeAddress(node) + ":" + GOSSIP_PORT);
        }
        long deadline = System.currentTimeMillis() + HEAL_BOUND.toMillis();
        List<String> found;
        do {
            found = new ArrayList<>(InvariantChecks.oneComponent(readAll("/v1/members"), expectedMembers));
            for (String key : List.of("minuteman/vips", "navstar/nodes", "torture/writes")) {
                found.addAll(InvariantChecks.identical("/lashup/kv/" + key, readAll("/lashup/kv/" + key)));
            }
            if (found.isEmpty()) {
                break;
            }
            ClusterFixtures.sleep(500);
        } while (System.currentTimeMillis() < deadline);
        schedule.add(Fault.note(System.currentTimeMillis(), found.isEmpty() ? "membership and KV agree"
                : "membership or KV still differ " + HEAL_BOUND.toSeconds() + " s after the heal"));
        violations.addAll(found.stream().map(v -> "after the heal: " + v).toList());

        violations.addAll(kernelsMatch(Duration.ofSeconds(15)));
        JsonNode kvVips = readAll("/lashup/kv/minuteman/vips").get(1);
        if (kvVips != null) {
            Map<String, Set<String>> expectedNames = InvariantChecks.expectedNames(kvVips);
            List<String> dns = List.of();
            long dnsDeadline = System.currentTimeMillis() + 10_000;
            do {
                dns = InvariantChecks.dnsAgrees(expectedNames, dnsAnswers(expectedNames.keySet()));
                if (dns.isEmpty()) {
                    break;
                }
                ClusterFixtures.sleep(500);
            } while (System.currentTimeMillis() < dnsDeadline);
            violations.addAll(dns);
        }

        Map<Integer, Set<String>> sets = new TreeMap<>();
        Map<Integer, Long> counters = new TreeMap<>();
        readAll("/lashup/kv/torture/writes").forEach((node, value) -> {
            Set<String> elements = new TreeSet<>();
            value.path("acked").path("value").forEach(e -> elements.add(e.asText()));
            sets.put(node, elements);
            counters.put(node, value.path("count").path("value").asLong());
        });
        violations.addAll(InvariantChecks.acknowledgedWritesKept(Set.copyOf(acknowledged), Set.copyOf(attempted), sets,
                counters));
    }

    /**
     * Each running node's kernel against what its own KV state, membership and passive health skips compile to. The
     * state is read before and after the kernel; a mismatch counts only when the state held still across both reads
     * and the kernel still differs after a further pause (the control loop debounces, then applies), up to
     * {@code limit} per node.
     */
    List<String> kernelsMatch(Duration limit) {
        List<String> found = new ArrayList<>();
        for (int node = 1; node <= settings.nodes(); node++) {
            found.addAll(kernelMatches(node, limit));
            kernelChecks.incrementAndGet();
        }
        return found;
    }

    List<String> kernelMatches(int node, Duration limit) {
        long deadline = System.currentTimeMillis() + limit.toMillis();
        List<String> mismatch = List.of();
        while (System.currentTimeMillis() < deadline) {
            Optional<JsonNode> vipsBefore = read(node, "/lashup/kv/minuteman/vips");
            Optional<JsonNode> membersBefore = read(node, "/v1/members");
            Optional<Set<Endpoint>> skippedBefore = healthSkipped(node);
            if (vipsBefore.isEmpty() || membersBefore.isEmpty() || skippedBefore.isEmpty()) {
                ClusterFixtures.sleep(500); // restarting
                continue;
            }
            Map<VipKey, Set<Endpoint>> expected = InvariantChecks.expectedKernel(vipsBefore.get(), membersBefore.get(),
                    skippedBefore.get());
            ClusterFixtures.sleep(700);
            Map<VipKey, Set<Endpoint>> kernel;
            try {
                kernel = KernelVipView.read(pinDirectory(node));
            } catch (BpfException replacedWhileRead) {
                continue;
            }
            Optional<JsonNode> vipsAfter = read(node, "/lashup/kv/minuteman/vips");
            Optional<JsonNode> membersAfter = read(node, "/v1/members");
            Optional<Set<Endpoint>> skippedAfter = healthSkipped(node);
            if (vipsAfter.isEmpty() || membersAfter.isEmpty() || !skippedBefore.equals(skippedAfter)
                    || !expected.equals(InvariantChecks.expectedKernel(vipsAfter.get(), membersAfter.get(),
                            skippedAfter.get()))) {
                continue; // the state or a health skip moved meanwhile: look again
            }
            mismatch = InvariantChecks.kernelMatches("n" + node, expected, kernel);
            if (mismatch.isEmpty()) {
                return List.of();
            }
        }
        return mismatch;
    }

    Path pinDirectory(int node) {
        return Path.of("/sys/fs/bpf", cluster.name() + "-n" + node);
    }

    /** The breakage the kernel check must catch: a VIP nobody registered, written into one node's lb_vips. */
    static final VipKey STALE_VIP = VipKey.of("11.255.255.254:9", "tcp");

    private Map<Integer, Map<String, Set<String>>> dnsAnswers(Set<String> names) {
        Map<Integer, Map<String, Set<String>>> answers = new TreeMap<>();
        for (int node = 1; node <= settings.nodes(); node++) {
            List<String> command = new ArrayList<>(List.of("dig", "@198.51.100.1", "+noall", "+answer", "+time=2",
                    "+tries=2"));
            command.addAll(names);
            NsCluster.Result dig = cluster.nodeExec(node, command.toArray(String[]::new));
            Map<String, Set<String>> byName = new TreeMap<>();
            for (String line : dig.output().lines().toList()) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length == 5 && fields[3].equals("A")) {
                    String name = fields[0].endsWith(".") ? fields[0].substring(0, fields[0].length() - 1) : fields[0];
                    byName.computeIfAbsent(name, k -> new TreeSet<>()).add(fields[4]);
                }
            }
            answers.put(node, byName);
        }
        return answers;
    }

    private Map<Integer, JsonNode> readAll(String path) {
        Map<Integer, JsonNode> all = new TreeMap<>();
        for (int node = 1; node <= settings.nodes(); node++) {
            int n = node;
            read(node, path).ifPresent(value -> all.put(n, value));
        }
        return all;
    }

    /** The backends node's passive health rule skips now (tc and xdp modes), from its metrics; empty when down. */
    private Optional<Set<Endpoint>> healthSkipped(int node) {
        NsCluster.Result result = cluster.api(node, "/metrics");
        return result.ok() ? Optional.of(InvariantChecks.healthSkipped(result.output())) : Optional.empty();
    }

    private Optional<JsonNode> read(int node, String path) {
        NsCluster.Result result = cluster.api(node, path);
        if (!result.ok()) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readTree(result.output()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Writes until stopped: to a random node, an element and an increment with compare-and-set on the key's clock
     * (the agent refuses with 409 when the key moved meanwhile); a 200 is an acknowledged write, anything else an
     * attempt that may or may not have landed.
     */
    private void writeLoop() {
        SplittableRandom writes = random.split();
        int sequence = 0;
        while (writing.get()) {
            int node = 1 + writes.nextInt(settings.nodes());
            String url = "http://127.0.0.1:" + API_PORT + "/lashup/kv/torture/writes";
            NsCluster.Result get = cluster.nodeExec(node, "curl", "-sS", "-D", "-", "-o", "/dev/null", "--max-time",
                    "3", url);
            String clock = header(get.output(), "clock");
            if (get.ok() && clock != null) {
                String element = "w" + (++sequence);
                String body = "[{\"field\":\"acked\",\"type\":\"orswot\",\"op\":\"add\",\"element\":\"" + element + "\"},"
                        + "{\"field\":\"count\",\"type\":\"pncounter\",\"op\":\"increment\",\"amount\":1}]";
                attempted.add(element);
                NsCluster.Result post = cluster.nodeExec(node, "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                        "--max-time", "8", "-X", "POST", "-H", "Content-Type: application/json", "-H", "clock: " + clock,
                        "--data", body, url);
                if (post.output().strip().endsWith("200")) {
                    acknowledged.add(element);
                }
            }
            ClusterFixtures.sleep(200 + writes.nextInt(300));
        }
    }

    private static String header(String headers, String name) {
        for (String line : headers.lines().toList()) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    /** Every 3 s, each agent's VmRSS (the JVM under the node's launcher), one series per process. */
    private void sampleLoop() {
        while (sampling.get()) {
            for (int node = 1; node <= settings.nodes(); node++) {
                Path pidFile = cluster.nodeDir(node).resolve("agent.pid");
                try {
                    long launcher = Long.parseLong(Files.readString(pidFile).strip());
                    int n = node;
                    ProcessHandle.of(launcher).flatMap(h -> h.children().findFirst()).ifPresent(agent -> {
                        Long kib = vmRssKib(agent.pid());
                        if (kib != null) {
                            rss.computeIfAbsent("n" + n + " pid " + agent.pid(), k -> new CopyOnWriteArrayList<>()).add(kib);
                        }
                    });
                } catch (IOException | NumberFormatException e) {
                    // between a kill and the restart
                }
            }
            ClusterFixtures.sleep(3000);
        }
    }

    private static Long vmRssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // the process ended
        }
        return null;
    }

    private List<Connection> connections() {
        List<Connection> all = new ArrayList<>();
        for (int i = 0; i < probes.size(); i++) {
            int node = i + 1;
            for (Answer answer : probes.get(i).answers()) {
                all.add(new Connection(node, probedVip.get(node), answer.atMillis(), answer.isError(), answer.text()));
            }
        }
        all.sort((a, b) -> Long.compare(a.atMillis(), b.atMillis()));
        return all;
    }

    /** Waits until every node holds the same VIP registry and it lists every registration asked for. */
    private void awaitAgreement(String what) {
        int expected = registrations.values().stream().mapToInt(Set::size).sum();
        boolean agreed = ClusterFixtures.awaitTrue(Duration.ofSeconds(60), () -> {
            Map<Integer, JsonNode> all = readAll("/lashup/kv/minuteman/vips");
            if (all.size() < settings.nodes() || !InvariantChecks.identical("vips", all).isEmpty()) {
                return false;
            }
            int backends = 0;
            for (JsonNode field : all.get(1)) {
                backends += field.path("value").size();
            }
            return backends == expected;
        });
        if (!agreed) {
            throw new AssertionError("the nodes did not agree on " + what + " within 60 s: "
                    + readAll("/lashup/kv/minuteman/vips"));
        }
    }

    /** Copies each agent's log (and the probes' and backends' output) beside the schedule; returns where. */
    Path keepLogs() {
        for (int node = 1; node <= settings.nodes(); node++) {
            Path from = cluster.nodeDir(node);
            Path to = keepDir.resolve("n" + node);
            try (var files = Files.list(from)) {
                Files.createDirectories(to);
                for (Path file : files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().equals("secret"))
                        .toList()) {
                    Files.copy(file, to.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                // keep what can be kept
            }
        }
        return keepDir;
    }

    /** Removes the kept directory (a run that passed). */
    void forgetLogs() {
        try (var files = Files.walk(keepDir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a leftover in target/ is harmless
        }
    }

    private static void join(Thread thread) {
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    Map<String, Object> figures(Outcome outcome) {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("seed", settings.seed());
        figures.put("faults", outcome.faults());
        figures.put("kernel checks", outcome.kernelChecks());
        figures.put("KV writes acknowledged/attempted", outcome.acknowledgedWrites() + "/" + outcome.attemptedWrites());
        figures.put("connections", outcome.connections().summary());
        figures.put("largest agent RSS (MiB)", outcome.rss().values().stream().flatMap(List::stream)
                .mapToLong(Long::longValue).max().orElse(0) >> 10);
        figures.put("processes sampled", outcome.rss().keySet().stream().collect(Collectors.joining(", ")));
        return figures;
    }

    @Override
    public void close() {
        writing.set(false);
        sampling.set(false);
        for (Probe probe : probes) {
            probe.close();
        }
        for (Backend backend : backends) {
            if (backend != null) {
                backend.close();
            }
        }
        // a run interrupted by its timeout must still remove the cluster: nscluster down would be interrupted too
        boolean interrupted = Thread.interrupted();
        try {
            cluster.close(); // the fabric namespace takes its nft table along
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
