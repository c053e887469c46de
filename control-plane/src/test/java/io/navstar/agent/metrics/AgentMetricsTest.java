package io.navstar.agent.metrics;

import io.navstar.agent.api.ApiServer;
import io.navstar.agent.lb.LbStatistics;
import io.navstar.agent.lb.abi.LbDropReason;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.VipKey;
import io.navstar.dns.server.DnsConfig;
import io.navstar.dns.server.DnsServer;
import io.navstar.dns.zone.LocalZones;
import io.navstar.dns.zone.ZoneSnapshot;
import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.TcpGossipNode;
import io.navstar.gossip.kv.GossipKvNetwork;
import io.navstar.gossip.kv.KvConfig;
import io.navstar.gossip.kv.KvKey;
import io.navstar.gossip.kv.KvReplicator;
import io.navstar.gossip.kv.KvStore;
import io.navstar.gossip.kv.crdt.CrdtType;
import io.navstar.gossip.kv.crdt.Op;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryEncoder;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.handler.codec.http.HttpMethod;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static io.navstar.agent.metrics.Exposition.assertPromtoolAccepts;
import static io.navstar.agent.metrics.Exposition.families;
import static io.navstar.agent.metrics.Exposition.has;
import static io.navstar.agent.metrics.Exposition.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /metrics} of a running API over real parts: a DNS server on loopback, two gossip nodes on loopback with
 * a KV store each (in a temporary directory) replicating between them, and a stub of the load balancer's statistics
 * (the real one needs root and the kernel: {@code LoadBalancerKernelTest} scrapes it). The text must pass promtool;
 * counters move with their events.
 */
class AgentMetricsTest {
    private static final String VIP_NAME = "web.marathon.l4lb.thisdcos.directory";
    private static final KvKey KEY = KvKey.of("navstar", "metrics-test");

