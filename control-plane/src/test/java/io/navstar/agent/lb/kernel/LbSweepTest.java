package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.abi.LbFlow;
import io.navstar.agent.lb.abi.LbFlowKey;
import io.navstar.agent.lb.model.DesiredStateJson;
import io.navstar.agent.lb.plan.Reconciler;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.loader.BpfProgram;
import io.navstar.loader.TestRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.nio.file.Path;

import static io.navstar.agent.lb.kernel.LbProgramTableTest.TCX_NEXT;
import static io.navstar.agent.lb.kernel.LbProgramTableTest.addressBit;
import static io.navstar.agent.lb.kernel.LbProgramTableTest.backendVipIn;
import static io.navstar.agent.lb.kernel.LbProgramTableTest.filterWordAndMask;
import static io.navstar.agent.lb.kernel.LbProgramTableTest.flowKey4;
import static io.navstar.agent.lb.support.TestPackets.ACK;
import static io.navstar.agent.lb.support.TestPackets.SYN;
import static io.navstar.agent.lb.support.TestPackets.tcp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link KernelLbTables#sweep}: what removed VIPs and backends leave in lb_backend_vips and the address filters goes
 * once no live flow needs it, and not before. Flows are made and checked with PROG_TEST_RUN of tc mode's programs
 * over a data plane of the test's own (root only).
 */
class LbSweepTest {
    private static final String BOTH = """
            {"vips": [
              {"vip": "11.0.0.7:80", "backends": [{"endpoint": "10.0.7.2:8080"}]},
              {"vip": "11.0.0.8:80", "backends": [{"endpoint": "10.0.7.4:8080"}]}
            ]}""";
    private static final String MOVED = """
            {"vips": [{"vip": "11.0.0.7:80", "backends": [{"endpoint": "10.0.7.3:8080"}]}]}""";

    private Path pins;
    private LbDataPlane plane;
    private KernelLbTables tables;
    private Reconciler reconciler;

    @BeforeEach
    void load() {
        LbTestSupport.assumeRoot();
        pins = LbTestSupport.pinDirectory("pts");
        plane = LbDataPlane.open(LbSettings.forTests(pins));
        tables = new KernelLbTables(plane);
        reconciler = Reconciler.recover(tables, 1000);
    }

    @AfterEach
    void unload() {
        if (tables != null) {
            tables.close();
        }
        if (plane != null) {
            plane.unpin();
            plane.close();
        }
        if (pins != null) {
            LbTestSupport.deleteTree(pins);
        }
    }

    /** Whether an address filter map has the bit of an IPv4 address set. */
    private boolean hasBit(String filter, String address) {
        long[] word = filterWordAndMask(plane, filter, address);
        return (word[1] & word[2]) != 0;
    }

    private void expire(String client, int port, String vip) {
        try (Arena arena = Arena.ofConfined(); FlowTable flows = new FlowTable(plane)) {
            LbFlowKey key = flowKey4(arena, client, port, vip, 80, 6);
            LbFlow flow = LbFlow.CODEC.newFlyweight();
            flow.wrap(arena.allocate(LbFlow.LAYOUT), 0);
            assertTrue(flows.get(key.segment(), flow.segment()), "the connection table has the flow");
            flows.put(key.segment(), flow.expiresNs(System.nanoTime() - 1_000_000_000L).segment(), System.nanoTime());
        }
    }

