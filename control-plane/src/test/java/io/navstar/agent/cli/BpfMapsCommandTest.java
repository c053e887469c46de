package io.navstar.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.navstar.agent.lb.abi.Abi;
import io.navstar.agent.lb.abi.LbBackendVip;
import io.navstar.agent.lb.abi.LbFlow;
import io.navstar.agent.lb.abi.LbFlowKey;
import io.navstar.agent.lb.abi.LbVipKey;
import io.navstar.agent.lb.kernel.FlowTable;
import io.navstar.agent.lb.kernel.LbDataPlane;
import io.navstar.agent.lb.kernel.LbSettings;
import io.navstar.agent.lb.support.LbTestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code navstar bpf maps} decodes entries the way the data plane writes them: an IPv6 connection-table entry shows
 * its addresses in RFC 5952 text, its ports in host order, its flags by name; {@code --limit} bounds the rows shown
 * and says how many were left out. The entries are written straight into a test pin directory's maps.
 */
class BpfMapsCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Path pins;

    @AfterEach
    void cleanUp() {
        LbTestSupport.deleteTree(pins);
    }

    @Test
    void flowsAndBackendVipsAreDecodedWithAddressesAsTextPortsInHostOrderAndFlagsByName() throws Exception {
        LbTestSupport.assumeRoot();
        pins = LbTestSupport.pinDirectory("maps");
        try (LbDataPlane plane = LbDataPlane.open(LbSettings.forTests(pins)); Arena arena = Arena.ofConfined();
             FlowTable flows = new FlowTable(plane)) {
            LbFlowKey key = (LbFlowKey) LbFlowKey.CODEC.newFlyweight().wrap(arena.allocate(LbFlowKey.LAYOUT), 0);
            LbFlow flow = (LbFlow) LbFlow.CODEC.newFlyweight().wrap(arena.allocate(LbFlow.LAYOUT), 0);
            for (int port : new int[] {40000, 40001, 40002}) {
                key.clear().src(InetAddress.ofLiteral("2001:db8:0:0:1:0:0:1")).sport(port)
                        .dst(InetAddress.ofLiteral("fd01:c:0:0:0:0:0:1")).dport(443).proto(6).family(Abi.AF_INET6);
                flow.clear().backendAddr(InetAddress.ofLiteral("2001:db8::2")).backendPort(8443)
                        .flags(Abi.FLOW_CLOSING | Abi.FLOW_REPLIED).backendId(5).vipId(2)
                        .expiresNs(System.nanoTime() + 60_000_000_000L);
                flows.put(key.segment(), flow.segment(), System.nanoTime());
            }
            LbVipKey endpoint = (LbVipKey) LbVipKey.CODEC.newFlyweight().wrap(arena.allocate(LbVipKey.LAYOUT), 0);
            endpoint.clear().addr(InetAddress.ofLiteral("10.0.1.2")).port(8080).proto(17).family(Abi.AF_INET);
            LbBackendVip vip = (LbBackendVip) LbBackendVip.CODEC.newFlyweight().wrap(arena.allocate(LbBackendVip.LAYOUT), 0);
            vip.clear().vipAddr(InetAddress.ofLiteral("11.0.0.1")).vipPort(53).flags(Abi.BACKEND_VIP_SHARED);
            plane.map("lb_backend_vips").put(endpoint.segment(), vip.segment());
        }

        StringWriter out = new StringWriter();
        int code = NavstarCommand.execute(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true),
                "bpf", "maps", "lb_flow_buckets", "lb_backend_vips", "--pin-dir", pins.toString(), "--limit", "2", "-o", "json");
        assertEquals(0, code, out.toString());
        JsonNode maps = JSON.readTree(out.toString()).path("maps");

        JsonNode backendVips = maps.get(0);
        assertEquals("lb_backend_vips", backendVips.path("name").asText());
        assertEquals("[{\"addr\":\"10.0.1.2\",\"port\":8080,\"proto\":\"udp\",\"vip_addr\":\"11.0.0.1\",\"vip_port\":53,"
                + "\"flags\":[\"shared\"]}]", backendVips.path("rows").toString());

        JsonNode flows = maps.get(1);
        assertEquals(List.of("lb_flow_buckets", "array", "3", "2", "1"), List.of(flows.path("name").asText(),
                flows.path("type").asText(), flows.path("entries").asText(), String.valueOf(flows.path("rows").size()),
                flows.path("omitted").asText()));
        JsonNode row = flows.path("rows").get(0);
        assertEquals("2001:db8::1:0:0:1", row.path("src").asText()); // RFC 5952 §4.2.3: the first longest zero run
        assertEquals("fd01:c::1", row.path("dst").asText());
        assertEquals(443, row.path("dport").asInt());
        assertTrue(row.path("sport").asInt() >= 40000 && row.path("sport").asInt() <= 40002, row.toString());
        assertEquals("tcp", row.path("proto").asText());
        assertEquals("2001:db8::2", row.path("backend_addr").asText());
        assertEquals(8443, row.path("backend_port").asInt());
        assertEquals("[\"closing\",\"replied\"]", row.path("flags").toString());
        long expiresIn = row.path("expires_in_ms").asLong();
        assertTrue(expiresIn > 50_000 && expiresIn <= 60_000, row.toString());
        assertEquals("kernel", flows.path("memory_source").asText());
        assertTrue(flows.path("memory_bytes").asLong() > 0, flows.toString());

        StringWriter table = new StringWriter();
        NavstarCommand.execute(new PrintWriter(table, true), new PrintWriter(new StringWriter(), true),
                "bpf", "maps", "lb_flow_buckets", "--pin-dir", pins.toString(), "--limit", "2");
        assertTrue(table.toString().contains("\nlb_flow_buckets (first 2, 1 more; --limit)\nSRC "), table.toString());
    }
}
