package io.navstar.agent.node;

import io.navstar.agent.api.AgentRoutes;
import io.navstar.agent.api.ApiServer;
import io.navstar.agent.config.AgentConfig;
import io.navstar.agent.dns.ZoneCompiler;
import io.navstar.agent.lb.LbOptions;
import io.navstar.agent.lb.LoadBalancer;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.metrics.AgentMetrics;
import io.navstar.agent.task.HealthChecks;
import io.navstar.agent.task.Task;
import io.navstar.agent.task.TaskJson;
import io.navstar.agent.task.TaskStore;
import io.navstar.agent.vip.BackendEntry;
import io.navstar.agent.vip.Vip;
import io.navstar.agent.vip.VipCompiler;
import io.navstar.agent.vip.VipRegistry;
import io.navstar.dns.server.DnsConfig;
import io.navstar.dns.server.DnsServer;
import io.navstar.dns.server.ListenSockets;
import io.navstar.dns.zone.LocalZones;
import io.navstar.dns.zone.ZoneSnapshot;
import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.TcpGossipNode;
import io.navstar.gossip.kv.GossipKvNetwork;
import io.navstar.gossip.kv.KvConfig;
import io.navstar.gossip.kv.KvStore;
import io.navstar.gossip.kv.KvReplicator;
import io.navstar.gossip.kv.crdt.Op;
import io.navstar.gossip.kv.crdt.OrMap;
import io.navstar.gossip.membership.MembershipListener;
import io.navstar.gossip.route.RouteTable;
import io.navstar.loader.KernelBtf;
import io.navstar.sys.netlink.DummyInterface;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The navstar agent of one node: builds and owns every part (the Lashup gossip node and its durable KV store, the
 * Minuteman load balancer, the Spartan DNS server, the tasks and their health checks, the API) and ties them
 * together through the KV store, the way DESIGN.md's "way of one VIP" goes: this node's tasks become its entries
 * in {@code [minuteman, vips]}; every change to that key, to {@code [navstar, nodes]} or to membership is compiled
 * into the kernel's VIP maps ({@link VipCompiler}) and Spartan's zones ({@link ZoneCompiler}) on one control
 * thread ({@link ControlLoop}).
 *
 * <p>Start-up order: the load balancer (reopening the pins of an earlier agent: the same state compiles to the same
 * maps, a no-op; it checks its cgroup or namespace before it touches anything, so a config it refuses leaves no
 * trace), the KV store (durable, so the first compile already has the last known VIPs), DNS with zones from that
 * compile, then gossip, tasks and the API. After a restart (the data plane pinned, so the config was taken before)
 * the KV store and DNS come first, with zones compiled from the store, so Spartan answers while the programs load.
 * {@link #close} stops in the reverse order and leaves the pinned data plane serving; the next agent, also after
 * SIGKILL, reconciles without breaking a connection.
 *
 * <p>Threading: {@link #start} and {@link #close} from one thread; everything else runs on the parts' threads and
 * the control thread.
 */
public final class NodeAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeAgent.class);
    /** How long the control thread waits for more events before compiling. */
    static final Duration DEBOUNCE = Duration.ofMillis(20);
    /**
     * How long after start membership may take to reach another node before its view of reachability counts even
     * though it reached none (gossip retries its JOIN every 1-2 s).
     */
    static final Duration JOIN_GRACE = Duration.ofSeconds(10);
    /** The VIP map of the data plane under the pin directory: pinned there, an earlier agent's state still serves. */
    private static final String PINNED_VIPS = "lb_vips";

    private final AgentConfig config;
    private final NodeId self;
    private final VipCompiler vipCompiler;
    private final ZoneCompiler zoneCompiler;
    private final LocalZones zones = new LocalZones();
    private final ConcurrentLinkedQueue<NodeId> pruned = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean publishing = new AtomicBoolean();
    private final List<AutoCloseable> opened = new ArrayList<>();
    private final ControlLoop control;
    private KvStore kv;
    private LoadBalancer lb;
    private DnsServer dns;
    private volatile TcpGossipNode gossip;
    private volatile TaskStore tasks;
    private volatile HealthChecks health;
    private ApiServer api;
    private AgentMetrics metrics;
    private volatile View view = View.EMPTY;
    /**
     * Whether membership's reachability decides which nodes' backends take part: from the first node it reaches, or
     * {@link #JOIN_GRACE} after start. Until then every node counts as reachable, the last known state: right after
     * a restart membership knows no other node yet, and leaving their backends out until it does would change the
     * kernel twice for nothing.
     */
    private volatile boolean membershipSettled;
    /** The inputs of the last compile applied (control thread only). */
    private CompileInputs compiledFrom;

    /**
     * What the last compile produced, for the API: the registry as read, and what this node serves.
     *
     * @param registry every VIP and its backends, as the KV store holds them
     * @param compiled what this node balances and names
     * @param nodes    every node's record
     * @param zones    what Spartan serves from cluster state
     */
    public record View(NavigableMap<Vip, Set<BackendEntry>> registry, VipCompiler.Compiled compiled,
                       NavigableMap<NodeId, NodeRecord> nodes, ZoneCompiler.Zones zones) {
        static final View EMPTY = new View(new TreeMap<>(), null, new TreeMap<>(), ZoneCompiler.Zones.EMPTY);
    }

    private NodeAgent(AgentConfig config) {
        this.config = config;
        this.self = config.self();
        this.vipCompiler = new VipCompiler(config.vipRange4(), config.vipRange6(), config.domain());
        this.zoneCompiler = new ZoneCompiler(config.domain(), config.vipRange4(), config.vipRange6(),
                config.dnsListen().get(0).getAddress());
        this.control = new ControlLoop(DEBOUNCE, this::recompute);
    }

    /**
     * Starts every part; on failure stops what started, quietly (the caller reports the failure), and throws. Pins
     * stay only if an earlier agent made them.
     */
    public static NodeAgent start(AgentConfig config) throws IOException, InterruptedException {
        NodeAgent agent = new NodeAgent(config);
        try {
            agent.startParts();
            return agent;
        } catch (IOException | InterruptedException | RuntimeException e) {
            agent.stopParts();
            throw e;
        }
    }

    private void startParts() throws IOException, InterruptedException {
        // After a restart the pinned data plane serves the last state until the first apply: Spartan answers for it
        // at once, from the stored state, instead of after the programs are loaded again (a second or more, while
        // queries wait in the sockets held for us and fill them). On a first start, or after a reboot emptied
        // bpffs, the load balancer goes first: it refuses a missing cgroup or namespace before it creates anything.
        boolean dataPlanePinned = Files.exists(config.lbSettings().pinDirectory().resolve(PINNED_VIPS));
        if (dataPlanePinned) {
            openKv();
            zones.publish(storedZones());
            startDns();
        }
        lb = LoadBalancer.open(new LbOptions(config.lbMode(), config.lbSettings(), config.cgroup(), config.netns(),
                config.interfaces(), List.of(""))); // connected UDP sockets to removed backends: this namespace
        opened.add(lb);
        KernelBtf.release(); // every program is loaded: the kernel's parsed BTF is garbage from now on

        if (!dataPlanePinned) {
            openKv();
        }
        control.execute(this::recompute); // every node reachable until membership settles: the last known state
        if (!dataPlanePinned) {
            startDns();
        }

        GossipConfig.Builder gossipConfig = GossipConfig.lan().toBuilder();
        if (config.clusterSecret() != null) {
            gossipConfig.clusterSecret(config.clusterSecret());
        }
        if (config.tls() != null) {
            gossipConfig.tls(config.tls());
        }
        gossip = TcpGossipNode.open(gossipConfig.build(), self, config.dataDir());
        opened.add(gossip);
        KvReplicator replicator = new KvReplicator(kv, new GossipKvNetwork(gossip.node()),
                KvReplicator.Config.defaults()).start();
        opened.add(replicator::close);
        gossip.node().addMembershipListener(new MembershipListener() {
            @Override
            public void onReachabilityChanged(Set<NodeId> becameReachable, Set<NodeId> becameUnreachable) {
                LOG.info("reachability: {} up, {} down", becameReachable, becameUnreachable);
                if (!becameReachable.isEmpty()) {
                    membershipSettled = true;
                }
                control.request();
            }

            @Override
            public void onMemberRemoved(NodeId node) {
                LOG.info("{} pruned from membership: removing its backends and node record", node);
                pruned.add(node);
                control.request();
            }
        });
        opened.add(kv.subscribe(VipRegistry.KEY, event -> control.request()));
        opened.add(kv.subscribe(NodeRecord.KEY, event -> control.request()));

        health = new HealthChecks(control::request);
        opened.add(health);
        tasks = new TaskStore(config.tasksDir(), new TaskJson(config.defaultFramework()), control::request);
        opened.add(tasks);

        publishNodeRecord();
        gossip.node().start(config.contacts());
        metrics = new AgentMetrics().gossip(gossip.node().metrics()).kv(kv.metrics(), replicator).dns(dns.metrics())
                .lb(lb.statistics());
        if (config.contacts().isEmpty()) {
            membershipSettled = true; // nobody to wait for
        } else {
            control.schedule(JOIN_GRACE, () -> {
                membershipSettled = true;
                control.request();
            });
        }
        api = ApiServer.start(config.api(), AgentRoutes.routes(this));
        opened.add(api);
        control.request();
        LOG.info("navstar agent {} ready: {} mode, DNS on {}, API on {}", self,
                config.lbMode().name().toLowerCase(java.util.Locale.ROOT), dns.boundAddresses(), api.address());
    }

    private void openKv() throws IOException {
        Files.createDirectories(config.dataDir());
        kv = KvStore.open(KvConfig.defaults(config.dataDir().resolve("kv.db"), self.toString()));
        opened.add(kv);
    }

    /** Spartan's zones from the stored state, every node taken as reachable, as the first recompute compiles them. */
    private ZoneSnapshot storedZones() {
        VipCompiler.Compiled compiled = vipCompiler.compile(VipRegistry.read(kv.value(VipRegistry.KEY)), node -> true);
        return zoneCompiler.compile(ZoneCompiler.vipNames(compiled), NodeRecord.read(kv.value(NodeRecord.KEY))).snapshot();
    }

    /** Spartan: the interface holding its addresses, then the server on the sockets handed to us or its own. */
    private void startDns() throws IOException, InterruptedException {
        if (config.dnsInterface() != null) {
            // Spartan's addresses live on a dummy interface of their own, as in DC/OS; idempotent across restarts
            List<java.net.InetAddress> addresses = config.dnsListen().stream().map(a -> a.getAddress())
                    .filter(a -> !a.isLoopbackAddress() && !a.isAnyLocalAddress()).distinct().toList();
            if (!addresses.isEmpty()) {
                DummyInterface.ensure(config.dnsInterface(), addresses);
                LOG.info("DNS addresses {} on interface {}", addresses, config.dnsInterface());
            }
        }
        // sockets held by systemd (navstar.socket) or navstar-launch, when started by one: queries queue there while
        // the agent restarts; otherwise Spartan binds its own
        dns = new DnsServer(dnsConfig(), zones).inherit(ListenSockets.fromEnvironment()).start();
        opened.add(dns);
    }

    private DnsConfig dnsConfig() {
        return DnsConfig.defaults().toBuilder()
                .listen(config.dnsListen())
                .upstreams(config.dnsUpstreams())
                .eventLoops(config.dnsEventLoops())
                .build();
    }

    private void publishNodeRecord() {
        NodeRecord record = new NodeRecord(self.host(),
                config.publicIps().stream().map(java.net.InetAddress::getHostAddress).toList(), config.hostname(),
                System.currentTimeMillis());
        kv.requestOp(NodeRecord.KEY, List.of(NodeRecord.writeOp(self, record)));
    }

    /**
     * What a compile reads, by identity: the KV store's committed values and gossip's route table are immutable and
     * replaced on every change, so equal references mean nothing a compile reads has changed.
     */
    private record CompileInputs(OrMap vips, OrMap nodes, RouteTable routes) {
        boolean sameAs(CompileInputs other) {
            return other != null && vips == other.vips && nodes == other.nodes && routes == other.routes;
        }
    }

    /**
     * One compile of cluster state into the kernel and DNS, and this node's entries into the KV store. When only
     * this node's tasks or their health changed, there is nothing to compile: their entries go to the KV store at
     * once, and the compile follows their commit, as on every other node (compiling the unchanged state first
     * would hold the new entries back by a whole compile, which grows with the number of VIPs).
     */
    private void recompute() {
        long started = System.nanoTime();
        RouteTable routes = gossip == null || !membershipSettled ? null : gossip.node().routes();
        CompileInputs inputs = new CompileInputs(kv.value(VipRegistry.KEY), kv.value(NodeRecord.KEY), routes);
        NavigableMap<Vip, Set<BackendEntry>> registry;
        if (inputs.sameAs(compiledFrom)) {
            registry = view.registry();
        } else {
            registry = VipRegistry.read(inputs.vips());
            NavigableMap<NodeId, NodeRecord> nodes = NodeRecord.read(inputs.nodes());
            VipCompiler.Compiled compiled = vipCompiler.compile(registry,
                    node -> routes == null || node.equals(self) || routes.reachable(node));
            var report = lb.apply(compiled.desired());
            ZoneCompiler.Zones compiledZones = zoneCompiler.compile(ZoneCompiler.vipNames(compiled), nodes);
            zones.publish(compiledZones.snapshot());
            view = new View(registry, compiled, nodes, compiledZones);
            compiledFrom = inputs; // only once applied: a compile that failed is retried in full
            if (!report.noop()) {
                LOG.info("applied {} VIPs in {} ms: {}", compiled.desired().vips().size(),
                        (System.nanoTime() - started) / 1_000_000, report);
            }
        }
        if (tasks != null) {
            publishOwnBackends(registry);
            removePrunedNodes(registry);
        }
    }

    /** Makes this node's entries in the registry match its tasks and their health, one KV operation at a time. */
    private void publishOwnBackends(NavigableMap<Vip, Set<BackendEntry>> registry) {
        Map<Vip, Set<BackendEntry>> wanted = new TreeMap<>();
        Set<Endpoint> checked = new HashSet<>();
        for (Task task : tasks.tasks().values()) {
            for (Task.Port port : task.ports()) {
                Endpoint endpoint = task.endpoint(port);
                if (port.healthCheck()) {
                    checked.add(endpoint);
                }
                int weight = port.healthCheck() && !health.healthy(endpoint) ? 0 : port.weight();
                for (Vip vip : port.vips()) {
                    wanted.computeIfAbsent(vip, v -> new TreeSet<>()).add(new BackendEntry(self, endpoint, weight));
                }
            }
        }
        health.watch(checked);
        List<Op> ops = VipRegistry.syncOps(registry, self, wanted);
        if (!ops.isEmpty()) {
            submit(VipRegistry.KEY, ops);
        }
    }

    private void removePrunedNodes(NavigableMap<Vip, Set<BackendEntry>> registry) {
        NodeId gone;
        while ((gone = pruned.poll()) != null) {
            if (gone.equals(self)) {
                continue;
            }
            List<Op> ops = VipRegistry.removeNodeOps(registry, gone);
            if (!ops.isEmpty()) {
                kv.requestOpAsync(VipRegistry.KEY, null, ops);
            }
            kv.requestOpAsync(NodeRecord.KEY, null, List.of(NodeRecord.removeOp(gone)));
        }
    }

    /**
     * Sends one batch of this node's operations unless one is still in flight; its commit (or failure, retried)
     * asks for the next recompute, which computes what is still missing.
     */
    private void submit(io.navstar.gossip.kv.KvKey key, List<Op> ops) {
        if (!publishing.compareAndSet(false, true)) {
            return;
        }
        kv.requestOpAsync(key, null, ops).whenComplete((value, error) -> {
            publishing.set(false);
            if (error != null) {
                LOG.warn("publishing this node's backends: {}; retrying", error.toString());
            }
            control.request();
        });
    }

    public AgentConfig config() {
        return config;
    }

    /** The last compile's view of the cluster. */
    public View view() {
        return view;
    }

    public TaskStore tasks() {
        return tasks;
    }

    public KvStore kv() {
        return kv;
    }

    public TcpGossipNode gossip() {
        return gossip;
    }

    public LoadBalancer loadBalancer() {
        return lb;
    }

    public DnsServer dns() {
        return dns;
    }

    public ApiServer api() {
        return api;
    }

    /** Every part's Prometheus metrics, in a registry of this agent's own. */
    public AgentMetrics metrics() {
        return metrics;
    }

    /** Stops every part in the reverse order of start; the pinned data plane keeps serving. */
    @Override
    public void close() {
        LOG.info("navstar agent {} stopping; the pinned data plane keeps serving", self);
        stopParts();
        LOG.info("navstar agent {} stopped", self);
    }

    private void stopParts() {
        for (int i = opened.size() - 1; i >= 0; i--) {
            AutoCloseable part = opened.get(i);
            if (part == api || part == tasks || part == health) {
                close(part);
                opened.remove(i);
            }
        }
        control.close(); // after the sources of requests, before what recompute uses
        for (int i = opened.size() - 1; i >= 0; i--) {
            close(opened.get(i));
        }
        opened.clear();
    }

    private static void close(AutoCloseable part) {
        try {
            part.close();
        } catch (Exception e) {
            LOG.warn("closing {}: {}", part.getClass().getSimpleName(), e.toString());
        }
    }
}
