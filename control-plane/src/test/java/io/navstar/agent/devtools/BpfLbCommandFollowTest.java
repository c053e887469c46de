package io.navstar.agent.devtools;

import io.navstar.agent.lb.support.AgentProcess;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.agent.lb.support.LbTopology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code navstar bpf lb} follows its state file: each state renamed into place is applied and reported in one
 * {@code applied} line; a state with an error gets one line on stderr and changes nothing; SIGTERM leaves the
 * programs attached and pinned.
 */
class BpfLbCommandFollowTest {
    private static final String ONE_VIP = """
            {"vips": [{"vip": "11.0.0.1:80", "backends": [{"endpoint": "10.10.1.2:8080"}]}]}""";
    private static final String TWO_VIPS = """
            {"vips": [{"vip": "11.0.0.1:80", "backends": [{"endpoint": "10.10.1.2:8080"}]},
                      {"vip": "11.0.0.2:80", "backends": [{"endpoint": "10.10.1.3:8080"}]}]}""";
    private static final String ERROR = "navstar bpf lb: ";

    @TempDir
    Path work;

    @Test
    void appliesEachStateRenamedIntoPlaceAndKeepsTheLastGoodOneWhenAStateHasAnError() throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("follow");
        Path cgroup = Files.createDirectories(LbTopology.cgroup2Mount().resolve(LbTestSupport.PREFIX + "-follow"));
        Path state = Files.writeString(work.resolve("vips.json"), ONE_VIP);
        try (AgentProcess lb = new AgentProcess(work.resolve("lb.log"), state, "--mode", "sock", "--cgroup",
                cgroup.toString(), "--pin-dir", pins.toString())) {
            lb.start();
            assertTrue(lb.lastApplied().contains("added=1, changed=0, removed=0, unchanged=0"), lb.lastApplied());

            lb.replaceState("{\"vips\": [");
            String error = lb.await(line -> line.startsWith(ERROR), 0, "an error line");
            assertTrue(error.contains(state.toString()) && error.endsWith("; the state applied before stays"), error);
            assertEquals(1, lb.count(line -> line.startsWith("applied ")), "nothing applied for the bad state");

            String applied = lb.apply(TWO_VIPS);
            assertTrue(applied.contains("added=1, changed=0, removed=0, unchanged=1"), "the first VIP stayed: " + applied);

            lb.close(); // SIGTERM
            try (Stream<Path> links = Files.list(pins.resolve("links"))) {
                assertEquals(8, links.count(), "the sock mode hooks stay attached and pinned");
            }
            assertEquals(1, lb.count(line -> line.startsWith(ERROR)), "one line for the one bad state");
        } finally {
            LbTestSupport.deleteTree(pins);
            Files.deleteIfExists(cgroup);
        }
    }
}
