package io.navstar.agent.cluster;

import io.navstar.agent.cluster.ClusterFixtures.Backend;
import io.navstar.agent.cluster.ClusterFixtures.Download;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.dns.server.DnsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.navstar.agent.cluster.ClusterFixtures.awaitOutput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * An agent killed under load and restarted by navstar-launch breaks nothing: a download through a VIP across the
 * restart arrives whole; a DNS client querying the node's Spartan at a steady 500 queries a second loses no query
 * that reached the socket after the kill (those wait in the launcher's socket and are answered late, every one),
 * only what the killed agent had already read and not answered, which SIGKILL takes along (none in most runs, at
 * most one receive batch), as the node's UDP counters show; and the new agent reconciles the pinned data plane
 * without changing it (no "applied" line in its log, the kernel's VIP and backend maps as before). Two nodes in sock
 * mode under navstar-launch; /big:80 has a backend on each, the clients are on n2, whose agent is killed.
 * Threading: JUnit's thread; the clients are processes.
 */
class RestartUnderLoadTest {
    private static final String BIG = "big.marathon.l4lb.thisdcos.directory";
    private static final long DOWNLOAD_BYTES = 5L << 20;
    private static final long DOWNLOAD_RATE = 512 << 10;
    private static final int QUERIES_PER_SECOND = 500;
    private static final int DNSPERF_SECONDS = 10;
    /** Long enough that an answer held back by the restart is late, not lost. */
    private static final int DNSPERF_TIMEOUT_SECONDS = 15;
    private static final Pattern LOST = Pattern.compile("Queries lost:\\s+(\\d+)");
    private static final Pattern SENT = Pattern.compile("Queries sent:\\s+(\\d+)");
    private static final Pattern LATENCY = Pattern.compile("Average Latency \\(s\\):\\s+([0-9.]+) \\(min [0-9.]+, max ([0-9.]+)\\)");

    private static NsCluster cluster;
    private static final Backend[] backends = new Backend[3];

    @BeforeAll
    static void startCluster() {
        assumeTrue(LbTestSupport.isRoot(), "needs root: namespaces, cgroups and eBPF programs");
        cluster = NsCluster.up(NsCluster.uniqueName("r"), 2, "sock", NsCluster.UpOption.LAUNCH);
        for (int node = 1; node <= 2; node++) {
            cluster.container(node, 1).orThrow("container n" + node + " c1");
            backends[node] = new Backend(cluster, node, 1, "n" + node, 8080, DOWNLOAD_BYTES, DOWNLOAD_RATE);
            cluster.register(node, 1, "big-" + node, "/big:80", 8080).orThrow("register big-" + node);
        }
        cluster.container(2, 2).orThrow("container n2 c2");
        cluster.container(2, 3).orThrow("container n2 c3");
    }

    @AfterAll
    static void removeCluster() {
        for (Backend backend : backends) {
            if (backend != null) {
                backend.close();
            }
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void killedAgentIsRestartedWithoutLosingADownloadAQueryOrAKernelEntry() throws Exception {
        awaitOutput(Duration.ofSeconds(20), "both backends of /big on n2", () -> cluster.api(2, "/v1/vips"),
                vips -> vips.contains(NsCluster.containerAddress(1, 1)) && vips.contains(NsCluster.containerAddress(2, 1)));
        awaitOutput(Duration.ofSeconds(10), "the VIP's name from n2's Spartan", () -> cluster.exec(2, 3, "dig", "+short",
                "+time=1", "+tries=1", BIG), answer -> answer.startsWith("11."));
        ClusterFixtures.sleep(1000); // the agents settled: what they apply now is the state the restart must keep
        Map<String, String> kernelBefore = kernelMaps();

        Path queries = Files.writeString(cluster.workDir().resolve("queries.txt"),
                BIG + " A\nn1.nodes.thisdcos.directory A\nn2.nodes.thisdcos.directory A\n");
        Path dnsperfOutput = cluster.nodeDir(2).resolve("dnsperf.out");
        long[] udpBefore = nodeUdpCounters();
        Process dnsperf = cluster.spawn(dnsperfOutput, 2, 3, "dnsperf", "-s", "198.51.100.1", "-d", queries.toString(),
                "-Q", String.valueOf(QUERIES_PER_SECOND), "-l", String.valueOf(DNSPERF_SECONDS),
                "-t", String.valueOf(DNSPERF_TIMEOUT_SECONDS), "-q", "20000",
                // the answers to what queued during the restart come in one burst: room for them (KiB, rmem_max)
                "-b", "4096");
        try (Download download = new Download(cluster, 2, 2, "http://" + BIG + "/big")) {
            ClusterFixtures.sleep(3000);
            long logBefore = Files.size(cluster.agentLog(2));
            long crashedAt = System.currentTimeMillis();
            cluster.crash(2).orThrow("SIGKILL n2's agent");
            assertTrue(download.isAlive(), "the download runs across the restart");
            awaitOutput(Duration.ofSeconds(20), "n2's API after the restart", () -> cluster.api(2, "/v1/vips"),
                    vips -> vips.contains(NsCluster.containerAddress(1, 1)));
            long restart = System.currentTimeMillis() - crashedAt;

            assertTrue(dnsperf.waitFor(DNSPERF_SECONDS + DNSPERF_TIMEOUT_SECONDS + 10, TimeUnit.SECONDS), "dnsperf ends");
            long[] udpAfter = nodeUdpCounters();
            long received = udpAfter[0] - udpBefore[0];
            long dropped = udpAfter[1] - udpBefore[1];
            long answered = udpAfter[2] - udpBefore[2];
            String report = Files.readString(dnsperfOutput);
            int sent = Integer.parseInt(find(SENT, report, 1));
            int lost = Integer.parseInt(find(LOST, report, 1));
            String counts = "\nn2's UDP: " + received + " queries queued, " + dropped + " dropped, " + answered
                    + " answers sent; the client's: " + cluster.exec(2, 3, "grep", "Udp:", "/proc/net/snmp").output();
            assertTrue(sent >= QUERIES_PER_SECOND * DNSPERF_SECONDS * 9 / 10, () -> "dnsperf kept its rate:\n" + report);
            assertTrue(received >= sent, () -> "every query reached Spartan's socket (curl's too)" + counts);
            assertEquals(0, dropped, () -> "none was dropped while no agent read the socket" + counts);
            // SIGKILL takes along the queries the agent had read and not yet answered: at most one receive batch
            assertEquals(received - answered, lost, () -> "lost only what the killed agent had read:\n" + report + counts);
            assertTrue(lost <= DnsConfig.defaults().udpReceiveBatch(), () -> "lost:\n" + report + counts);

            download.assertWhole(DOWNLOAD_BYTES, Duration.ofSeconds(30));

            String after = readFrom(cluster.agentLog(2), logBefore);
            assertTrue(after.contains("the agent exited (signal 9); restarting"), "the launcher restarted it:\n" + after);
            assertTrue(after.contains("inherited"), "Spartan served the launcher's sockets:\n" + after);
            assertTrue(!after.contains(" applied "), "the restarted agent changed nothing in the kernel:\n" + after);
            assertEquals(kernelBefore, kernelMaps(), "the kernel's VIP and backend maps");
            System.out.printf("restart: API back %d ms after SIGKILL; DNS: %d queries sent, %d lost (read by the killed"
                    + " agent), latency average %s s, max %s s%n", restart, sent, lost, find(LATENCY, report, 1),
                    find(LATENCY, report, 2));
        } finally {
            ClusterFixtures.stop(dnsperf);
        }
    }

    /**
     * n2's UDP counters (/proc/net/snmp; Spartan is the only UDP there): datagrams queued to sockets, datagrams
     * dropped on the way in, datagrams sent.
     */
    private static long[] nodeUdpCounters() {
        List<String> udp = cluster.nodeExec(2, "cat", "/proc/net/snmp").orThrow("snmp").lines()
                .filter(l -> l.startsWith("Udp:")).toList();
        List<String> names = List.of(udp.get(0).split("\\s+"));
        String[] values = udp.get(1).split("\\s+");
        return new long[] {Long.parseLong(values[names.indexOf("InDatagrams")]),
                Long.parseLong(values[names.indexOf("InErrors")]), Long.parseLong(values[names.indexOf("OutDatagrams")])};
    }

    /** n2's pinned VIP and backend maps as bpftool dumps them. */
    private static Map<String, String> kernelMaps() {
        Map<String, String> maps = new java.util.TreeMap<>();
        for (String map : List.of("lb_vips", "lb_backends", "lb_backend_vips")) {
            maps.put(map, NsCluster.runProcess(List.of("bpftool", "-j", "map", "dump", "pinned",
                    "/sys/fs/bpf/" + cluster.name() + "-n2/" + map), Map.of(), Duration.ofSeconds(20)).orThrow("dump " + map));
        }
        return maps;
    }

    private static String find(Pattern pattern, String text, int group) {
        Matcher m = pattern.matcher(text);
        if (!m.find()) {
            throw new AssertionError("no " + pattern + " in:\n" + text);
        }
        return m.group(group);
    }

    private static String readFrom(Path file, long offset) throws IOException {
        byte[] all = Files.readAllBytes(file);
        return new String(all, (int) offset, all.length - (int) offset, java.nio.charset.StandardCharsets.UTF_8);
    }
}
