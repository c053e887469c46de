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

/** {@code make run}'s tour loads the bundled objects, prints maps, programs and links, and leaves nothing behind. */
class LoaderTourTest {

    @Test
    void tourLoadsAttachesPrintsAndCleansUp() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for bpf(2)");
        assumeTrue(LoaderTour.class.getResource("/bpf/test/xdp_count.o") != null, "run make bpf first");
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int exit = LoaderTour.run(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        String output = buffer.toString(StandardCharsets.UTF_8);

        assertEquals(0, exit, output);
        assertTrue(output.contains("bpf/test/xdp_count.o"), output);
        assertTrue(output.contains("struct source_key {__u32 saddr; __u8 protocol; __u8 pad[3];}"),
                "map key types are printed from BTF:\n" + output);
        assertTrue(output.lines().anyMatch(line -> line.matches("\\s+link\\s+xdp\\s+id \\d+.*<- xdp_count")), output);
        assertTrue(output.lines().anyMatch(line -> line.matches("\\s+link\\s+tcx\\s+id \\d+.*<- tcx_ingress_count")), output);
        assertTrue(output.lines().anyMatch(line -> line.matches("\\s+link\\s+cgroup\\s+id \\d+.*<- connect4_rewrite")), output);
        assertTrue(output.contains("XDP_TX"), "udp_reflect's test run reflects the packet:\n" + output);
        assertTrue(output.contains("refused by the verifier (read_without_bounds_check)"), output);
        assertTrue(output.contains("refused against this kernel's BTF: program core_missing_type"), output);

        String sandbox = "navstar-tour-" + ProcessHandle.current().pid();
        assertFalse(Files.exists(java.nio.file.Path.of("/run/netns", sandbox)), "namespace removed");
        assertFalse(Files.exists(CgroupV2.mountPoint().resolve(sandbox)), "cgroup removed");
        assertFalse(Files.exists(BpfFs.DEFAULT_MOUNT.resolve(sandbox)), "pins removed");
    }
}
