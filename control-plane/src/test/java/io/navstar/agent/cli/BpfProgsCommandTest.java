package io.navstar.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.navstar.agent.lb.LbMode;
import io.navstar.agent.lb.kernel.LbAttachments;
import io.navstar.agent.lb.kernel.LbDataPlane;
import io.navstar.agent.lb.kernel.LbSettings;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.agent.lb.support.LbTopology;
import io.navstar.loader.RunTimeStats;
import io.navstar.sys.NetworkNamespace;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code navstar bpf progs} finds the programs behind a data plane's pinned links, one entry per program with every
 * hook that runs it, and reads the kernel's run counters: as totals, and with {@code --seconds} as what each program
 * did in that window alone. tc mode is attached to the client-facing veth of a test topology and requests go
 * straight to the backend through it.
 */
class BpfProgsCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void showsEachAttachedProgramWithItsHooksAndTheRunsCountedWhileStatisticsAreOn() throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("progs");
        try (LbTopology topo = new LbTopology("progs", 1, 1L << 20)) {
            LbDataPlane plane = LbDataPlane.open(LbSettings.forTests(pins));
            try (LbAttachments links = new LbAttachments(plane)) {
                links.attachInterface(NetworkNamespace.named(topo.node), "vc", LbMode.TC);
                String backend = "http://" + topo.backends.getFirst().endpoint();
                try (RunTimeStats stats = RunTimeStats.enable()) {
                    assertEquals(0, topo.requests(null, backend, 10), "10 requests through the node");
                }

                Map<String, JsonNode> totals = byName(run("bpf", "progs", "--pin-dir", pins.toString(), "-o", "json"));
                assertEquals(2, totals.size(), totals.toString());
                JsonNode ingress = totals.get("lb_tc_ingress");
                assertEquals("sched_cls", ingress.path("type").asText());
                assertTrue(ingress.path("hooks").get(0).asText().endsWith("-vc-in"), ingress.toString());
                long ingressRuns = ingress.path("run_count").asLong();
                // each request's connection crosses vc's ingress with at least SYN, ACK+request, FIN, ACK
                assertTrue(ingressRuns >= 40, "runs counted while statistics were on: " + ingress);
                assertTrue(ingress.path("run_time_ns").asLong() > 0, ingress.toString());
                assertTrue(totals.get("lb_tc_egress").path("run_count").asLong() >= 40, totals.toString());

                // a window of its own: only what runs in it counts, and the totals above do not
                StringWriter err = new StringWriter();
                CompletableFuture<String> window = CompletableFuture.supplyAsync(() -> {
                    StringWriter out = new StringWriter();
                    NavstarCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), "bpf", "progs",
                            "--pin-dir", pins.toString(), "--seconds", "2", "-o", "json");
                    return out.toString();
                });
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (!err.toString().contains("counting for") && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertTrue(err.toString().contains("counting for 2.00 s"), err.toString());
                assertEquals(0, topo.requests(null, backend, 3), "3 requests in the window");
                JsonNode document = JSON.readTree(window.get());
                assertTrue(document.path("seconds").asDouble() >= 2.0, document.toString());
                JsonNode inWindow = byName(document.toString()).get("lb_tc_ingress");
                long windowRuns = inWindow.path("run_count").asLong();
                assertTrue(windowRuns >= 12 && windowRuns < ingressRuns, "runs in the window: " + inWindow
                        + ", before it: " + ingressRuns);
            } finally {
                plane.unpin();
                plane.close();
                LbTestSupport.deleteTree(pins);
            }
        }
    }

    @Test
    void refusesAWindowThatIsNotPositive() {
        StringWriter err = new StringWriter();
        int code = NavstarCommand.execute(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
                "bpf", "progs", "--seconds", "0");
        assertEquals(2, code, err.toString());
        assertTrue(err.toString().startsWith("navstar bpf progs: --seconds: expected more than 0"), err.toString());
    }

    private static String run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = NavstarCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertEquals(0, code, err.toString());
        return out.toString();
    }

    private static Map<String, JsonNode> byName(String json) throws Exception {
        Map<String, JsonNode> programs = new HashMap<>();
        for (JsonNode program : JSON.readTree(json).path("programs")) {
            programs.put(program.path("name").asText(), program);
        }
        return programs;
    }
}
