package io.navstar.agent.cli;

import io.navstar.agent.lb.LbMode;
import io.navstar.agent.lb.LbOptions;
import io.navstar.agent.lb.LoadBalancer;
import io.navstar.agent.lb.kernel.LbDataPlane;
import io.navstar.agent.lb.kernel.LbSettings;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.agent.lb.support.LbTopology;
import io.navstar.loader.BpfLink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code navstar bpf uninstall}: a stopped load balancer's pins (sock mode on a child cgroup) are detached and
 * removed, the programs leave their hooks; a directory that is not navstar's is refused and left as it was.
 */
class BpfUninstallCommandTest {
    private Path cgroup;
    private final List<Path> pinDirectories = new ArrayList<>();

    @BeforeEach
    void childCgroup() throws IOException {
        LbTestSupport.assumeRoot();
        cgroup = Files.createDirectories(LbTopology.cgroup2Mount().resolve(LbTestSupport.PREFIX + "-uninstall"));
    }

    @AfterEach
    void cleanUp() throws IOException {
        pinDirectories.forEach(LbTestSupport::deleteTree);
        if (cgroup != null) {
            Files.deleteIfExists(cgroup);
        }
    }

    @Test
    void uninstallDetachesEveryLinkAndRemovesEveryPin() throws Exception {
        Path pins = pinDirectory("uninstall");
        LoadBalancer.open(new LbOptions(LbMode.SOCK, LbSettings.forTests(pins), cgroup, null, List.of(), List.of()))
                .close(); // an agent that stopped: its programs stay attached through the pinned links
        List<String> links = listing(pins.resolve("links"));
        assertEquals(8, links.size(), links.toString());
        long cgroupId = (long) Files.getAttribute(cgroup, "unix:ino");

        try (BpfLink held = BpfLink.openPinned(pins.resolve("links").resolve(links.getFirst()))) {
            assertEquals(cgroupId, attachedCgroup(held), "attached before");
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = NavstarCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true),
                    "bpf", "uninstall", "--pin-dir", pins.toString());

            assertEquals(0, code, err.toString());
            assertTrue(out.toString().startsWith("detached and removed 8 links, removed "), out.toString());
            assertFalse(Files.exists(pins), "every pin and both directories removed");
            assertEquals(0, attachedCgroup(held), "the link this test still holds is detached: the hook is empty");
        }
    }

    @Test
    void aDirectoryThatIsNotNavstarsIsRefusedAndLeftAsItWas() throws Exception {
        Path foreign = pinDirectory("foreign");
        LbDataPlane.open(LbSettings.forTests(foreign)).close();
        Files.createDirectory(foreign.resolve("someone-else"));
        Path empty = Files.createDirectories(pinDirectory("empty").resolve("links"));

        for (Path directory : List.of(foreign, empty.getParent())) {
            List<String> before = listing(directory);
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = NavstarCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true),
                    "bpf", "uninstall", "--pin-dir", directory.toString());
            assertEquals(2, code, err.toString());
            assertEquals(1, err.toString().lines().count(), err.toString());
            assertTrue(err.toString().startsWith("navstar bpf uninstall: --pin-dir " + directory
                    + " does not look like navstar's pin directory: "), err.toString());
            assertTrue(err.toString().strip().endsWith("; nothing removed"), err.toString());
            assertEquals(before, listing(directory));
        }
    }

    @Test
    void aDirectoryThatDoesNotExistIsNothingToDo() {
        Path absent = LbTestSupport.pinDirectory("absent");
        StringWriter out = new StringWriter();
        int code = NavstarCommand.execute(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true),
                "bpf", "uninstall", "--pin-dir", absent.toString());
        assertEquals(0, code);
        assertEquals("nothing to uninstall: " + absent + " does not exist", out.toString().strip());
    }

    /** The cgroup a cgroup link attaches to, from its fdinfo ({@code cgroup_id}, 0 once detached). */
    private static long attachedCgroup(BpfLink link) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo", Integer.toString(link.fd())))) {
            if (line.startsWith("cgroup_id:")) {
                return Long.parseLong(line.substring("cgroup_id:".length()).strip());
            }
        }
        throw new AssertionError("no cgroup_id in the link's fdinfo");
    }

    private Path pinDirectory(String tag) {
        Path pins = LbTestSupport.pinDirectory(tag);
        pinDirectories.add(pins);
        return pins;
    }

    private static List<String> listing(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(p -> !p.equals(root)).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }
}
