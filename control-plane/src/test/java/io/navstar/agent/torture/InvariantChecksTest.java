package io.navstar.agent.torture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.VipKey;
import io.navstar.agent.torture.FaultSchedule.Fault;
import io.navstar.agent.torture.FaultSchedule.Kind;
import io.navstar.agent.torture.InvariantChecks.Connection;
import io.navstar.agent.torture.InvariantChecks.ConnectionReport;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each invariant of the torture suite holds on input that keeps its property and fails, naming what broke, on input
 * crafted to break it: a node that reaches too few members, KV state that lost an element on one node, a kernel
 * left stale, missing a backend or keeping one passive health skips, a DNS answer that differs, an acknowledged
 * write dropped, a connection that failed with a healthy backend in reach, memory that keeps growing.
 */
class InvariantChecksTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String N1 = "10.77.0.1:62501";
    private static final String N2 = "10.77.0.2:62501";
    private static final String N3 = "10.77.0.3:62501";
    private static final Set<String> ALL = Set.of(N1, N2, N3);

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    private static JsonNode members(boolean n3Reachable, String n3View) {
        return json("[{'node':'" + N1 + "','reachable':true,'active_view':['" + N2 + "']},"
                + "{'node':'" + N2 + "','reachable':true,'active_view':['" + N1 + "']},"
                + "{'node':'" + N3 + "','reachable':" + n3Reachable + ",'active_view':" + n3View + "}]");
    }

    @Test
    void membershipOfOneComponentPasses() {
        JsonNode joined = members(true, "['" + N1 + "']");
        assertEquals(List.of(), InvariantChecks.oneComponent(Map.of(1, joined, 2, joined, 3, joined), ALL));
    }

    @Test
    void membershipFailsWhenANodeIsUnreachableOrTheViewsSplit() {
        JsonNode cut = members(false, "[]");
        List<String> found = InvariantChecks.oneComponent(Map.of(1, members(true, "['" + N1 + "']"), 2, cut), ALL);
        assertEquals(2, found.size(), found::toString);
        assertTrue(found.get(0).startsWith("n2 does not reach [" + N3 + "]"), found::toString);
        assertTrue(found.get(1).startsWith("n2's active views split the cluster into 2 components"), found::toString);
    }

    @Test
    void identicalKvIgnoresSetOrderButFailsOnADroppedElement() {
        JsonNode a = json("{'tcp:/w:80@marathon':{'type':'orswot','value':['x','y']}}");
        JsonNode b = json("{'tcp:/w:80@marathon':{'type':'orswot','value':['y','x']}}");
        JsonNode dropped = json("{'tcp:/w:80@marathon':{'type':'orswot','value':['y']}}");
        assertEquals(List.of(), InvariantChecks.identical("vips", Map.of(1, a, 2, b)));
        List<String> found = InvariantChecks.identical("vips", Map.of(1, a, 2, b, 3, dropped));
        assertEquals(1, found.size());
        assertTrue(found.getFirst().contains("[n1, n2]") && found.getFirst().contains("[n3]"), found::getFirst);
    }

    /** Two backends of /w:80, one on n1 (weight 1), one on n3 (weight 1), and a draining one on n2. */
    private static final JsonNode KV_VIPS = json("{'tcp:/w:80@marathon':{'type':'orswot','value':["
            + "'" + N1 + "|10.201.1.2:8080|1','" + N2 + "|10.202.1.2:8080|0','" + N3 + "|10.203.1.2:8080|1']}}");

    private static Map<VipKey, Set<Endpoint>> kernel(String... backends) {
        VipKey key = InvariantChecks.expectedKernel(KV_VIPS, members(true, "[]")).keySet().iterator().next();
        Set<Endpoint> set = new TreeSet<>();
        for (String backend : backends) {
            set.add(Endpoint.parse(backend));
        }
        return new TreeMap<>(Map.of(key, set));
    }

    @Test
    void kernelMatchingItsStatePasses() {
        assertEquals(List.of(), InvariantChecks.kernelMatches("n1",
                InvariantChecks.expectedKernel(KV_VIPS, members(true, "[]")), kernel("10.201.1.2:8080", "10.203.1.2:8080")));
        // n3 unreachable: its backend leaves the table
        assertEquals(List.of(), InvariantChecks.kernelMatches("n1",
                InvariantChecks.expectedKernel(KV_VIPS, members(false, "[]")), kernel("10.201.1.2:8080")));
    }

    @Test
    void aBackendPassiveHealthSkipsLeavesTheExpectedTableButOnlyThatOne() {
        Set<Endpoint> skipped = Set.of(Endpoint.parse("10.203.1.2:8080"));
        assertEquals(List.of(), InvariantChecks.kernelMatches("n1",
                InvariantChecks.expectedKernel(KV_VIPS, members(true, "[]"), skipped), kernel("10.201.1.2:8080")));
        assertEquals(1, InvariantChecks.kernelMatches("n1", InvariantChecks.expectedKernel(KV_VIPS, members(true, "[]")),
                kernel("10.201.1.2:8080")).size(), "without the skip, a backend is missing");
        assertEquals(1, InvariantChecks.kernelMatches("n1",
                InvariantChecks.expectedKernel(KV_VIPS, members(true, "[]"), skipped),
                kernel("10.201.1.2:8080", "10.203.1.2:8080")).size(), "a skipped backend left in the table");
        // every backend skipped: the Reconciler leaves the VIP an empty table, which refuses new flows at once
        assertEquals(List.of(), InvariantChecks.kernelMatches("n1", InvariantChecks.expectedKernel(KV_VIPS,
                members(true, "[]"), Set.of(Endpoint.parse("10.201.1.2:8080"), Endpoint.parse("10.203.1.2:8080"))),
                kernel()));
    }

    @Test
    void healthSkipsAreReadFromTheAgentsOwnMetricsText() throws IOException {
        GaugeSnapshot skips = GaugeSnapshot.builder().name("navstar_lb_backend_health_skipped")
                .help("1 while the health rule keeps a backend out of the Maglev tables, else 0.")
                .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(Labels.of("backend", "10.201.1.2:8080"))
                        .value(0).build())
                .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(Labels.of("backend", "10.203.1.2:8080"))
                        .value(1).build())
                .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(Labels.of("backend", "[fd01::2]:80"))
                        .value(1).build())
                .build();
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(text, MetricSnapshots.of(skips));
        assertEquals(Set.of(Endpoint.parse("10.203.1.2:8080"), Endpoint.parse("[fd01::2]:80")),
                InvariantChecks.healthSkipped(text.toString(StandardCharsets.UTF_8)));
        assertEquals(Set.of(), InvariantChecks.healthSkipped("# sock mode: no such family\n"));
    }

    @Test
    void kernelCheckFailsOnAStaleVipAMissingVipOrABackendItShouldHaveDropped() {
        Map<VipKey, Set<Endpoint>> expected = InvariantChecks.expectedKernel(KV_VIPS, members(false, "[]"));
        Map<VipKey, Set<Endpoint>> stale = kernel("10.201.1.2:8080");
        stale.put(TortureRun.STALE_VIP, Set.of());
        List<String> found = InvariantChecks.kernelMatches("n1", expected, stale);
        assertEquals(List.of("n1's kernel holds VIP " + TortureRun.STALE_VIP + " (backends []) that its KV state does not"),
                found);

        assertEquals(1, InvariantChecks.kernelMatches("n1", expected, Map.of()).size(), "a VIP missing");
        List<String> kept = InvariantChecks.kernelMatches("n1", expected, kernel("10.201.1.2:8080", "10.203.1.2:8080"));
        assertEquals(1, kept.size());
        assertTrue(kept.getFirst().contains("holds [10.201.1.2:8080, 10.203.1.2:8080], its KV state compiles to"
                + " [10.201.1.2:8080]"), kept::getFirst);
        List<String> drained = InvariantChecks.kernelMatches("n1", InvariantChecks.expectedKernel(KV_VIPS,
                members(true, "[]")), kernel("10.201.1.2:8080", "10.202.1.2:8080", "10.203.1.2:8080"));
        assertEquals(1, drained.size(), "a draining backend (weight 0) takes no new flow");
    }

    @Test
    void dnsCheckFailsWhenOneNodeAnswersDifferentlyOrAllAnswerWrongly() {
        Map<String, Set<String>> expected = InvariantChecks.expectedNames(KV_VIPS);
        assertEquals(Set.of("w.marathon.l4lb.thisdcos.directory"), expected.keySet());
        Map<Integer, Map<String, Set<String>>> answers = new HashMap<>();
        for (int node = 1; node <= 3; node++) {
            answers.put(node, new HashMap<>(expected));
        }
        assertEquals(List.of(), InvariantChecks.dnsAgrees(expected, answers));

        answers.get(2).put("w.marathon.l4lb.thisdcos.directory", Set.of("11.1.2.3"));
        List<String> found = InvariantChecks.dnsAgrees(expected, answers);
        assertEquals(1, found.size());
        assertTrue(found.getFirst().contains("answered differently") && found.getFirst().contains("[11.1.2.3]=[2]"),
                found::getFirst);

        for (int node = 1; node <= 3; node++) {
            answers.get(node).remove("w.marathon.l4lb.thisdcos.directory");
        }
        assertTrue(InvariantChecks.dnsAgrees(expected, answers).getFirst().contains("answered [] by every node"));
    }

    @Test
    void acknowledgedWriteDroppedOrInventedIsFound() {
        Set<String> acknowledged = Set.of("w1", "w2");
        Set<String> attempted = Set.of("w1", "w2", "w3");
        assertEquals(List.of(), InvariantChecks.acknowledgedWritesKept(acknowledged, attempted,
                Map.of(1, Set.of("w1", "w2"), 2, Set.of("w1", "w2", "w3")), Map.of(1, 2L, 2, 3L)));

        List<String> found = InvariantChecks.acknowledgedWritesKept(acknowledged, attempted,
                Map.of(1, Set.of("w1"), 2, Set.of("w1", "w2", "w9")), Map.of(1, 1L, 2, 4L));
        assertEquals(List.of("n1 lost 1 acknowledged write(s): [w2]", "n2 holds element(s) never written: [w9]",
                "n1's counter is 1, expected 2 (acknowledged) to 3 (attempted)",
                "n2's counter is 4, expected 2 (acknowledged) to 3 (attempted)"), found);
    }

    @Test
    void memoryThatLevelsOffPassesAndMemoryThatKeepsGrowingFails() {
        List<Long> level = new ArrayList<>();
        List<Long> growing = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            level.add(200_000L + (i < 5 ? i * 10_000 : 50_000));
            growing.add(200_000L + i * 20_000L);
        }
        assertEquals(List.of(), InvariantChecks.memoryLevelsOff(Map.of("n1 pid 1", level), 1.25, 64 << 10));
        List<String> found = InvariantChecks.memoryLevelsOff(Map.of("n1 pid 1", level, "n2 pid 2", growing), 1.25,
                64 << 10);
        assertEquals(1, found.size());
        assertTrue(found.getFirst().startsWith("n2 pid 2's resident memory grew"), found::getFirst);
    }

    private static final String VIP = "/v0:80";

    /** n1 and n2 serve /v0:80 from t=0; the client is n3. */
    private static List<Fault> world(Fault... more) {
        List<Fault> faults = new ArrayList<>(List.of(Fault.vip(0, Kind.REGISTER, 1, VIP), Fault.vip(0, Kind.REGISTER, 2, VIP)));
        faults.addAll(List.of(more));
        return faults;
    }

    private static ConnectionReport check(List<Fault> faults, long failedAt) {
        return InvariantChecks.connections(List.of(new Connection(3, VIP, 1_000, false, "n1"),
                new Connection(3, VIP, failedAt, true, "error timeout")), faults, 5_000, 12_000);
    }

    @Test
    void connectionFailingWithAHealthyBackendInReachAndNothingChangingIsAViolation() {
        ConnectionReport report = check(world(), 60_000);
        assertEquals(1, report.violations().size(), report::summary);
        assertTrue(report.violations().getFirst().contains("while [1, 2] were reachable and healthy"),
                report.violations().getFirst());
        // one backend stopped long ago, the other still serves: still a violation
        assertEquals(1, check(world(Fault.of(10_000, Kind.STOP_LISTENING, 1)), 60_000).violations().size());
    }

    @Test
    void connectionFailuresAreExcusedAtAKillWithNoBackendOrWhileSettling() {
        ConnectionReport atKill = check(world(Fault.of(60_500, Kind.CRASH, 2)), 60_000);
        assertEquals(List.of(1, 0), List.of(atKill.inFlightAtKill(), atKill.violations().size()), atKill::summary);

        ConnectionReport refusedBeforeKill = InvariantChecks.connections(List.of(new Connection(3, VIP, 60_000, true,
                "error ConnectionRefusedError")), world(Fault.of(64_000, Kind.CRASH, 2)), 5_000, 12_000);
        assertEquals(List.of(0, 1), List.of(refusedBeforeKill.inFlightAtKill(), refusedBeforeKill.settling()),
                "refused at once: not in flight at a kill 4 s later");

        ConnectionReport cutOff = check(world(Fault.partition(10_000, List.of(Set.of(1, 2), Set.of(3)))), 60_000);
        assertEquals(List.of(1, 0), List.of(cutOff.noBackend(), cutOff.violations().size()), cutOff::summary);

        ConnectionReport bothStopped = check(world(Fault.of(10_000, Kind.STOP_LISTENING, 1),
                Fault.of(10_000, Kind.STOP_LISTENING, 2)), 60_000);
        assertEquals(1, bothStopped.noBackend(), bothStopped::summary);

        ConnectionReport settling = check(world(Fault.of(55_000, Kind.STOP_LISTENING, 1)), 60_000);
        assertEquals(List.of(1, 0), List.of(settling.settling(), settling.violations().size()), settling::summary);

        // the client is joined with n4, which was with n2 until then: n4's rows still name n2 for a while
        ConnectionReport hearsay = check(world(Fault.partition(10_000, List.of(Set.of(1, 3), Set.of(2, 4))),
                Fault.partition(59_700, List.of(Set.of(1, 3, 4), Set.of(2)))), 60_000);
        assertEquals(List.of(1, 0), List.of(hearsay.settling(), hearsay.violations().size()), hearsay::summary);
        // the same, but n4 was alone: it knows nothing of n2
        ConnectionReport noHearsay = check(world(Fault.partition(10_000, List.of(Set.of(1, 3), Set.of(2), Set.of(4))),
                Fault.partition(59_700, List.of(Set.of(1, 3, 4), Set.of(2)))), 60_000);
        assertEquals(1, noHearsay.violations().size(), noHearsay::summary);

        // a partition that leaves the client with both backends changes nothing for it
        ConnectionReport unrelated = check(world(Fault.partition(55_000, List.of(Set.of(1, 2, 3), Set.of(4)))), 60_000);
        assertEquals(1, unrelated.violations().size(), unrelated::summary);
    }
}
