package io.navstar.agent.lb.e2e;

import io.navstar.agent.lb.LoadBalancer;
import io.navstar.agent.lb.LbOptions;
import io.navstar.agent.lb.LbStatistics;
import io.navstar.agent.lb.LbMode;
import io.navstar.agent.lb.abi.LbDropReason;
import io.navstar.agent.lb.abi.LbSockVip;
import io.navstar.agent.lb.abi.LbSockVips;
import io.navstar.agent.lb.kernel.KernelLbTables;
import io.navstar.agent.lb.kernel.LbDataPlane;
import io.navstar.agent.lb.kernel.LbSettings;
import io.navstar.agent.lb.model.BackendSpec;
import io.navstar.agent.lb.model.DesiredState;
import io.navstar.agent.lb.model.DesiredStateJson;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.VipKey;
import io.navstar.agent.lb.model.VipSpec;
import io.navstar.agent.lb.plan.InstalledVip;
import io.navstar.agent.lb.plan.Reconciler;
import io.navstar.agent.metrics.AgentMetrics;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.agent.lb.support.LbTopology;
import io.navstar.loader.BpfMap;
import io.navstar.loader.spec.MapType;
import io.navstar.sys.NetworkNamespace;
import io.navstar.sys.netlink.SockDiag;
import io.navstar.sys.socket.Sockets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.navstar.agent.metrics.Exposition.assertPromtoolAccepts;
import static io.navstar.agent.metrics.Exposition.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent in this JVM against the real kernel: scale, interface watching, health, socket destroy, sock mode views. */
class LoadBalancerKernelTest {
    static LbTopology topo;

    @BeforeAll
    static void topology() throws Exception {
        if (LbTestSupport.isRoot()) {
            topo = new LbTopology("agent", 3, 1 << 20);
        }
    }

    @AfterAll
    static void teardown() {
        if (topo != null) {
            topo.close();
        }
    }

    /**
     * A sock-mode load balancer on {@code cgroup}, a child cgroup made here; removed again when the load balancer
     * cannot start, so a failed start leaves no cgroup behind (the tests remove it themselves after a start).
     */
    private static LoadBalancer sockAgent(Path pins, Path cgroup) throws IOException {
        Files.createDirectories(cgroup);
        try {
            return agent(LbMode.SOCK, pins, cgroup, List.of(), List.of());
        } catch (RuntimeException e) {
            Files.deleteIfExists(cgroup);
            throw e;
        }
    }

    private static LoadBalancer agent(LbMode mode, Path pins, Path cgroup, List<String> interfaces, List<String> diag) {
        LbSettings settings = LbSettings.forTests(pins);
        LbOptions options = mode == LbMode.SOCK ? LbOptions.sock(settings, cgroup)
                : LbOptions.onInterfaces(mode, settings, topo.node, interfaces);
        return LoadBalancer.open(options.withDiagNamespaces(diag));
    }

    private static DesiredState web(String... backends) {
        List<BackendSpec> list = new ArrayList<>();
        for (String b : backends) {
            list.add(new BackendSpec(Endpoint.parse(b), 1));
        }
        return DesiredState.of(List.of(new VipSpec(VipKey.of(LbTopology.VIP + ":80", "tcp"), list),
                new VipSpec(VipKey.of("11.0.0.2:80", "tcp"), List.of())));
    }