    @Test
    void aRemovedBackendsRecordAndFilterBitsGoOnceItsLastFlowHasEnded() {
        // the addresses that go must not share a filter bit with the ones that stay, or nothing could be cleared
        assertNotEquals(addressBit("10.0.7.2"), addressBit("10.0.7.3"));
        assertNotEquals(addressBit("10.0.7.4"), addressBit("10.0.7.3"));
        assertNotEquals(addressBit("11.0.0.8"), addressBit("11.0.0.7"));
        reconciler.apply(DesiredStateJson.parse(BOTH));
        BpfProgram in = plane.program("lb_tc_ingress");
        BpfProgram out = plane.program("lb_tc_egress");
        assertArrayEquals(tcp("10.0.1.60", 49200, "10.0.7.2", 8080, SYN, 1, 0, new byte[0]),
                in.testRun(tcp("10.0.1.60", 49200, "11.0.0.7", 80, SYN, 1, 0, new byte[0])).dataOut());
        assertArrayEquals(tcp("10.0.1.60", 49201, "10.0.7.4", 8080, SYN, 1, 0, new byte[0]),
                in.testRun(tcp("10.0.1.60", 49201, "11.0.0.8", 80, SYN, 1, 0, new byte[0])).dataOut());
        assertEquals(new KernelLbTables.SweepReport(0, 0, 0, 0, 0), tables.sweep(System.nanoTime()),
                "with nothing stale no flow is read");

        // 10.0.7.2 gives way to 10.0.7.3, and the VIP 11.0.0.8 goes with its backend 10.0.7.4
        reconciler.apply(DesiredStateJson.parse(MOVED));
        KernelLbTables.SweepReport kept = tables.sweep(System.nanoTime());
        assertEquals(2, kept.staleEndpoints());
        assertEquals(0, kept.removedEndpoints(), "both still carry a live flow");
        assertEquals(0, kept.vipBits());
        assertEquals(0, kept.backendBits());
        assertEquals(2, kept.liveFlows());
        byte[] reply = tcp("10.0.7.2", 8080, "10.0.1.60", 49200, ACK, 9, 2, new byte[0]);
        assertArrayEquals(tcp("11.0.0.7", 80, "10.0.1.60", 49200, ACK, 9, 2, new byte[0]), out.testRun(reply).dataOut(),
                "the old backend's flow goes on both ways");
        assertArrayEquals(tcp("10.0.1.60", 49201, "10.0.7.4", 8080, ACK, 2, 1, new byte[0]),
                in.testRun(tcp("10.0.1.60", 49201, "11.0.0.8", 80, ACK, 2, 1, new byte[0])).dataOut(),
                "and so does the removed VIP's");

        expire("10.0.1.60", 49200, "11.0.0.7");
        expire("10.0.1.60", 49201, "11.0.0.8");
        KernelLbTables.SweepReport swept = tables.sweep(System.nanoTime());
        assertEquals(2, swept.removedEndpoints());
        assertEquals(1, swept.vipBits(), "11.0.0.8's bit");
        assertEquals(2, swept.backendBits(), "10.0.7.2's and 10.0.7.4's bits");
        try (Arena arena = Arena.ofConfined()) {
            assertNull(backendVipIn(plane, "10.0.7.2", 8080, arena));
            assertNull(backendVipIn(plane, "10.0.7.4", 8080, arena));
        }
        assertTrue(!hasBit("lb_vip_filter", "11.0.0.8") && !hasBit("lb_backend_filter", "10.0.7.2")
                && !hasBit("lb_backend_filter", "10.0.7.4"));
        assertTrue(hasBit("lb_vip_filter", "11.0.0.7") && hasBit("lb_backend_filter", "10.0.7.3"),
                "the installed VIP's and backend's bits stay");

        // what is forgotten is passed untouched; the installed VIP takes new flows as before
        TestRun passed = out.testRun(reply);
        assertEquals(TCX_NEXT, passed.returnValue());
        assertArrayEquals(reply, passed.dataOut());
        assertArrayEquals(tcp("10.0.1.60", 49202, "10.0.7.3", 8080, SYN, 1, 0, new byte[0]),
                in.testRun(tcp("10.0.1.60", 49202, "11.0.0.7", 80, SYN, 1, 0, new byte[0])).dataOut());
        try (Arena arena = Arena.ofConfined()) {
            assertNotNull(backendVipIn(plane, "10.0.7.3", 8080, arena));
        }
        assertEquals(new KernelLbTables.SweepReport(0, 0, 0, 0, 0), tables.sweep(System.nanoTime()),
                "a second sweep finds nothing left");
    }

    @Test
    void tablesOpenedAgainSweepWhatAnEarlierAgentLeft() {
        reconciler.apply(DesiredStateJson.parse(BOTH));
        BpfProgram in = plane.program("lb_tc_ingress");
        in.testRun(tcp("10.0.1.61", 49300, "11.0.0.8", 80, SYN, 1, 0, new byte[0]));
        reconciler.apply(DesiredStateJson.parse(MOVED));
        expire("10.0.1.61", 49300, "11.0.0.8");
        tables.close();
        // a restarted agent knows nothing of what was removed before: the kernel's maps are enough
        tables = new KernelLbTables(plane);
        KernelLbTables.SweepReport swept = tables.sweep(System.nanoTime());
        assertEquals(1, swept.removedEndpoints());
        assertTrue(swept.vipBits() >= 1 && swept.backendBits() >= 1, swept.toString());
        assertTrue(!hasBit("lb_vip_filter", "11.0.0.8") && !hasBit("lb_backend_filter", "10.0.7.4"));
    }

    @Test
    void aSweepThatFoundSomethingStaleCannotFinishWithoutReadingTheFlows() {
        reconciler.apply(DesiredStateJson.parse(BOTH));
        plane.program("lb_tc_ingress").testRun(tcp("10.0.1.62", 49400, "11.0.0.8", 80, SYN, 1, 0, new byte[0]));
        reconciler.apply(DesiredStateJson.parse(MOVED));
        KernelLbTables.Sweep sweep = tables.beginSweep();
        assertTrue(sweep.needed());
        assertThrows(IllegalStateException.class, () -> tables.finishSweep(sweep));
        try (Arena arena = Arena.ofConfined()) {
            assertNotNull(backendVipIn(plane, "10.0.7.4", 8080, arena), "nothing was removed");
        }
        sweep.scanFlows(System.nanoTime());
        assertEquals(0, tables.finishSweep(sweep).removedEndpoints(), "the flow is live");
    }
}
