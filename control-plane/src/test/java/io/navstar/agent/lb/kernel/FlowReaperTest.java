package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.abi.LbFlow;
import io.navstar.agent.lb.abi.LbFlowKey;
import io.navstar.agent.lb.abi.LbReverseNat;
import io.navstar.agent.lb.model.DesiredStateJson;
import io.navstar.agent.lb.plan.Reconciler;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.loader.BpfMap;
import io.navstar.loader.BpfProgram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static io.navstar.agent.lb.kernel.LbProgramTableTest.flowKey4;
import static io.navstar.agent.lb.support.TestPackets.ACK;
import static io.navstar.agent.lb.support.TestPackets.SYN;
import static io.navstar.agent.lb.support.TestPackets.tcp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link FlowReaper} over a data plane of the test's own, flows made with PROG_TEST_RUN (root only). */
class FlowReaperTest {
    /** 10.0.5.2:8080 backs two VIPs: once it has had a flow from each, its flows keep lb_reverse entries too. */
    private static final String STATE = """
            {"vips": [
              {"vip": "11.0.0.3:80", "backends": [{"endpoint": "10.0.5.2:8080"}]},
              {"vip": "11.0.0.4:80", "backends": [{"endpoint": "10.0.5.2:8080"}]}
            ]}""";

    private Path pins;
    private LbDataPlane plane;

    @BeforeEach
    void load() {
        LbTestSupport.assumeRoot();
        pins = LbTestSupport.pinDirectory("ptr");
        plane = LbDataPlane.open(LbSettings.forTests(pins));
        try (KernelLbTables tables = new KernelLbTables(plane)) {
            Reconciler.recover(tables, 1000).apply(DesiredStateJson.parse(STATE));
        }
    }

    @AfterEach
    void unload() {
        if (plane != null) {
            plane.unpin();
            plane.close();
        }
        if (pins != null) {
            LbTestSupport.deleteTree(pins);
        }
    }

    private void expireFlow(Arena arena, FlowTable flows, LbFlowKey key) {
        LbFlow flow = LbFlow.CODEC.newFlyweight();
        flow.wrap(arena.allocate(LbFlow.LAYOUT), 0);
        assertTrue(flows.get(key.segment(), flow.segment()));
        flows.put(key.segment(), flow.expiresNs(System.nanoTime() - 1_000_000_000L).segment(), System.nanoTime());
    }

    private void expireReverse(Arena arena, LbFlowKey key) {
        BpfMap reverse = plane.map("lb_reverse");
        LbReverseNat entry = LbReverseNat.CODEC.newFlyweight();
        entry.wrap(arena.allocate(LbReverseNat.LAYOUT), 0);
        assertTrue(reverse.get(key.segment(), entry.segment()), "the shared backend's flow has a reverse entry");
        reverse.put(key.segment(), entry.expiresNs(System.nanoTime() - 1_000_000_000L).segment());
    }

    @Test
    void expiredReverseEntriesAreDeletedAndLiveOnesKept() {
        BpfProgram in = plane.program("lb_tc_ingress");
        BpfProgram out = plane.program("lb_tc_egress");
        in.testRun(tcp("10.0.1.70", 49999, "11.0.0.4", 80, SYN, 1, 0, new byte[0]));
        for (int port = 50000; port < 50003; port++) {
            in.testRun(tcp("10.0.1.70", port, "11.0.0.3", 80, SYN, 1, 0, new byte[0]));
        }
        FlowReaper reaper = new FlowReaper(plane);
        FlowReaper.Report nothing = reaper.reap(System.nanoTime());
        assertEquals(3, nothing.entries(), "four flows, the last three with a reverse entry");
        assertEquals(0, nothing.deleted());
        try (Arena arena = Arena.ofConfined(); FlowTable flows = new FlowTable(plane)) {
            for (int port = 50000; port < 50002; port++) {
                expireFlow(arena, flows, flowKey4(arena, "10.0.1.70", port, "11.0.0.3", 80, 6));
                expireReverse(arena, flowKey4(arena, "10.0.5.2", 8080, "10.0.1.70", port, 6));
            }
            FlowReaper.Report report = reaper.reap(System.nanoTime());
            assertEquals(3, report.entries());
            assertEquals(2, report.deleted());
            assertEquals(0, report.revived());
            BpfMap reverse = plane.map("lb_reverse");
            MemorySegment entry = arena.allocate(LbReverseNat.LAYOUT);
            assertFalse(reverse.get(flowKey4(arena, "10.0.5.2", 8080, "10.0.1.70", 50000, 6).segment(), entry));
            assertTrue(reverse.get(flowKey4(arena, "10.0.5.2", 8080, "10.0.1.70", 50002, 6).segment(), entry),
                    "the live flow's entry stays");
            assertEquals(1, reaper.reap(System.nanoTime()).entries(), "what is left: the live flow's entry");
            // the connection table is not reaped: an insert takes an expired way as a free one
            assertTrue(flows.get(flowKey4(arena, "10.0.1.70", 50000, "11.0.0.3", 80, 6).segment(),
                    arena.allocate(LbFlow.LAYOUT)));
        }
        // the live flow goes on both ways
        assertArrayEquals(tcp("10.0.1.70", 50002, "10.0.5.2", 8080, ACK, 2, 1, new byte[0]),
                in.testRun(tcp("10.0.1.70", 50002, "11.0.0.3", 80, ACK, 2, 1, new byte[0])).dataOut());
        assertArrayEquals(tcp("11.0.0.3", 80, "10.0.1.70", 50002, ACK, 9, 2, new byte[0]),
                out.testRun(tcp("10.0.5.2", 8080, "10.0.1.70", 50002, ACK, 9, 2, new byte[0])).dataOut());
    }

    @Test
    void thousandsOfExpiredReverseEntriesGoInOneRoundAndTheLiveOneStays() {
        BpfProgram in = plane.program("lb_tc_ingress");
        BpfMap reverse = plane.map("lb_reverse");
        int n = 2000;
        in.testRun(tcp("10.0.1.71", 51000, "11.0.0.3", 80, SYN, 1, 0, new byte[0]));
        in.testRun(tcp("10.0.1.71", 51001, "11.0.0.4", 80, SYN, 1, 0, new byte[0])); // shared from here on
        for (int i = 0; i < n; i++) {
            in.testRun(tcp("10.1." + (i >> 8) + "." + (i & 0xff), 51000, "11.0.0.4", 80, SYN, 1, 0, new byte[0]));
        }
        try (Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < n; i++) {
                expireReverse(arena, flowKey4(arena, "10.0.5.2", 8080, "10.1." + (i >> 8) + "." + (i & 0xff), 51000, 6));
            }
        }
        FlowReaper.Report report = new FlowReaper(plane).reap(System.nanoTime());
        assertEquals(n, report.deleted());
        try (Arena arena = Arena.ofConfined()) {
            var key = arena.allocate(reverse.keySize());
            var next = arena.allocate(reverse.keySize());
            assertEquals(0, reverse.nextKey(MemorySegment.NULL, key));
            assertTrue(reverse.nextKey(key, next) != 0, "lb_reverse holds the live flow's entry alone");
            assertTrue(reverse.get(flowKey4(arena, "10.0.5.2", 8080, "10.0.1.71", 51001, 6).segment(),
                    arena.allocate(LbReverseNat.LAYOUT)));
        }
    }
}