    @Test
    void tenThousandVipsOfTenBackendsAreAppliedAndReadBackFromTheMaps() {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("scale");
        LbSettings settings = LbSettings.forTests(pins).withSizes(16_384, 131_072, 1024);
        List<VipSpec> specs = new ArrayList<>();
        for (int v = 0; v < 10_000; v++) {
            List<BackendSpec> backends = new ArrayList<>();
            for (int b = 0; b < 10; b++) {
                backends.add(new BackendSpec(Endpoint.parse("10." + (100 + b) + "." + (v / 250) + "." + (v % 250 + 1) + ":8080"), 1));
            }
            specs.add(new VipSpec(VipKey.of("11.1." + (v / 250) + "." + (v % 250 + 1) + ":80", "tcp"), backends));
        }
        DesiredState state = DesiredState.of(specs);
        LbDataPlane plane = LbDataPlane.open(settings);
        try (KernelLbTables tables = new KernelLbTables(plane)) {
            long t0 = System.nanoTime();
            Reconciler.Report report = Reconciler.recover(tables, 1000).apply(state);
            long applied = System.nanoTime() - t0;
            assertEquals(10_000, report.added());

            // read everything back through a fresh view of the pinned maps
            try (KernelLbTables reread = new KernelLbTables(plane)) {
                Map<VipKey, InstalledVip> vips = reread.readVips();
                Map<Integer, Endpoint> backends = reread.readBackends();
                assertEquals(10_000, vips.size());
                assertEquals(100_000, backends.size());
                for (VipSpec spec : specs) {
                    InstalledVip vip = vips.get(spec.key());
                    assertEquals(1009, vip.tableSize(), spec.key().toString());
                    Set<Endpoint> inTable = new HashSet<>();
                    int[] table = reread.table(vip.vipId());
                    assertEquals(1009, table.length, "the table in the VIP's slot has the size its entry gives");
                    for (int id : table) {
                        inTable.add(backends.get(id));
                    }
                    Set<Endpoint> expected = new HashSet<>();
                    spec.backends().forEach(b -> expected.add(b.endpoint()));
                    assertEquals(expected, inTable, spec.key().toString());
                }
                // a restarted reconciler sees nothing to do
                assertTrue(Reconciler.recover(reread, 1000).apply(state).noop());
            }
            System.out.printf("10,000 VIPs x 10 backends applied in %.0f ms%n", applied / 1e6);
        } finally {
            plane.unpin();
            plane.close();
            LbTestSupport.deleteTree(pins);
        }
    }

    @Test
    void ipv6VipsBalanceInTcModeAndShowTheVipInSockMode() throws Exception {
        LbTestSupport.assumeRoot();
        topo.enableIpv6();
        String v6 = "{\"vips\":[{\"vip\":\"[fd01:c::1]:80\",\"backends\":["
                + "{\"endpoint\":\"[fd00:10:1::2]:8080\"},{\"endpoint\":\"[fd00:10:2::2]:8080\"},"
                + "{\"endpoint\":\"[fd00:10:3::2]:8080\"}]}]}";
        Path pins = LbTestSupport.pinDirectory("v6tc");
        LoadBalancer tc = agent(LbMode.TC, pins, null, List.of("vc", "vb*"), List.of());
        try {
            tc.apply(DesiredStateJson.parse(v6));
            int[] before = topo.requestCounts();
            LbTopology.CurlRun run = topo.requestsReporting(null, "http://[fd01:c::1]", 300);
            int[] after = topo.requestCounts();
            int[] taken = new int[after.length];
            for (int i = 0; i < after.length; i++) {
                taken[i] = after[i] - before[i];
            }
            String diagnostics = run + "; requests per backend " + java.util.Arrays.toString(taken)
                    + "; agent statistics:\n" + tc.statistics().snapshot();
            assertEquals(0, run.exitCode(), "every IPv6 request succeeds: " + diagnostics);
            for (int i = 0; i < after.length; i++) {
                assertTrue(taken[i] > 50, "each backend takes a share of IPv6 flows: " + diagnostics);
            }
        } finally {
            tc.uninstall();
            LbTestSupport.deleteTree(pins);
        }
        Path sockPins = LbTestSupport.pinDirectory("v6sock");
        Path cgroup = LbTopology.cgroup2Mount().resolve(LbTestSupport.PREFIX + "-v6sock");
        LoadBalancer sock = sockAgent(sockPins, cgroup);
        try {
            sock.apply(DesiredStateJson.parse(v6));
            Process p = topo.inClient(cgroup, "python3", "-c", String.join("\n",
                    "import socket",
                    "t = socket.create_connection(('fd01:c::1', 80), timeout=3)",
                    "print('peer', t.getpeername()[0], t.getpeername()[1])")).redirectErrorStream(true).start();
            assertTrue(p.waitFor(15, TimeUnit.SECONDS));
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(out.contains("peer fd01:c::1 80"), out);
        } finally {
            sock.uninstall();
            Files.deleteIfExists(cgroup);
            LbTestSupport.deleteTree(sockPins);
        }
    }

