package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.LbMode;
import io.navstar.agent.lb.model.DesiredStateJson;
import io.navstar.agent.lb.plan.Reconciler;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.agent.lb.support.LbTopology;
import io.navstar.loader.BpfLink;
import io.navstar.loader.BpfMap;
import io.navstar.loader.BpfObject;
import io.navstar.loader.LoadOptions;
import io.navstar.loader.spec.AttachType;
import io.navstar.sys.NetworkNamespace;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * lb_tc's programs make linear only the headers they parse, never payload: a TCP segment from a local socket (here
 * the client's, through its veth) carries its payload in page fragments, and pulling payload bytes into the linear
 * part makes the kernel reallocate the skb's head and copy them (pskb_expand_head) for every data packet through the
 * node, a cost PROG_TEST_RUN never shows (it builds linear skbs). Measured under wrk (jmh/scripts/lb-wrk.sh with
 * kernel.bpf_stats_enabled), pulling 154 bytes made lb_tc_ingress cost 502 ns per packet against 358 without (two runs each).
 *
 * <p>lb_linear_probe (a test-only object) runs at tcx ingress of the node's client-facing veth before and after
 * lb_tc_ingress and counts the segments with payload and how many have payload in the linear part. The requests go
 * straight to the backend, so lb_tc_ingress passes them on to the next program (a VIP's packets end the chain).
 * Needs root; namespaces from {@link LbTopology}, removed on close.
 */
class LbTcPullTest {
    @Test
    void tcIngressLeavesTcpPayloadInTheSkbsFragments() throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("pull");
        try (LbTopology topo = new LbTopology("pull", 1, 1L << 20)) {
            LbDataPlane plane = LbDataPlane.open(LbSettings.forTests(pins));
            NetworkNamespace node = NetworkNamespace.named(topo.node);
            try (KernelLbTables tables = new KernelLbTables(plane); LbAttachments links = new LbAttachments(plane);
                 BpfObject probe = BpfObject.load(LbDataPlane.objectBytes("lb_linear_probe"), "lb_linear_probe.o",
                         LoadOptions.defaults());
                 BpfLink first = probe.program("lb_probe_first").attachTcx(node, "vc", AttachType.TCX_INGRESS)) {
                Reconciler.recover(tables, 1000).apply(DesiredStateJson.parse("{\"vips\":[{\"vip\":\"11.0.0.1:80\","
                        + "\"backends\":[{\"endpoint\":\"" + topo.backends.getFirst().endpoint() + "\"}]}]}"));
                links.attachInterface(node, "vc", LbMode.TC);
                try (BpfLink last = probe.program("lb_probe_last").attachTcx(node, "vc", AttachType.TCX_INGRESS)) {
                    assertEquals(0, topo.requests(null, "http://" + topo.backends.getFirst().endpoint(), 20),
                            "20 requests straight to the backend");
                }
                long[] counts = counts(probe.map("lb_probe_counts"));
                // the premise: the client's segments with payload reach the node with the payload outside the head
                assertTrue(counts[0] >= 20, "segments with payload seen before lb_tc_ingress: " + counts[0]);
                assertEquals(0, counts[1], "segments arriving with payload in the linear part");
                assertEquals(counts[0], counts[2], "the same segments seen after lb_tc_ingress");
                assertEquals(0, counts[3], "segments lb_tc_ingress left with payload pulled into the linear part");
            } finally {
                plane.unpin();
                plane.close();
                LbTestSupport.deleteTree(pins);
            }
        }
    }

    private static long[] counts(BpfMap map) {
        long[] counts = new long[4];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            MemorySegment value = arena.allocate(JAVA_LONG);
            for (int i = 0; i < counts.length; i++) {
                key.set(JAVA_INT, 0, i);
                assertTrue(map.get(key, value), "probe slot " + i);
                counts[i] = value.get(JAVA_LONG, 0);
            }
        }
        return counts;
    }
}