    @TempDir
    static Path dir;
    static KvStore kv;
    static KvStore kvB;
    static KvReplicator replicator;
    static KvReplicator replicatorB;
    static boolean gossipStarted;
    static DnsServer dns;
    static TcpGossipNode gossipA;
    static TcpGossipNode gossipB;
    static ApiServer api;
    static AgentMetrics metrics;
    static final AtomicLong lbNewFlows = new AtomicLong(2);
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        gossipA = gossip("a");
        gossipB = gossip("b");
        kv = KvStore.open(KvConfig.defaults(dir.resolve("kv.db"), gossipA.node().self().toString()));
        kvB = KvStore.open(KvConfig.defaults(dir.resolve("kv-b.db"), gossipB.node().self().toString()));
        replicator = new KvReplicator(kv, new GossipKvNetwork(gossipA.node()), KvReplicator.Config.simulation())
                .start();
        replicatorB = new KvReplicator(kvB, new GossipKvNetwork(gossipB.node()), KvReplicator.Config.simulation())
                .start();
        LocalZones zones = new LocalZones(ZoneSnapshot.builder().zone(DnsConfig.DEFAULT_DOMAIN)
                .address(VIP_NAME, "11.0.0.1", 60).build());
        // one upstream nobody asks: its families have a point without traffic
        dns = new DnsServer(DnsConfig.loopback("127.0.0.1", 0, List.of(new InetSocketAddress("127.0.0.1", 9))), zones)
                .start();
        metrics = new AgentMetrics().gossip(gossipA.node().metrics()).kv(kv.metrics(), replicator).dns(dns.metrics())
                .lb(AgentMetricsTest::lbSnapshot);
        api = ApiServer.start(new InetSocketAddress("127.0.0.1", 0), new ApiServer.Routes()
                .addBlocking(HttpMethod.GET, "/metrics", metrics.endpoint()));
    }

    private static TcpGossipNode gossip(String name) throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path data = Files.createDirectories(dir.resolve("gossip-" + name));
        return TcpGossipNode.open(GossipConfig.lan(), NodeId.of("127.0.0.1", port), data);
    }

    private static LbStatistics.Snapshot lbSnapshot() {
        VipKey vip = VipKey.of("11.0.0.1:80", "tcp");
        Endpoint backend = Endpoint.parse("10.0.1.2:8080");
        List<Long> applyBuckets = LbStatistics.APPLY_BUCKETS_NANOS.stream().map(bound -> 0L).toList();
        return new LbStatistics.Snapshot(
                List.of(new LbStatistics.VipCounters(vip, 10, 1200, lbNewFlows.get(), 1)),
                List.of(new LbStatistics.BackendCounters(backend, 10, 1200, lbNewFlows.get(), 2, 2, 1, 0, true)),
                Map.of(LbDropReason.NO_VIP, 4L),
                new LbStatistics.Housekeeping(1, 2, 3, Duration.ofMillis(4), Duration.ofSeconds(5)),
                0, 1, Duration.ZERO, new LbStatistics.ApplyLatency(applyBuckets, 0),
                Map.of("lb_flow_buckets", 1_000_000L, "lb_maglev_tables", 600_000L));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable part : new AutoCloseable[] {api, replicatorB, replicator, gossipB, gossipA, dns, kvB, kv}) {
            try {
                if (part != null) {
                    part.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void servesEveryPartsFamiliesInTheTextFormatThatPromtoolAccepts() throws Exception {
        HttpResponse<byte[]> scrape = get(null);
        assertEquals(200, scrape.statusCode());
        assertEquals(PrometheusTextFormatWriter.CONTENT_TYPE, scrape.headers().firstValue("content-type").orElse(""));
        assertPromtoolAccepts(scrape.body());
        Set<String> families = families(metrics.registry());
        for (String family : List.of("navstar_gossip_active_view_peers", "navstar_gossip_messages_received",
                "navstar_gossip_sent_bytes", "navstar_gossip_probe_rtt_seconds", "navstar_gossip_failures_detected",
                "navstar_kv_operations", "navstar_kv_operation_duration_seconds", "navstar_kv_group_commit_requests",
                "navstar_kv_overloaded", "navstar_kv_anti_entropy_sent_bytes",
                "navstar_kv_replication_lag_seconds", "navstar_kv_replication_pending_changes",
                "navstar_dns_queries", "navstar_dns_cache_hits", "navstar_dns_cache_stale_answers",
                "navstar_dns_upstream_rtt_seconds", "navstar_dns_upstream_failures", "navstar_dns_failure_cache_hits",
                "navstar_dns_overloaded", "navstar_dns_dropped",
                "navstar_lb_vip_new_flows", "navstar_lb_backend_bytes", "navstar_lb_apply_duration_seconds",
                "navstar_lb_reaped_flows", "navstar_lb_backend_health_skipped", "navstar_lb_drops",
                "navstar_lb_map_memory_bytes",
                "jvm_memory_used_bytes", "jvm_threads_current")) {
            assertTrue(families.contains(family), family + " in " + families);
        }
        PrometheusRegistry registry = metrics.registry();
        assertTrue(has(registry, "navstar_dns_upstream_failures", "upstream", "127.0.0.1:9", "reason", "timeout"));
        assertTrue(has(registry, "navstar_lb_vip_new_flows", "vip", "tcp://11.0.0.1:80"));
        assertEquals(1, value(registry, "navstar_lb_backend_health_skipped", "backend", "10.0.1.2:8080"));
        assertEquals(4, value(registry, "navstar_lb_drops", "reason", "no_vip"));
        assertEquals(600_000, value(registry, "navstar_lb_map_memory_bytes", "map", "lb_maglev_tables"));
        for (LbDropReason reason : LbDropReason.values()) {
            assertTrue(has(registry, "navstar_lb_drops", "reason", reason.label()), "every reason has its series: "
                    + reason.label());
        }
    }

    @Test
    void servesOpenMetricsWhenTheClientAsksForIt() throws Exception {
        HttpResponse<byte[]> scrape = get("application/openmetrics-text; version=1.0.0; charset=utf-8");
        assertEquals(200, scrape.statusCode());
        assertEquals(OpenMetricsTextFormatWriter.CONTENT_TYPE, scrape.headers().firstValue("content-type").orElse(""));
        String text = new String(scrape.body(), StandardCharsets.UTF_8);
        assertTrue(text.endsWith("# EOF\n"), "an OpenMetrics exposition ends with # EOF");
    }

    @Test
    void countersMoveWhenTheirEventsHappen() throws Exception {
        PrometheusRegistry registry = metrics.registry();
        String[] localAnswer = {"zone", DnsConfig.DEFAULT_DOMAIN, "transport", "udp", "source", "local",
            "rcode", "NOERROR"};
        double answered = value(registry, "navstar_dns_queries", localAnswer);
        assertEquals(DnsResponseCode.NOERROR, query(VIP_NAME));
        assertEquals(answered + 1, value(registry, "navstar_dns_queries", localAnswer), "a DNS query");

        double applied = value(registry, "navstar_kv_operations", "result", "applied");
        double timed = value(registry, "navstar_kv_operation_duration_seconds");
        double commits = value(registry, "navstar_kv_group_commit_requests");
        kv.requestOp(KEY, List.of(Op.update("hits", CrdtType.GCOUNTER, new Op.Increment(1))));
        assertEquals(applied + 1, value(registry, "navstar_kv_operations", "result", "applied"), "a KV operation");
        assertEquals(timed + 1, value(registry, "navstar_kv_operation_duration_seconds"));
        assertEquals(commits + 1, value(registry, "navstar_kv_group_commit_requests"));

        startGossip();
        awaitTrue(() -> value(registry, "navstar_gossip_messages_received", "type", "join") > 0);
        assertEquals(1, value(registry, "navstar_gossip_messages_received", "type", "join"), "a gossip JOIN");
        assertTrue(value(registry, "navstar_gossip_received_bytes", "type", "join") > 0);

        lbNewFlows.incrementAndGet();
        assertEquals(3, value(registry, "navstar_lb_vip_new_flows", "vip", "tcp://11.0.0.1:80"), "read at scrape");
        assertPromtoolAccepts(get(null).body());
    }

    @Test
    void kvReplicationLagHasASeriesPerNeighbourThatClearsOnceItConfirms() throws Exception {
        PrometheusRegistry registry = metrics.registry();
        for (String family : List.of("navstar_kv_replication_lag_seconds", "navstar_kv_replication_pending_changes")) {
            MetricSnapshot snapshot = registry.scrape().stream()
                    .filter(s -> s.getMetadata().getName().equals(family)).findFirst().orElseThrow();
            assertTrue(snapshot instanceof GaugeSnapshot, family + " is a gauge");
        }
        startGossip();
        String[] peerB = {"peer", gossipB.node().self().toString()};
        awaitTrue(() -> has(registry, "navstar_kv_replication_pending_changes", peerB));
        KvKey key = KvKey.of("navstar", "lag-test");
        kv.requestOp(key, List.of(Op.update("hits", CrdtType.GCOUNTER, new Op.Increment(1))));
        awaitTrue(() -> !kvB.value(key).isEmpty()
                && value(registry, "navstar_kv_replication_pending_changes", peerB) == 0
                && value(registry, "navstar_kv_replication_lag_seconds", peerB) == 0);
        assertTrue(has(registry, "navstar_kv_replication_lag_seconds", peerB));
        byte[] text = get(null).body();
        assertPromtoolAccepts(text);
        assertTrue(new String(text, StandardCharsets.UTF_8).contains("navstar_kv_replication_lag_seconds{peer=\""
                + peerB[1] + "\"} 0"), "a series labelled with the neighbour");
    }

    /** Starts both gossip nodes, b joining a, once for every test. */
    private static synchronized void startGossip() {
        if (!gossipStarted) {
            gossipStarted = true;
            gossipA.node().start(List.of());
            gossipB.node().start(List.of(gossipA.node().self()));
        }
    }

    /** Waits up to 5 s for {@code condition}, then asserts it. */
    private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(condition.getAsBoolean(), "within 5 s");
    }

    /** Asks the DNS server for {@code name}'s A record over UDP; its response code. */
    private static DnsResponseCode query(String name) throws IOException {
        InetSocketAddress server = dns.boundAddresses().getFirst();
        EmbeddedChannel encoder = new EmbeddedChannel(new DatagramDnsQueryEncoder());
        encoder.writeOutbound(new DatagramDnsQuery(null, server, 7)
                .setRecord(DnsSection.QUESTION, new DefaultDnsQuestion(name, DnsRecordType.A)));
        DatagramPacket encoded = encoder.readOutbound();
        byte[] question = ByteBufUtil.getBytes(encoded.content());
        encoded.release();
        try (DatagramSocket socket = new DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            socket.setSoTimeout(2_000);
            socket.send(new java.net.DatagramPacket(question, question.length, server));
            java.net.DatagramPacket answer = new java.net.DatagramPacket(new byte[512], 512);
            socket.receive(answer);
            EmbeddedChannel decoder = new EmbeddedChannel(new DatagramDnsResponseDecoder());
            decoder.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(answer.getData(), 0, answer.getLength()),
                    (InetSocketAddress) socket.getLocalSocketAddress(), server));
            DnsResponse response = decoder.readInbound();
            try {
                return response.code();
            } finally {
                response.release();
            }
        }
    }

    private static HttpResponse<byte[]> get(String accept) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.address().getPort()
                + "/metrics")).GET();
        if (accept != null) {
            request.header("Accept", accept);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
