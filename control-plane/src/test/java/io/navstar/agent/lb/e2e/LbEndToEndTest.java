package io.navstar.agent.lb.e2e;

import io.navstar.agent.lb.support.AgentProcess;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.agent.lb.support.LbTopology;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end, per mode: a client namespace makes 3,000 connections to a VIP served by three backend namespaces;
 * shares stay within 20 %; a removed backend gets no new connection while its established download goes on;
 * weight 0 drains the same way; the load balancer (the developer command {@code navstar bpf lb}, following a state
 * file) is SIGKILLed and restarted while both downloads run, and they complete.
 */
class LbEndToEndTest {
    static final String URL = "http://" + LbTopology.VIP;

    static String state(String... backends) {
        StringBuilder b = new StringBuilder("{\"vips\":[{\"vip\":\"" + LbTopology.VIP + ":80\",\"backends\":[");
        for (int i = 0; i < backends.length; i++) {
            String[] parts = backends[i].split("/");
            b.append(i == 0 ? "" : ",").append("{\"endpoint\":\"").append(parts[0]).append("\",\"weight\":")
                    .append(parts.length > 1 ? parts[1] : "1").append("}");
        }
        return b.append("]}]}").toString();
    }

    @ParameterizedTest(name = "{0} mode")
    @ValueSource(strings = {"sock", "tc", "xdp"})
    void balancesDrainsRemovesAndSurvivesAgentKill(String mode) throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("e2e-" + mode);
        Path work = Files.createTempDirectory(LbTestSupport.PREFIX + "-e2e-" + mode);
        Path cgroup = mode.equals("sock") ? LbTopology.cgroup2Mount().resolve(LbTestSupport.PREFIX + "-" + mode) : null;
        try (LbTopology topo = new LbTopology(mode, 3, 48L << 20)) {
            if (cgroup != null) {
                Files.createDirectories(cgroup);
            }
            Path stateFile = work.resolve("vips.json");
            Files.writeString(stateFile, state(topo.backends.get(0).endpoint(), topo.backends.get(1).endpoint(),
                    topo.backends.get(2).endpoint()));
            String[] args = mode.equals("sock")
                    ? new String[] {"--mode", "sock", "--pin-dir", pins.toString(), "--cgroup", cgroup.toString(),
                            "--max-vips", "1024", "--max-backends", "4096", "--max-flows", "65536"}
                    : new String[] {"--mode", mode, "--pin-dir", pins.toString(), "--netns", topo.node, "--interfaces",
                            "vc,vb*", "--max-vips", "1024", "--max-backends", "4096", "--max-flows", "65536"};
            try (AgentProcess agent = new AgentProcess(work.resolve("agent.log"), stateFile, args)) {
                agent.start();
                awaitServing(topo, cgroup);

                // 3,000 connections: each backend within 20 % of its third
                int[] before = topo.requestCounts();
                assertEquals(0, topo.requests(cgroup, URL, 3000), "every request succeeds");
                int[] shares = diff(topo.requestCounts(), before);
                assertEquals(3000, Arrays.stream(shares).sum(), "requests seen by the backends: " + Arrays.toString(shares));
                for (int share : shares) {
                    assertTrue(Math.abs(share - 1000) <= 200, "shares " + Arrays.toString(shares));
                }

                // an established download to backend X goes on after X is removed; X gets no new connection
                int[] downloadsBefore = downloads(topo);
                Process d1 = topo.download(cgroup, URL, "5M");
                int x = awaitNewDownload(topo, downloadsBefore);
                String[] rest = others(topo, x);
                agent.apply(state(rest));
                before = topo.requestCounts();
                assertEquals(0, topo.requests(cgroup, URL, 300));
                int[] afterRemove = diff(topo.requestCounts(), before);
                assertEquals(0, afterRemove[x], "removed backend b" + (x + 1) + " got " + Arrays.toString(afterRemove));
                assertEquals(300, Arrays.stream(afterRemove).sum());

                // weight 0 drains: backend Y keeps its download, takes nothing new
                downloadsBefore = downloads(topo);
                Process d2 = topo.download(cgroup, URL, "5M");
                int y = awaitNewDownload(topo, downloadsBefore);
                String yEndpoint = topo.backends.get(y).endpoint();
                String[] drained = Arrays.stream(rest).map(e -> e.equals(yEndpoint) ? e + "/0" : e).toArray(String[]::new);
                agent.apply(state(drained));
                before = topo.requestCounts();
                assertEquals(0, topo.requests(cgroup, URL, 300));
                int[] afterDrain = diff(topo.requestCounts(), before);
                assertEquals(0, afterDrain[y], "draining backend b" + (y + 1) + " got " + Arrays.toString(afterDrain));
                assertEquals(300, Arrays.stream(afterDrain).sum());

                // SIGKILL the agent mid-download, restart it: nothing established breaks, new flows still balance
                agent.kill();
                assertEquals(0, topo.requests(cgroup, URL, 50), "the pinned data plane serves while no agent runs");
                agent.start();
                String restart = agent.lastApplied();
                assertTrue(restart.contains("added=0, changed=0, removed=0, unchanged=1"),
                        "the restarted command finds the state in the pins: " + restart);
                before = topo.requestCounts();
                assertEquals(0, topo.requests(cgroup, URL, 100));
                int[] afterRestart = diff(topo.requestCounts(), before);
                assertEquals(0, afterRestart[x] + afterRestart[y], Arrays.toString(afterRestart));

                assertDownloadComplete(d1, topo.bigBytes());
                assertDownloadComplete(d2, topo.bigBytes());
            }
        } finally {
            if (cgroup != null) {
                Files.deleteIfExists(cgroup);
            }
            LbTestSupport.deleteTree(pins);
            LbTestSupport.deleteTree(work);
        }
    }

    private static void awaitServing(LbTopology topo, Path cgroup) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (topo.requests(cgroup, URL, 1) != 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("VIP not served within 10 s");
            }
            Thread.sleep(100);
        }
    }

    private static int[] downloads(LbTopology topo) {
        return topo.backends.stream().mapToInt(b -> b.downloads.get()).toArray();
    }

    private static int awaitNewDownload(LbTopology topo, int[] before) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            int[] now = downloads(topo);
            for (int b = 0; b < now.length; b++) {
                if (now[b] > before[b]) {
                    return b;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("download did not reach any backend");
    }

    private static String[] others(LbTopology topo, int skip) {
        return topo.backends.stream().filter(b -> topo.backends.indexOf(b) != skip).map(LbTopology.Backend::endpoint)
                .toArray(String[]::new);
    }

    private static int[] diff(int[] after, int[] before) {
        int[] d = new int[after.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = after[i] - before[i];
        }
        return d;
    }

    private static void assertDownloadComplete(Process download, long bytes) throws Exception {
        assertTrue(download.waitFor(60, TimeUnit.SECONDS), "download finished");
        String out = new String(download.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, download.exitValue(), "curl exit status, output " + out);
        assertEquals(bytes + " 200", out);
    }
}
