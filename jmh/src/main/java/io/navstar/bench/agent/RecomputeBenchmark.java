package io.navstar.bench.agent;

import io.navstar.agent.config.Cidr;
import io.navstar.agent.dns.ZoneCompiler;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.Protocol;
import io.navstar.agent.node.NodeRecord;
import io.navstar.agent.vip.BackendEntry;
import io.navstar.agent.vip.Vip;
import io.navstar.agent.vip.VipCompiler;
import io.navstar.agent.vip.VipRegistry;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.kv.crdt.CrdtType;
import io.navstar.gossip.kv.crdt.Dot;
import io.navstar.gossip.kv.crdt.DotContext;
import io.navstar.gossip.kv.crdt.Field;
import io.navstar.gossip.kv.crdt.OrMap;
import io.navstar.gossip.kv.crdt.OrSwot;
import io.navstar.gossip.kv.crdt.VersionVector;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The pure part of the agent's recompute (NodeAgent.recompute) over a registry of {@code vips} named VIPs with one
 * backend each, spread over 10 nodes, as a node that publishes none of them runs it after any change: read the KV
 * value into VIPs ({@link VipRegistry#read}), compile them ({@link VipCompiler#compile}), compile Spartan's zones
 * ({@link ZoneCompiler}), and work out this node's own operations ({@link VipRegistry#syncOps}); each step alone
 * too. The kernel writes are LbApplyBench's. Every recompute redoes all of it whatever changed, so its time is part
 * of every change's propagation (jmh/scripts/agent-propagation.sh).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RecomputeBenchmark {
    private static final int NODES = 10;

    @Param({"1000", "10000"})
    public int vips;

    private final VipCompiler vipCompiler = new VipCompiler(Cidr.parse("11.0.0.0/8"), Cidr.parse("fd01:c::/64"),
            "thisdcos.directory");
    private final ZoneCompiler zoneCompiler = new ZoneCompiler("thisdcos.directory", Cidr.parse("11.0.0.0/8"),
            Cidr.parse("fd01:c::/64"), InetAddress.ofLiteral("198.51.100.1"));
    private final NodeId self = NodeId.of("10.77.0.99", 62501);
    private OrMap value;
    private NavigableMap<Vip, Set<BackendEntry>> registry;
    private VipCompiler.Compiled compiled;
    private NavigableMap<NodeId, NodeRecord> nodes;

    @Setup
    public void setUp() {
        String replica = "10.77.0.1:62501";
        DotContext context = DotContext.of(VersionVector.of(Map.of(replica, 2L * vips)), Set.of());
        Map<Field, OrMap.FieldState> fields = new TreeMap<>();
        for (int i = 0; i < vips; i++) {
            NodeId node = NodeId.of("10.77.0." + (1 + i % NODES), 62501);
            BackendEntry backend = new BackendEntry(node,
                    Endpoint.parse("10." + (201 + i % NODES) + "." + (1 + i / 250 % 250) + "." + (2 + i % 250) + ":8080"), 1);
            Vip vip = Vip.named(Protocol.TCP, "svc" + i, "marathon", 80);
            OrSwot backends = OrSwot.of(Map.of(backend.element(), Set.of(new Dot(replica, 2L * i + 2))), context);
            fields.put(Field.of(vip.field(), CrdtType.ORSWOT),
                    new OrMap.FieldState(new java.util.TreeSet<>(Set.of(new Dot(replica, 2L * i + 1))), backends));
        }
        value = OrMap.of(fields, context);
        nodes = new TreeMap<>();
        for (int n = 1; n <= NODES; n++) {
            nodes.put(NodeId.of("10.77.0." + n, 62501), new NodeRecord("10.77.0." + n, List.of(), "n" + n, 0));
        }
        registry = VipRegistry.read(value);
        compiled = vipCompiler.compile(registry, node -> true);
        if (compiled.vips().size() != vips) {
            throw new IllegalStateException("compiled " + compiled.vips().size() + " of " + vips + " VIPs");
        }
    }

    /** Everything a recompute does besides the kernel writes. */
    @Benchmark
    public void recompute(Blackhole blackhole) {
        NavigableMap<Vip, Set<BackendEntry>> read = VipRegistry.read(value);
        VipCompiler.Compiled compiledNow = vipCompiler.compile(read, node -> true);
        blackhole.consume(zoneCompiler.compile(ZoneCompiler.vipNames(compiledNow), nodes));
        blackhole.consume(VipRegistry.syncOps(read, self, Map.of()));
    }

    /**
     * The recompute's CPU time on its own thread (GC threads not counted) and its allocation, median of
     * {@code runs} after as many warm-up runs: figures that a loaded machine disturbs far less than JMH's wall
     * clock. Usage: {@code RecomputeBenchmark VIPS RUNS}.
     */
    public static void main(String[] args) {
        RecomputeBenchmark state = new RecomputeBenchmark();
        state.vips = Integer.parseInt(args[0]);
        int runs = Integer.parseInt(args[1]);
        state.setUp();
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long[] cpu = new long[runs];
        long[] allocated = new long[runs];
        int sink = 0;
        for (int run = -runs; run < runs; run++) {
            long cpuBefore = threads.getCurrentThreadCpuTime();
            long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
            NavigableMap<Vip, Set<BackendEntry>> read = VipRegistry.read(state.value);
            VipCompiler.Compiled compiledNow = state.vipCompiler.compile(read, node -> true);
            sink += state.zoneCompiler.compile(ZoneCompiler.vipNames(compiledNow), state.nodes).records().size();
            sink += VipRegistry.syncOps(read, state.self, Map.of()).size();
            if (run >= 0) {
                cpu[run] = threads.getCurrentThreadCpuTime() - cpuBefore;
                allocated[run] = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
            }
        }
        java.util.Arrays.sort(cpu);
        java.util.Arrays.sort(allocated);
        System.out.printf("recompute of %d VIPs: %.2f ms CPU (median of %d; p10 %.2f, p90 %.2f), %.1f MB allocated (%d)%n",
                state.vips, cpu[runs / 2] / 1e6, runs, cpu[runs / 10] / 1e6, cpu[runs * 9 / 10] / 1e6,
                allocated[runs / 2] / 1e6, sink);
    }

    @Benchmark
    public NavigableMap<Vip, Set<BackendEntry>> readRegistry() {
        return VipRegistry.read(value);
    }

    @Benchmark
    public VipCompiler.Compiled compileVips() {
        return vipCompiler.compile(registry, node -> true);
    }

    @Benchmark
    public ZoneCompiler.Zones compileZones() {
        return zoneCompiler.compile(ZoneCompiler.vipNames(compiled), nodes);
    }

    @Benchmark
    public Object syncOwnBackends() {
        return VipRegistry.syncOps(registry, self, Map.of());
    }
}
