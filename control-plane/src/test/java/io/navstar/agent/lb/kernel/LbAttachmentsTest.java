package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.LbMode;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.agent.lb.support.LbTopology;
import io.navstar.loader.BpfLink;
import io.navstar.loader.LinkInfo;
import io.navstar.sys.NetworkNamespace;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Link pins that outlive what they attach to: an interface deleted and made again under the same name while no agent
 * watched (a container restarted during an agent restart), and a cgroup removed and made again. The pinned link then
 * attaches to nothing; reusing it would leave the new interface or cgroup without programs. Each test works in a
 * namespace of its own (nsl&lt;pid&gt;-relink, one veth pair, no traffic) or a child cgroup of its own, removed
 * afterwards. Needs root.
 */
class LbAttachmentsTest {
    private static final String NAMESPACE = "nsl" + ProcessHandle.current().pid() + "-relink";

    private Path pins;
    private LbDataPlane plane;

    @BeforeEach
    void open() throws Exception {
        LbTestSupport.assumeRoot();
        run("ip", "netns", "add", NAMESPACE);
        makeVeth();
        pins = LbTestSupport.pinDirectory("relink");
        plane = LbDataPlane.open(LbSettings.forTests(pins));
    }

    @AfterEach
    void close() throws Exception {
        if (plane != null) {
            try (LbAttachments links = new LbAttachments(plane)) {
                links.detachAll();
            }
            plane.unpin();
            plane.close();
            LbTestSupport.deleteTree(pins);
        }
        run("ip", "netns", "del", NAMESPACE);
    }

    @ParameterizedTest
    @EnumSource(value = LbMode.class, names = {"TC", "XDP"})
    void anInterfaceMadeAgainWhileNoAgentWatchedIsAttachedAgain(LbMode mode) throws Exception {
        NetworkNamespace namespace = NetworkNamespace.named(NAMESPACE);
        List<String> made;
        try (LbAttachments links = new LbAttachments(plane)) {
            made = links.attachInterface(namespace, "vr0", mode);
        } // the agent stops: the pins keep the programs attached
        int first = namespace.ifindex("vr0");
        assertEquals(List.of((long) first), targets(made), "attached to vr0");

        run("ip", "-n", NAMESPACE, "link", "del", "vr0");
        makeVeth();
        int second = namespace.ifindex("vr0");
        assertNotEquals(first, second);
        assertEquals(List.of(0L), targets(made), "the old links attach to nothing once vr0 is gone");

        try (LbAttachments links = new LbAttachments(plane)) {
            assertEquals(made, links.attachInterface(namespace, "vr0", mode));
            assertEquals(List.of((long) second), targets(made), "a restarted agent attaches the new vr0");

            // the same while the agent runs, when it missed the interface's removal (no forgetInterface)
            run("ip", "-n", NAMESPACE, "link", "del", "vr0");
            makeVeth();
            int third = namespace.ifindex("vr0");
            links.attachInterface(namespace, "vr0", mode);
            assertEquals(List.of((long) third), targets(made), "a running agent attaches the new vr0");
        }
    }

    @Test
    void aPinnedLinkOfAnInterfaceStillThereIsReused() {
        NetworkNamespace namespace = NetworkNamespace.named(NAMESPACE);
        List<Integer> ids;
        List<String> made;
        try (LbAttachments links = new LbAttachments(plane)) {
            made = links.attachInterface(namespace, "vr0", LbMode.TC);
            ids = linkIds(made);
        }
        try (LbAttachments links = new LbAttachments(plane)) {
            links.attachInterface(namespace, "vr0", LbMode.TC);
            assertEquals(ids, linkIds(made), "the same links, not new ones");
        }
    }

    @Test
    void aCgroupMadeAgainIsAttachedAgainAndOneStillThereKeepsItsLinks() throws IOException {
        Path cgroup = LbTopology.cgroup2Mount().resolve("nsl" + ProcessHandle.current().pid() + "-relink");
        Files.createDirectory(cgroup);
        try {
            List<String> made;
            List<Integer> ids;
            try (LbAttachments links = new LbAttachments(plane)) {
                links.attachCgroup(cgroup);
                made = links.pins();
                ids = linkIds(made);
            }
            long id = ((Number) Files.getAttribute(cgroup, "unix:ino")).longValue();
            assertEquals(List.of(id), targets(made),
                    "a cgroup link's target is the directory's inode number");
            try (LbAttachments links = new LbAttachments(plane)) {
                links.attachCgroup(cgroup);
                assertEquals(ids, linkIds(made), "the cgroup is the same: the same links");
            }

            Files.delete(cgroup);
            Files.createDirectory(cgroup);
            try (LbAttachments links = new LbAttachments(plane)) {
                links.attachCgroup(cgroup);
                long now = ((Number) Files.getAttribute(cgroup, "unix:ino")).longValue();
                assertNotEquals(id, now);
                assertEquals(List.of(now), targets(made),
                        "the new cgroup has the programs");
                links.detachAll();
            }
        } finally {
            Files.deleteIfExists(cgroup);
        }
    }

    /** What the pinned links attach to (an interface index, a cgroup id), each value once. */
    private List<Long> targets(List<String> made) {
        return made.stream().map(pin -> {
            try (BpfLink link = BpfLink.openPinned(pins.resolve("links").resolve(pin))) {
                return link.info().target();
            }
        }).distinct().toList();
    }

    private List<Integer> linkIds(List<String> made) {
        return made.stream().map(pin -> {
            try (BpfLink link = BpfLink.openPinned(pins.resolve("links").resolve(pin))) {
                LinkInfo info = link.info();
                assertTrue(info.id() > 0);
                return info.id();
            }
        }).toList();
    }

    private static void makeVeth() throws IOException, InterruptedException {
        run("ip", "-n", NAMESPACE, "link", "add", "vr0", "type", "veth", "peer", "name", "vr0p");
        run("ip", "-n", NAMESPACE, "link", "set", "vr0", "up");
        run("ip", "-n", NAMESPACE, "link", "set", "vr0p", "up");
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + ": " + output);
        }
    }
}