    @ParameterizedTest
    @EnumSource(value = LbMode.class, names = {"TC", "XDP"})
    void hairpinClientThatIsItsOwnBackendReachesItselfThroughTheVip(LbMode mode) throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("hairpin");
        String b1ns = topo.prefix + "-b1";
        LoadBalancer agent = agent(mode, pins, null, List.of("vc", "vb*"), List.of());
        LbTopology.sh("ip", "-n", b1ns, "route", "add", "11.0.0.0/8", "via", "10.10.1.1");
        try {
            agent.apply(web(topo.backends.get(0).endpoint()));
            int before = topo.backends.get(0).requests.get();
            Process p = new ProcessBuilder("ip", "netns", "exec", b1ns, "curl", "-s", "--parallel", "-H", "Connection: close",
                    "--connect-timeout", "2", "-o", "/dev/null", "http://" + LbTopology.VIP + "/[1-20]")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), "every hairpin request succeeds");
            assertEquals(before + 20, topo.backends.get(0).requests.get());
        } finally {
            LbTopology.sh("ip", "-n", b1ns, "route", "del", "11.0.0.0/8", "via", "10.10.1.1");
            agent.uninstall();
            LbTestSupport.deleteTree(pins);
        }
    }

    @Test
    void mapsTakeAtLeast65536VipsAndAMillionFlows() {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("sizes");
        LbDataPlane plane = LbDataPlane.open(LbSettings.forTests(pins).withSizes(65_536, 262_144, 1_000_000));
        try {
            assertEquals(65_536, plane.map("lb_vips").maxEntries());
            assertEquals(65_536, plane.map("lb_vip_stats").maxEntries());
            assertEquals(262_144, plane.map("lb_flow_buckets").maxEntries(), "1,000,000 flows, 4 a bucket, rounded up");
            assertEquals(1_000_000, plane.map("lb_reverse").maxEntries());
        } finally {
            plane.unpin();
            plane.close();
            LbTestSupport.deleteTree(pins);
        }
    }

    @Test
    void interfacesThatAppearLaterAreAttachedWhileRunning() throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("watch");
        LoadBalancer agent = agent(LbMode.TC, pins, null, List.of("vc", "vx*"), List.of());
        try {
            String ns = topo.node;
            assertTrue(agent.links().contains("tc-" + ns + "-vc-in"), agent.links().toString());
            LbTopology.sh("ip", "-n", ns, "link", "add", "vx1", "type", "veth", "peer", "name", "vx1p");
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                while (!agent.links().contains("tc-" + ns + "-vx1-in") && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertTrue(agent.links().contains("tc-" + ns + "-vx1-in"), agent.links().toString());
                assertTrue(agent.links().contains("tc-" + ns + "-vx1-out"), agent.links().toString());
            } finally {
                LbTopology.sh("ip", "-n", ns, "link", "del", "vx1");
            }
        } finally {
            agent.uninstall();
            LbTestSupport.deleteTree(pins);
        }
    }

    @Test
    void aContainerInterfaceIsBalancedFromItsFirstConnection() throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("first");
        LoadBalancer agent = agent(LbMode.TC, pins, null, List.of("vc", "vn*"), List.of());
        String container = null;
        try {
            agent.apply(web(topo.backends.get(0).endpoint(), topo.backends.get(1).endpoint(),
                    topo.backends.get(2).endpoint()));
            // the node's side of the veth appears, is configured and is used at once, as a container starts: its
            // first SYN to the VIP reaches the node through vn1 and is balanced only if the programs are already
            // there (without them the node has no route to 11.0.0.1 and refuses it)
            container = topo.addClient("c2", "vn1", "10.10.200");
            Process first = new ProcessBuilder("ip", "netns", "exec", container, "curl", "-s", "-o", "/dev/null",
                    "--connect-timeout", "2", "-w", "%{http_code}", "http://" + LbTopology.VIP + "/")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String status = new String(first.getInputStream().readAllBytes()).strip();
            assertTrue(first.waitFor(10, TimeUnit.SECONDS));
            assertEquals("200", status, "the first connection from the new interface is balanced");
            assertTrue(agent.links().contains("tc-" + topo.node + "-vn1-in"), agent.links().toString());
        } finally {
            if (container != null) {
                topo.removeNamespace(container);
            }
            agent.uninstall();
            LbTestSupport.deleteTree(pins);
        }
    }

    @Test
    void metricsCountEachNewFlowOfAVipAtScrapeTime() throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("metrics");
        LoadBalancer agent = agent(LbMode.TC, pins, null, List.of("vc", "vb*"), List.of());
        AgentMetrics metrics = new AgentMetrics().lb(agent.statistics());
        String vip = "tcp://" + LbTopology.VIP + ":80";
        try {
            agent.apply(web(topo.backends.get(0).endpoint(), topo.backends.get(1).endpoint()));
            double flows = value(metrics.registry(), "navstar_lb_vip_new_flows", "vip", vip);
            assertEquals(0, topo.requests(null, "http://" + LbTopology.VIP, 5), "every request succeeds");
            assertEquals(flows + 5, value(metrics.registry(), "navstar_lb_vip_new_flows", "vip", vip), "one per curl");
            assertEquals(1, value(metrics.registry(), "navstar_lb_apply_duration_seconds"), "one apply timed");
            // the maps' kernel memory: lb_maglev_tables holds the VIP's table of 1,009 cells (8 bytes each)
            assertTrue(value(metrics.registry(), "navstar_lb_map_memory_bytes", "map", "lb_flow_buckets") > 0);
            assertTrue(value(metrics.registry(), "navstar_lb_map_memory_bytes", "map", "lb_maglev_tables") >= 1009 * 8);
            assertPromtoolAccepts(metrics.scrape(null).body());
        } finally {
            agent.uninstall();
            LbTestSupport.deleteTree(pins);
        }
    }

    @Test
    void backendWhoseNewFlowsGetNoReplyIsSkippedAndVipWithoutBackendAnswersAtOnce() throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("health");
        LoadBalancer agent = agent(LbMode.TC, pins, null, List.of("vc", "vb*"), List.of());
        String b3 = topo.backends.get(2).endpoint();
        String b3ns = topo.prefix + "-b3";
        try {
            agent.apply(web(topo.backends.get(0).endpoint(), topo.backends.get(1).endpoint(), b3));

            // no backend: refused at once (RST), not a hang
            long t0 = System.nanoTime();
            Process refused = topo.inClient(null, "curl", "-s", "--connect-timeout", "3", "http://11.0.0.2/")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
            assertTrue(refused.waitFor(5, TimeUnit.SECONDS));
            assertEquals(7, refused.exitValue(), "curl: could not connect (refused)");
            assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(1500), "answered at once");
            LbStatistics.Snapshot afterRefusal = agent.statistics().snapshot();
            assertEquals(1, vip(afterRefusal, "11.0.0.2:80").refused(), afterRefusal.toString());

            // b3 stops answering (its replies are dropped): after five unanswered new flows it is skipped
            LbTopology.sh("ip", "-n", b3ns, "route", "add", "blackhole", "10.10.0.0/24");
            topo.requests(null, "http://" + LbTopology.VIP, 60); // some of these die on b3
            awaitSkipped(agent, b3);
            int[] before = topo.requestCounts();
            assertEquals(0, topo.requests(null, "http://" + LbTopology.VIP, 100), "every request succeeds");
            assertEquals(before[2], topo.requestCounts()[2], "skipped backend got no new flow");
            // the health rule sampled the healthy backends too, and saw their replies
            LbStatistics.Snapshot statistics = agent.statistics().snapshot();
            LbStatistics.BackendCounters healthy = backend(statistics, topo.backends.get(0).endpoint());
            assertTrue(healthy.sampledNewFlows() > 0 && !healthy.skipped(), statistics.toString());
        } finally {
            LbTopology.sh("ip", "-n", b3ns, "route", "del", "blackhole", "10.10.0.0/24");
            agent.uninstall();
            LbTestSupport.deleteTree(pins);
        }
    }

    @Test
    void vipWhoseEveryBackendIsSkippedRefusesNewFlowsAtOnceInsteadOfHanging() throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("allskipped");
        LoadBalancer agent = agent(LbMode.TC, pins, null, List.of("vc", "vb*"), List.of());
        String b3 = topo.backends.get(2).endpoint();
        String b3ns = topo.prefix + "-b3";
        String only = "{\"vips\":[{\"vip\":\"11.0.0.3:80\",\"backends\":[{\"endpoint\":\"" + b3 + "\"}]}]}";
        try {
            agent.apply(DesiredStateJson.parse(only));
            LbTopology.sh("ip", "-n", b3ns, "route", "add", "blackhole", "10.10.0.0/24");
            // six new flows to the VIP's one backend, none answered (curl gives up after 1 s each)
            Process dying = topo.inClient(null, "curl", "-s", "--parallel", "--connect-timeout", "1", "-o", "/dev/null",
                    "http://11.0.0.3/[1-6]").redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
            assertTrue(dying.waitFor(10, TimeUnit.SECONDS));
            awaitSkipped(agent, b3);
            // the VIP has no usable backend now: refused (curl exit 7), not left to time out (exit 28)
            long refusedBefore = vip(agent.statistics().snapshot(), "11.0.0.3:80").refused();
            Process refused = topo.inClient(null, "curl", "-s", "--connect-timeout", "3", "http://11.0.0.3/")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
            assertTrue(refused.waitFor(10, TimeUnit.SECONDS));
            LbStatistics.Snapshot statistics = agent.statistics().snapshot();
            assertEquals(7, refused.exitValue(), "curl: could not connect (refused): " + statistics);
            assertTrue(vip(statistics, "11.0.0.3:80").refused() > refusedBefore, statistics.toString());
        } finally {
            LbTopology.sh("ip", "-n", b3ns, "route", "del", "blackhole", "10.10.0.0/24");
            agent.uninstall();
            LbTestSupport.deleteTree(pins);
        }
    }

    @Test
    void theHealthRuleSamplesEveryBackendsCountersAndSeesTheirReplies() throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("samples");
        LoadBalancer agent = agent(LbMode.TC, pins, null, List.of("vc", "vb*"), List.of());
        try {
            agent.apply(web(topo.backends.get(0).endpoint(), topo.backends.get(1).endpoint(),
                    topo.backends.get(2).endpoint()));
            assertEquals(0, topo.requests(null, "http://" + LbTopology.VIP, 60), "every request succeeds");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            LbStatistics.Snapshot statistics = agent.statistics().snapshot();
            while (!samplesMatchKernelCounts(statistics) && System.nanoTime() < deadline) {
                Thread.sleep(20);
                statistics = agent.statistics().snapshot();
            }
            assertTrue(samplesMatchKernelCounts(statistics), statistics.toString());
            for (LbStatistics.BackendCounters backend : statistics.backends()) {
                assertEquals(backend.newFlows(), backend.repliedFlows(), "every flow's first reply was counted: "
                        + statistics);
                assertEquals(0, backend.unansweredFlows(), statistics.toString());
            }
        } finally {
            agent.uninstall();
            LbTestSupport.deleteTree(pins);
        }
    }

    @Test
    void sockModeTakesFlowRatesFromTheKernelCountersAndRunsNoHealthRule() throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("sockrate");
        Path cgroup = LbTopology.cgroup2Mount().resolve(LbTestSupport.PREFIX + "-sockrate");
        LoadBalancer agent = sockAgent(pins, cgroup);
        try {
            String backend = topo.backends.get(0).endpoint();
            agent.apply(web(backend));
            agent.statistics().snapshot(); // the first reading of the counters
            long started = System.nanoTime();
            assertEquals(0, topo.requests(cgroup, "http://" + LbTopology.VIP, 20), "every request succeeds");
            Thread.sleep(Math.max(0, TimeUnit.SECONDS.toMillis(1) - (System.nanoTime() - started) / 1_000_000) + 100);
            LbStatistics.BackendCounters counters = backend(agent.statistics().snapshot(), backend);
            assertEquals(20, counters.newFlows(), counters.toString());
            assertTrue(counters.newFlowsPerSecond() > 0, "a rate from the counters: " + counters);
            Thread.sleep(200); // four times the health rule's sampling period
            assertEquals(0, backend(agent.statistics().snapshot(), backend).sampledNewFlows(),
                    "sock mode sees no replies: the health rule does not sample it");
        } finally {
            agent.uninstall();
            Files.deleteIfExists(cgroup);
            LbTestSupport.deleteTree(pins);
        }
    }

    /** True when, for every backend, the health rule's last sample equals the new flows the kernel counted (> 0). */
    private static boolean samplesMatchKernelCounts(LbStatistics.Snapshot statistics) {
        long total = 0;
        for (LbTopology.Backend b : topo.backends) {
            var counters = statistics.backend(Endpoint.parse(b.endpoint()));
            if (counters.isEmpty() || counters.get().newFlows() != counters.get().sampledNewFlows()) {
                return false;
            }
            total += counters.get().newFlows();
        }
        return total >= 60;
    }

    /** Waits up to 3 s for the health rule to skip a backend, and fails if it does not. */
    private static void awaitSkipped(LoadBalancer agent, String backend) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (!backend(agent.statistics().snapshot(), backend).skipped() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        LbStatistics.Snapshot statistics = agent.statistics().snapshot();
        assertTrue(backend(statistics, backend).skipped(), statistics.toString());
    }

    private static LbStatistics.VipCounters vip(LbStatistics.Snapshot statistics, String tcpVip) {
        return statistics.vip(VipKey.of(tcpVip, "tcp"))
                .orElseThrow(() -> new AssertionError("no VIP " + tcpVip + " in " + statistics));
    }

    private static LbStatistics.BackendCounters backend(LbStatistics.Snapshot statistics, String endpoint) {
        return statistics.backend(Endpoint.parse(endpoint))
                .orElseThrow(() -> new AssertionError("no backend " + endpoint + " in " + statistics));
    }

    @Test
    void connectedUdpSocketsToARemovedBackendAreDestroyed() throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("diag");
        LoadBalancer agent = agent(LbMode.TC, pins, null, List.of("vc"), List.of(topo.client));
        NetworkNamespace client = NetworkNamespace.named(topo.client);
        DatagramChannel toB1 = client.run(() -> DatagramChannel.open().connect(new InetSocketAddress("10.10.1.2", 5353)));
        DatagramChannel toB2 = client.run(() -> DatagramChannel.open().connect(new InetSocketAddress("10.10.2.2", 5353)));
        int fdsBefore = LbTestSupport.openFds();
        try {
            toB1.configureBlocking(false);
            toB2.configureBlocking(false);
            String both = "{\"vips\":[{\"vip\":\"11.0.0.1:53\",\"protocol\":\"udp\",\"backends\":["
                    + "{\"endpoint\":\"10.10.1.2:5353\"},{\"endpoint\":\"10.10.2.2:5353\"}]}]}";
            agent.apply(DesiredStateJson.parse(both));
            agent.apply(DesiredStateJson.parse(both.replace("{\"endpoint\":\"10.10.1.2:5353\"},", "")));
            IOException aborted = assertThrows(IOException.class, () -> toB1.read(ByteBuffer.allocate(64)));
            assertTrue(aborted.getMessage().toLowerCase().contains("abort"), aborted.getMessage());
            assertEquals(0, toB2.read(ByteBuffer.allocate(64)), "the socket to the remaining backend lives");
            assertEquals(fdsBefore, LbTestSupport.openFds(), "no descriptor leaked by sock_diag");
        } finally {
            toB1.close();
            toB2.close();
            agent.uninstall();
            LbTestSupport.deleteTree(pins);
        }
    }

    @Test
    void sockModeShowsTheVipToGetpeernameAndAsTheSourceOfUdpReplies() throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("sockview");
        Path cgroup = LbTopology.cgroup2Mount().resolve(LbTestSupport.PREFIX + "-sockview");
        LoadBalancer agent = sockAgent(pins, cgroup);
        NetworkNamespace b1 = NetworkNamespace.named(topo.prefix + "-b1");
        UdpEcho echo = UdpEcho.start(b1, new InetSocketAddress("10.10.1.2", 5353));
        try {
            agent.apply(DesiredStateJson.parse("{\"vips\":["
                    + "{\"vip\":\"11.0.0.1:80\",\"backends\":[{\"endpoint\":\"10.10.1.2:8080\"}]},"
                    + "{\"vip\":\"11.0.0.1:53\",\"protocol\":\"udp\",\"backends\":[{\"endpoint\":\"10.10.1.2:5353\"}]},"
                    + "{\"vip\":\"11.0.0.2:80\",\"backends\":[]}]}"));
            String script = String.join("\n",
                    "import socket, time",
                    "t = socket.create_connection(('11.0.0.1', 80), timeout=3)",
                    "print('peer', t.getpeername()[0], t.getpeername()[1])",
                    "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(3)",
                    "u.sendto(b'ping', ('11.0.0.1', 53))",
                    "data, src = u.recvfrom(512)",
                    "print('udp', src[0], src[1], data.decode())",
                    "t0 = time.monotonic()",
                    "try:",
                    "    socket.create_connection(('11.0.0.2', 80), timeout=3); print('empty connected')",
                    "except OSError as e:",
                    "    print('empty', type(e).__name__, round(time.monotonic() - t0, 3) < 0.5)",
                    // a port no VIP has: the datagram goes its own way (nowhere here), counted
                    "try:",
                    "    u.sendto(b'x', ('11.0.0.1', 54)); print('other port sent')",
                    "except OSError as e:",
                    "    print('other port', type(e).__name__)",
                    // a ping socket (allowed for root in this namespace only) connecting to a VIP's address
                    "open('/proc/sys/net/ipv4/ping_group_range', 'w').write('0 0')",
                    "p = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)",
                    "p.connect(('11.0.0.1', 0)); print('ping connected')");
            Process p = topo.inClient(cgroup, "python3", "-c", script).redirectErrorStream(true).start();
            assertTrue(p.waitFor(15, TimeUnit.SECONDS));
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(out.contains("peer 11.0.0.1 80"), out);
            assertTrue(out.contains("udp 11.0.0.1 53 ping"), out);
            assertTrue(out.contains("empty PermissionError True"), out);
            assertTrue(out.contains("ping connected"), out);
            LbStatistics.Snapshot statistics = agent.statistics().snapshot();
            assertEquals(1, statistics.drops(LbDropReason.NO_BACKEND), "the refused connect(): " + statistics);
            assertEquals(1, statistics.drops(LbDropReason.NO_VIP), "the datagram to 11.0.0.1:54: " + statistics);
            assertEquals(1, statistics.drops(LbDropReason.UNSUPPORTED_PROTO), "the ping socket: " + statistics);
        } finally {
            echo.close();
            agent.uninstall();
            Files.deleteIfExists(cgroup);
            LbTestSupport.deleteTree(pins);
        }
    }

    /**
     * sock mode keeps what a socket asked for in the socket's own storage (lb_sock_vips): the client finds it by its
     * sockets' descriptors (TCP and UDP) while they are open; sock_diag lists it per TCP socket of the namespace
     * (the kernel adds storage to the replies of connection sockets only, not UDP's), and once the socket is closed
     * no socket of the namespace holds any, though the process lives on and nothing deleted or evicted an entry.
     */
    @Test
    void sockModeKeepsEachSocketsVipInItsOwnStorageUntilTheSocketCloses() throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("sockstore");
        Path cgroup = LbTopology.cgroup2Mount().resolve(LbTestSupport.PREFIX + "-sockstore");
        LoadBalancer agent = sockAgent(pins, cgroup);
        NetworkNamespace b1 = NetworkNamespace.named(topo.prefix + "-b1");
        UdpEcho echo = UdpEcho.start(b1, new InetSocketAddress("10.10.1.2", 5354));
        Process p = null;
        BpfMap storage = null;
        try {
            agent.apply(DesiredStateJson.parse("{\"vips\":["
                    + "{\"vip\":\"11.0.0.1:80\",\"backends\":[{\"endpoint\":\"10.10.1.2:8080\"}]},"
                    + "{\"vip\":\"11.0.0.1:53\",\"protocol\":\"udp\",\"backends\":[{\"endpoint\":\"10.10.1.2:5354\"}]}]}"));
            String script = String.join("\n",
                    "import ctypes, socket, struct, sys",
                    "libc = ctypes.CDLL(None, use_errno=True)",
                    "libc.syscall.restype = ctypes.c_long",
                    "def bpf(cmd, attr):",
                    "    buf = ctypes.create_string_buffer(attr, 128)",
                    "    r = libc.syscall(321, cmd, buf, 128)",  // __NR_bpf on x86-64
                    "    if r < 0: raise OSError(ctypes.get_errno(), 'bpf cmd %d' % cmd)",
                    "    return r",
                    // BPF_MAP_GET_FD_BY_ID: `ip netns exec` mounts its own /sys, without the pins
                    "storage = bpf(14, struct.pack('=III', int(sys.argv[1]), 0, 0))",
                    "def slot0(sock):",  // BPF_MAP_LOOKUP_ELEM keyed by the socket's descriptor
                    "    key = ctypes.c_int(sock.fileno()); value = ctypes.create_string_buffer(" + LbSockVips.LAYOUT.byteSize() + ")",
                    "    bpf(1, struct.pack('=IIQQQ', storage, 0, ctypes.addressof(key), ctypes.addressof(value), 0))",
                    "    raw = value.raw",
                    "    return socket.inet_ntoa(raw[16:20]), struct.unpack('!H', raw[34:36])[0]",
                    "t = socket.create_connection(('11.0.0.1', 80), timeout=3)",
                    "print('peer', *t.getpeername())",
                    "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(3)",
                    "u.sendto(b'ping', ('11.0.0.1', 53))",
                    "data, src = u.recvfrom(512)",
                    "print('udp from', *src)",
                    "print('tcp storage', *slot0(t))",
                    "print('udp storage', *slot0(u))",
                    "print('open', flush=True)",
                    "sys.stdin.readline()",
                    "t.close(); u.close()",
                    "print('closed', flush=True)",
                    "sys.stdin.readline()");
            storage = BpfMap.openPinned(pins.resolve("lb_sock_vips"));
            assertEquals(MapType.SK_STORAGE, storage.type());
            p = topo.inClient(cgroup, "python3", "-c", script, String.valueOf(storage.info().id()))
                    .redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            List<String> lines = new ArrayList<>();
            for (String line = out.readLine(); line != null && !line.equals("open"); line = out.readLine()) {
                lines.add(line);
            }
            String shown = String.join("; ", lines);
            assertTrue(lines.contains("peer 11.0.0.1 80"), shown);
            assertTrue(lines.contains("udp from 11.0.0.1 53"), shown);
            assertTrue(lines.contains("tcp storage 11.0.0.1 80"), shown);
            assertTrue(lines.contains("udp storage 11.0.0.1 53"), shown);

            NetworkNamespace client = NetworkNamespace.named(topo.client);
            BpfMap map = storage; // for the lambdas
            assertEquals(List.of("11.0.0.1:80 -> 10.10.1.2:8080"), client.run(() -> vipsOfSockets(map, SockDiag.IPPROTO_TCP)));

            p.getOutputStream().write('\n');
            p.getOutputStream().flush();
            assertEquals("closed", out.readLine());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            List<String> left = client.run(() -> vipsOfSockets(map, SockDiag.IPPROTO_TCP));
            while (!left.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
                left = client.run(() -> vipsOfSockets(map, SockDiag.IPPROTO_TCP));
            }
            assertEquals(List.of(), left, "the TCP socket's storage went with it (the process still runs)");
        } finally {
            if (p != null) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            if (storage != null) {
                storage.close();
            }
            echo.close();
            agent.uninstall();
            Files.deleteIfExists(cgroup);
            LbTestSupport.deleteTree(pins);
        }
    }

    /** "vip -> backend" of every used slot of every IPv4 socket of {@code protocol} that has lb_sock_vips storage. */
    private static List<String> vipsOfSockets(BpfMap storage, int protocol) {
        List<String> pairs = new ArrayList<>();
        LbSockVips vips = LbSockVips.CODEC.newFlyweight();
        LbSockVip slot = LbSockVip.CODEC.newFlyweight();
        for (byte[] value : SockDiag.storages(Sockets.AF_INET, protocol, storage.fd())) {
            vips.wrap(MemorySegment.ofArray(value), 0);
            for (int i = 0; i < LbSockVips.SLOTS; i++) {
                vips.slot(i, slot);
                if (slot.family() != 0) {
                    pairs.add(slot.vipAddr().getHostAddress() + ":" + slot.vipPort() + " -> "
                            + slot.backendAddr().getHostAddress() + ":" + slot.backendPort());
                }
            }
        }
        return pairs;
    }

    /** A UDP echo server on {@code address} inside {@code ns}, on a thread of its own until closed. */
    private record UdpEcho(DatagramChannel channel, Thread thread) implements AutoCloseable {
        static UdpEcho start(NetworkNamespace ns, InetSocketAddress address) throws Exception {
            DatagramChannel channel = ns.run(() -> DatagramChannel.open().bind(address));
            Thread thread = Thread.ofPlatform().daemon().start(() -> {
                ByteBuffer buf = ByteBuffer.allocate(512);
                try {
                    while (true) {
                        buf.clear();
                        var from = channel.receive(buf);
                        buf.flip();
                        channel.send(buf, from);
                    }
                } catch (IOException closed) {
                    // test over
                }
            });
            return new UdpEcho(channel, thread);
        }

        @Override
        public void close() throws Exception {
            channel.close();
            thread.join(1000);
        }
    }
}
