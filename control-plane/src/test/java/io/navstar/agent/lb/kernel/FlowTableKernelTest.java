package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.abi.Abi;
import io.navstar.agent.lb.abi.LbDropReason;
import io.navstar.agent.lb.abi.LbFlow;
import io.navstar.agent.lb.abi.LbFlowBucket;
import io.navstar.agent.lb.abi.LbFlowKey;
import io.navstar.agent.lb.model.DesiredStateJson;
import io.navstar.agent.lb.plan.Reconciler;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.agent.lb.support.TestPackets;
import io.navstar.loader.BpfProgram;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

import static io.navstar.agent.lb.support.TestPackets.ACK;
import static io.navstar.agent.lb.support.TestPackets.SYN;
import static io.navstar.agent.lb.support.TestPackets.tcp;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The connection table lb_flow_buckets as the programs fill it, through BPF_PROG_TEST_RUN (root only): {@link FlowTable}
 * finds every flow where the program put it (its hash equals lb_flow_hash, its candidate buckets are the program's),
 * its placement rule puts each flow in the very way the program does, and with two choices a table at half its size
 * keeps (almost) every live flow.
 */
class FlowTableKernelTest {
    private static final String STATE = """
            {"vips": [
              {"vip": "11.0.0.1:80", "protocol": "tcp", "backends": [{"endpoint": "10.0.2.2:8080"}]},
              {"vip": "[fd01:c::1]:80", "protocol": "tcp", "backends": [{"endpoint": "[fd00:2::2]:8080"}]}
            ]}""";

    /** A data plane whose connection table holds maxFlows flows, with two VIPs installed, given to test. */
    private static void withPlane(String name, int maxFlows, Consumer<LbDataPlane> test) {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory(name);
        LbDataPlane plane = LbDataPlane.open(LbSettings.forTests(pins).withSizes(64, 64, maxFlows));
        try (KernelLbTables tables = new KernelLbTables(plane)) {
            Reconciler.recover(tables, 1000).apply(DesiredStateJson.parse(STATE));
            test.accept(plane);
        } finally {
            plane.unpin();
            plane.close();
            LbTestSupport.deleteTree(pins);
        }
    }

    /** A client's SYN to 11.0.0.1:80 from a random address of 10.64.0.0/10 and a random port. */
    private static String[] randomClient(Random random) {
        int host = random.nextInt(1 << 22);
        String address = "10." + (64 + (host >> 16)) + "." + ((host >> 8) & 0xff) + "." + (host & 0xff);
        return new String[] {address, Integer.toString(1024 + random.nextInt(64_000))};
    }

    private static LbFlowKey key(Arena arena, String src, int sport, String dst) {
        LbFlowKey key = LbFlowKey.CODEC.newFlyweight();
        key.wrap(arena.allocate(LbFlowKey.LAYOUT), 0);
        InetAddress source = InetAddress.ofLiteral(src);
        return key.clear().src(source).dst(InetAddress.ofLiteral(dst)).sport(sport).dport(80).proto(6)
                .family(source.getAddress().length == 4 ? Abi.AF_INET : Abi.AF_INET6);
    }

    @Test
    void aTableAtHalfItsSizeKeepsAlmostEveryLiveFlow() {
        int maxFlows = 65_536;
        withPlane("ways-half", maxFlows, plane -> {
            BpfProgram ingress = plane.program("lb_tc_ingress");
            Random random = new Random(16);
            Set<String> sent = new HashSet<>();
            try (Arena arena = Arena.ofConfined(); FlowTable table = new FlowTable(plane);
                 LbCounters counters = new LbCounters(plane)) {
                long fullBefore = counters.drops()[LbDropReason.FLOW_TABLE_FULL.number()];
                while (sent.size() < maxFlows / 2) {
                    String[] client = randomClient(random);
                    if (sent.add(client[0] + " " + client[1])) {
                        ingress.testRun(tcp(client[0], Integer.parseInt(client[1]), "11.0.0.1", 80, SYN, 1, 0,
                                new byte[0]));
                    }
                }
                MemorySegment flow = arena.allocate(LbFlow.LAYOUT);
                int lost = 0;
                for (String client : sent) {
                    String[] parts = client.split(" ");
                    if (!table.get(key(arena, parts[0], Integer.parseInt(parts[1]), "11.0.0.1").segment(), flow)) {
                        lost++;
                    }
                }
                long evicted = counters.drops()[LbDropReason.FLOW_TABLE_FULL.number()] - fullBefore;
                assertTrue(lost * 10_000L < sent.size(), lost + " of " + sent.size() + " live flows lost");
                assertEquals(lost, evicted, "every flow lost is counted as flow_table_full");
                assertEquals(sent.size(), table.countLive(System.nanoTime()), "the table's live flows");
            }
        });
    }

    /**
     * The program fills a small table past its size (so inserts also evict); after each insert, FlowTable's mirror of
     * the placement, run on a copy of the table, has put the same key with the same tag in the same way. IPv6 flows
     * check that the hash reads the words the program reads.
     */
    @Test
    void theProgramPutsEveryFlowWhereTheJavaMirrorDoes() {
        int maxFlows = 1024;
        withPlane("ways-mirror", maxFlows, plane -> {
            BpfProgram ingress = plane.program("lb_tc_ingress");
            Random random = new Random(61);
            int buckets = FlowTable.bucketCount(maxFlows);
            long bucketBytes = LbFlowBucket.LAYOUT.byteSize();
            try (Arena arena = Arena.ofConfined(); FlowTable table = new FlowTable(plane)) {
                MemorySegment mirror = arena.allocate(bucketBytes * buckets, 8);
                MemorySegment kernel = arena.allocate(plane.map(FlowTable.MAP).kernelValueSize(), 8);
                MemorySegment index = arena.allocate(JAVA_INT);
                MemorySegment flow = arena.allocate(LbFlow.LAYOUT);
                LbFlowBucket a = new LbFlowBucket();
                LbFlowBucket b = new LbFlowBucket();
                int evictions = 0;
                for (int i = 0; i < maxFlows * 5 / 4; i++) {
                    boolean v6 = i % 8 == 7;
                    String[] client = randomClient(random);
                    String src = v6 ? "fd00:1::" + Integer.toHexString(i) : client[0];
                    String dst = v6 ? "fd01:c::1" : "11.0.0.1";
                    int sport = Integer.parseInt(client[1]);
                    ingress.testRun(tcp(src, sport, dst, 80, SYN, 1, 0, new byte[0]));
                    LbFlowKey key = key(arena, src, sport, dst);
                    assertTrue(table.get(key.segment(), flow), "found where FlowTable looks: " + src + ":" + sport);

                    int hash = FlowTable.flowHash(key.segment(), 0);
                    int first = FlowTable.firstBucket(hash, buckets - 1);
                    int second = FlowTable.secondBucket(hash, buckets - 1);
                    a.wrap(mirror, first * bucketBytes);
                    b.wrap(mirror, second * bucketBytes);
                    int placed = FlowTable.place(a, b, FlowTable.coarse(System.nanoTime()));
                    LbFlowBucket target = placed < LbFlowBucket.WAYS ? a : b;
                    int way = placed % LbFlowBucket.WAYS;
                    if (target.published(way)) {
                        evictions++;
                    }
                    long expires = ((LbFlow) LbFlow.CODEC.newFlyweight().wrap(flow, 0)).expiresNs();
                    MemorySegment.copy(key.segment(), 0, mirror, target.wayOffset(way), LbFlowKey.LAYOUT.byteSize());
                    target.tag(way, FlowTable.tag(hash)).expiry(way, FlowTable.coarse(expires));

                    index.set(JAVA_INT, 0, placed < LbFlowBucket.WAYS ? first : second);
                    assertTrue(plane.map(FlowTable.MAP).get(index, kernel));
                    LbFlowBucket inKernel = (LbFlowBucket) new LbFlowBucket().wrap(kernel, 0);
                    assertEquals(FlowTable.tag(hash), inKernel.tag(way), "the program's tag is lb_flow_hash | 2, flow " + i);
                    assertEquals(-1, MemorySegment.mismatch(kernel, inKernel.wayOffset(way),
                            inKernel.wayOffset(way) + LbFlowKey.LAYOUT.byteSize(), key.segment(), 0,
                            LbFlowKey.LAYOUT.byteSize()), "flow " + i + " is in the way the mirror chose");
                }
                assertTrue(evictions > 0, "the table filled up, so placement evicted too");
            }
        });
    }

    /** Two buckets of four: both are every flow's candidates, so eight flows fill the table. */
    @Test
    void anExpiredWayIsTakenAsAFreeOneAndALiveFlowIsEvictedOnlyWhenNoneIsLeft() {
        withPlane("ways-evict", 8, plane -> {
            BpfProgram ingress = plane.program("lb_tc_ingress");
            try (Arena arena = Arena.ofConfined(); FlowTable table = new FlowTable(plane);
                 LbCounters counters = new LbCounters(plane)) {
                assertEquals(8, table.capacity());
                MemorySegment flow = arena.allocate(LbFlow.LAYOUT);
                LbFlow view = (LbFlow) LbFlow.CODEC.newFlyweight().wrap(flow, 0);
                long before = counters.drops()[LbDropReason.FLOW_TABLE_FULL.number()];
                for (int port = 41000; port < 41008; port++) {
                    ingress.testRun(tcp("10.0.1.80", port, "11.0.0.1", 80, SYN, 1, 0, new byte[0]));
                }
                for (int port = 41000; port < 41008; port++) {
                    LbFlowKey key = key(arena, "10.0.1.80", port, "11.0.0.1");
                    assertTrue(table.get(key.segment(), flow), "port " + port);
                    table.put(key.segment(), view.expiresNs(System.nanoTime() - 2_000_000_000L).segment(),
                            System.nanoTime());
                }
                assertEquals(0, table.countLive(System.nanoTime()), "all eight have expired");
                for (int port = 42000; port < 42008; port++) {
                    ingress.testRun(tcp("10.0.1.80", port, "11.0.0.1", 80, SYN, 1, 0, new byte[0]));
                }
                assertEquals(before, counters.drops()[LbDropReason.FLOW_TABLE_FULL.number()],
                        "expired ways are taken as free ones");
                assertEquals(8, table.countLive(System.nanoTime()));
                ingress.testRun(tcp("10.0.1.80", 43000, "11.0.0.1", 80, SYN, 1, 0, new byte[0]));
                assertEquals(before + 1, counters.drops()[LbDropReason.FLOW_TABLE_FULL.number()],
                        "a ninth live flow evicts one");
                assertTrue(table.get(key(arena, "10.0.1.80", 43000, "11.0.0.1").segment(), flow));
                assertEquals(8, table.countLive(System.nanoTime()));
            }
        });
    }

    /**
     * After an upgrade the table may hold flows an earlier agent's programs placed by lb_flow_hash_v1. An agent that
     * adopts a pinned table says so in lb_config, and while it does, a packet of such a flow finds it and goes to its
     * backend; settleLegacyFlows clears the flag once none is live, and then such a flow is no longer looked for.
     */
    @Test
    void flowsPlacedByTheEarlierHashAreFoundWhileLbConfigSaysTheyMayLive() {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("ways-legacy");
        LbSettings settings = LbSettings.forTests(pins).withSizes(64, 64, 1024);
        LbDataPlane first = LbDataPlane.open(settings);
        LbDataPlane adopting = null;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment flow = arena.allocate(LbFlow.LAYOUT);
            LbFlow view = (LbFlow) LbFlow.CODEC.newFlyweight().wrap(flow, 0);
            try (KernelLbTables tables = new KernelLbTables(first); FlowTable table = new FlowTable(first)) {
                Reconciler.recover(tables, 1000).apply(DesiredStateJson.parse(STATE));
                assertFalse(first.legacyFlows(), "a new table holds no earlier agent's flows");
                // a real flow's value, sent elsewhere: the earlier agent's flows of two clients go to 10.0.9.9:9090
                first.program("lb_tc_ingress").testRun(tcp("10.0.1.80", 41000, "11.0.0.1", 80, SYN, 1, 0, new byte[0]));
                assertTrue(table.get(key(arena, "10.0.1.80", 41000, "11.0.0.1").segment(), flow));
                view.backendAddr(InetAddress.ofLiteral("10.0.9.9")).backendPort(9090).flags(0).csumDiff(0)
                        .expiresNs(System.nanoTime() + 60_000_000_000L);
                for (int port : new int[] {41001, 41002}) {
                    table.putAsEarlierAgent(key(arena, "10.0.1.80", port, "11.0.0.1").segment(), flow,
                            System.nanoTime());
                }
            }
            first.close();
            adopting = LbDataPlane.open(settings);
            assertTrue(adopting.legacyFlows(), "an adopted table may hold an earlier agent's flows");
            BpfProgram ingress = adopting.program("lb_tc_ingress");
            byte[] out = ingress.testRun(tcp("10.0.1.80", 41001, "11.0.0.1", 80, ACK, 2, 1, new byte[0])).dataOut();
            assertEquals("10.0.9.9:9090", destination(out), "the earlier agent's flow is found, and followed");
            assertEquals(2, adopting.settleLegacyFlows(System.nanoTime()), "two such flows live");
            assertTrue(adopting.legacyFlows());

            try (FlowTable table = new FlowTable(adopting)) {
                view.expiresNs(System.nanoTime() - 2_000_000_000L);
                for (int port : new int[] {41001, 41002}) {
                    table.putAsEarlierAgent(key(arena, "10.0.1.80", port, "11.0.0.1").segment(), flow,
                            System.nanoTime());
                }
            }
            assertEquals(0, adopting.settleLegacyFlows(System.nanoTime()), "none live once they expired");
            assertFalse(adopting.legacyFlows(), "so lb_config no longer says they may live");
            try (FlowTable table = new FlowTable(adopting)) {
                view.expiresNs(System.nanoTime() + 60_000_000_000L);
                table.putAsEarlierAgent(key(arena, "10.0.1.80", 41003, "11.0.0.1").segment(), flow, System.nanoTime());
            }
            out = ingress.testRun(tcp("10.0.1.80", 41003, "11.0.0.1", 80, ACK, 2, 1, new byte[0])).dataOut();
            assertEquals("10.0.2.2:8080", destination(out), "with the flag clear, such a flow is not looked for");
        } finally {
            first.unpin(); // the pins both share
            first.close(); // again, if the test got that far: closing is idempotent
            if (adopting != null) {
                adopting.close();
            }
            LbTestSupport.deleteTree(pins);
        }
    }

    /** An IPv4 TCP packet's destination address and port. */
    private static String destination(byte[] packet) {
        return (packet[30] & 0xff) + "." + (packet[31] & 0xff) + "." + (packet[32] & 0xff) + "." + (packet[33] & 0xff)
                + ":" + TestPackets.get16(packet, 36);
    }
}
