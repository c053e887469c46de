package io.navstar.agent.cluster;

import io.navstar.agent.cluster.ClusterFixtures.Answer;
import io.navstar.agent.cluster.ClusterFixtures.Backend;
import io.navstar.agent.cluster.ClusterFixtures.Download;
import io.navstar.agent.cluster.ClusterFixtures.Probe;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.agent.task.HealthChecks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.navstar.agent.cluster.ClusterFixtures.awaitOutput;
import static io.navstar.agent.cluster.ClusterFixtures.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A task that stops accepting connections fails its agent's health check (a TCP connect every 2 s, three failures
 * in a row) and is drained: published with weight 0, so no new connection goes to it while an established one
 * streams on to its end; once it accepts again, one passing check brings it back. Two backends of /drain:80 on n1
 * (backend.py, which closes its listening socket on SIGUSR1 and listens again on SIGUSR2), the client on n2, sock
 * mode. Threading: JUnit's thread; backends, download and probe are processes.
 */
class HealthCheckDrainTest {
    /** Three failed checks 2 s apart, the first up to 2 s after the backend stops, and the way to n2. */
    private static final Duration DRAIN_LIMIT = HealthChecks.INTERVAL.multipliedBy(HealthChecks.FAILURES_TO_DRAIN + 1);
    /** One passing check, the next round at most an interval away, and the way to n2. */
    private static final Duration UNDRAIN_LIMIT = HealthChecks.INTERVAL.multipliedBy(2);
    private static final String DRAIN = "drain.marathon.l4lb.thisdcos.directory";
    private static final long DOWNLOAD_BYTES = 5L << 20;
    private static final long DOWNLOAD_RATE = 512 << 10;

    private static NsCluster cluster;
    private static final Backend[] backends = new Backend[3];

    @BeforeAll
    static void startCluster() {
        assumeTrue(LbTestSupport.isRoot(), "needs root: namespaces, cgroups and eBPF programs");
        cluster = NsCluster.up(NsCluster.uniqueName("h"), 2, "sock");
        for (int c = 1; c <= 2; c++) {
            cluster.container(1, c).orThrow("container n1 c" + c);
            backends[c] = new Backend(cluster, 1, c, "c" + c, 8080, DOWNLOAD_BYTES, DOWNLOAD_RATE);
            cluster.register(1, c, "drain-" + c, "/drain:80", 8080).orThrow("register drain-" + c);
        }
        cluster.container(2, 1).orThrow("container n2 c1");
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
    void backendThatStopsAcceptingIsDrainedKeepsItsDownloadAndComesBack() throws Exception {
        awaitOutput(Duration.ofSeconds(20), "both backends of /drain on n2", () -> cluster.api(2, "/v1/vips"),
                vips -> vips.contains(NsCluster.containerAddress(1, 1)) && vips.contains(NsCluster.containerAddress(1, 2)));
        try (Download download = new Download(cluster, 2, 1, "http://" + DRAIN + "/big");
             Probe probe = new Probe(cluster, 2, 1, DRAIN, 80, 50, 1000)) {
            assertTrue(awaitTrue(Duration.ofSeconds(5), () -> backends[1].servesBig() || backends[2].servesBig()),
                    "a backend serves /big");
            int drained = backends[1].servesBig() ? 1 : 2;
            int other = 3 - drained;
            Backend backend = backends[drained];
            String drainedName = "c" + drained;
            String drainedEntry = NsCluster.containerAddress(1, drained) + ":8080|";

            long stoppedAt = System.currentTimeMillis();
            backend.signal("USR1");
            assertTrue(awaitTrue(Duration.ofSeconds(2), () -> backend.lines().contains("stopped")));
            awaitOutput(DRAIN_LIMIT.plusSeconds(2), "weight 0 for " + drainedName + " in n2's KV",
                    () -> cluster.api(2, "/lashup/kv/minuteman/vips"), kv -> kv.contains(drainedEntry + "0\""));
            long drainedAt = System.currentTimeMillis();
            System.out.printf("drain: weight 0 on the client's node %d ms after the backend stopped accepting%n",
                    drainedAt - stoppedAt);
            assertTrue(drainedAt - stoppedAt <= DRAIN_LIMIT.toMillis(), "drained after " + (drainedAt - stoppedAt) + " ms");
            assertTrue(download.isAlive(), "the download through the drained backend still runs");

            ClusterFixtures.sleep(1500);
            List<Answer> whileDrained = probe.answersFrom(drainedAt + 100);
            assertTrue(whileDrained.size() >= 10, probe::transcript);
            assertTrue(whileDrained.stream().allMatch(a -> a.text().equals("c" + other)),
                    () -> "every new connection goes to c" + other + " while " + drainedName + " is drained:\n"
                            + probe.transcript());

            download.assertWhole(DOWNLOAD_BYTES, Duration.ofSeconds(30));
            // the backend logs its line after its last byte is sent, so it may come after the client has them all
            assertTrue(awaitTrue(Duration.ofSeconds(5),
                            () -> backend.lines().stream().anyMatch(l -> l.endsWith("/big done " + DOWNLOAD_BYTES))),
                    "the drained backend served it to its end");

            long relistenedAt = System.currentTimeMillis();
            backend.signal("USR2");
            awaitOutput(UNDRAIN_LIMIT.plusSeconds(2), "weight 1 for " + drainedName + " in n2's KV",
                    () -> cluster.api(2, "/lashup/kv/minuteman/vips"), kv -> kv.contains(drainedEntry + "1\""));
            System.out.printf("undrain: weight 1 on the client's node %d ms after the backend listened again%n",
                    System.currentTimeMillis() - relistenedAt);
            assertTrue(awaitTrue(Duration.ofSeconds(3), () -> probe.answersFrom(relistenedAt).stream()
                    .anyMatch(a -> a.text().equals(drainedName))), () -> drainedName + " takes new connections again:\n"
                    + probe.transcript());
        }
    }
}
