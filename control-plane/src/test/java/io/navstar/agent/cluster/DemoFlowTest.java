package io.navstar.agent.cluster;

import io.navstar.agent.lb.support.LbTestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The demo ({@code make run}) as a test, once per data plane mode: three agents in namespaces made by
 * scripts/nscluster, a named VIP with a backend on two nodes, found by name and reached from a third, failover within
 * 3 s when a backend's node leaves the network, traffic back when it returns, and nothing left behind. The demo
 * checks each step itself and exits 1 on the first that fails; this test checks its exit code and key lines, and
 * removes the cluster whatever happened. Threading: JUnit's thread only.
 */
class DemoFlowTest {
    /** The demo bounds each of its waits (20 s at most); this only stops a run that hangs outright. */
    private static final Duration DEMO_TIMEOUT = Duration.ofSeconds(240);

    private String cluster;

    @ParameterizedTest(name = "{0} mode")
    @ValueSource(strings = {"sock", "tc", "xdp"})
    void demoShowsNamedVipFailoverAndCleanUp(String mode) {
        assumeTrue(LbTestSupport.isRoot(), "needs root: namespaces, cgroups and eBPF programs");
        cluster = NsCluster.uniqueName("d") + mode.charAt(0);
        NsCluster.Result demo = NsCluster.runProcess(
                List.of(NsCluster.repository().resolve("scripts/demo.sh").toString()),
                // the KV step is the same in every mode: shown once
                Map.of("MODE", mode, "DEMO_CLUSTER", cluster, "DEMO_KV", mode.equals("sock") ? "1" : "0"), DEMO_TIMEOUT);

        assertEquals(0, demo.exitCode(), () -> "demo.sh in " + mode + " mode failed:\n" + demo.output());
        for (String line : List.of(
                "ok: two backends of /web:80 registered, on node 1 and node 2",
                "ok: web.marathon.l4lb.thisdcos.directory is 11.",
                "ok: both backends answered through web.marathon.l4lb.thisdcos.directory",
                "ok: node 3 knows all three nodes",
                "ok: every new connection went to node 2 within ",
                "ok: traffic back on both backends",
                mode.equals("sock") ? "ok: all three nodes read erlang_users = 26" : "ok: traffic back on both backends",
                "no namespace, cgroup, pin or process left",
                "demo passed (" + mode + " mode)")) {
            assertTrue(demo.output().contains(line), () -> "no '" + line + "' in the demo's output:\n" + demo.output());
        }
    }

    @AfterEach
    void removeCluster() {
        if (cluster != null) {
            NsCluster.run(Duration.ofSeconds(60), "down", cluster).orThrow("nscluster down " + cluster);
        }
    }
}
