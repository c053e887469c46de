package io.navstar.agent.devtools;

import io.navstar.loader.BpfFs;
import io.navstar.loader.CgroupV2;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code make run}'s tour loads the bundled objects (the data plane's, bpf/lb), prints maps, programs and links,
 * and leaves nothing behind.
 */
class LoaderTourTest {

    @Test
    void tourLoadsAttachesPrintsAndCleansUp() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for bpf(2)");
        assumeTrue(LoaderTour.class.getResource("/bpf/lb/lb_xdp.o") != null, "run make bpf first");
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int exit = LoaderTour.run(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        String output = buffer.toString(StandardCharsets.UTF_8);

        assertEquals(0, exit, output);
        for (String object : new String[] {"bpf/lb/lb_sock.o", "bpf/lb/lb_tc.o", "bpf/lb/lb_xdp.o"}) {
            assertTrue(output.lines().anyMatch(object::equals), object + " toured:\n" + output);
        }
        assertFalse(output.contains("bpf/test/"), "no test object is bundled:\n" + output);
        assertTrue(output.contains("struct lb_vip_key {__u32 addr[4]; __u16 port; __u8 proto; __u8 family;}"),
                "map key types are printed from BTF:\n" + output);
        assertTrue(output.contains("reused from the pin made above"), "the objects share their pinned maps:\n" + output);
        assertTrue(output.lines().anyMatch(line -> line.matches("\\s+link\\s+xdp\\s+id \\d+.*<- lb_xdp_ingress")), output);
        assertTrue(output.lines().anyMatch(line -> line.matches("\\s+link\\s+tcx\\s+id \\d+.*<- lb_tc_ingress")), output);
        assertTrue(output.lines().anyMatch(line -> line.matches("\\s+link\\s+cgroup\\s+id \\d+.*<- lb_connect4")), output);
        assertTrue(output.lines().anyMatch(line -> line.matches("\\s+test\\s+prog_test_run .*: XDP_\\w+, .*")),
                "lb_xdp_ingress's test run gives a verdict:\n" + output);
        assertTrue(output.contains("loaded 3 objects, 0 refused"), output);

        String sandbox = "navstar-tour-" + ProcessHandle.current().pid();
        assertFalse(Files.exists(java.nio.file.Path.of("/run/netns", sandbox)), "namespace removed");
        assertFalse(Files.exists(CgroupV2.mountPoint().resolve(sandbox)), "cgroup removed");
        assertFalse(Files.exists(BpfFs.DEFAULT_MOUNT.resolve(sandbox)), "pins removed");
    }
}
