package io.navstar.bench.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The cold-line probes LbProgramKernelTime sets beside a new flow: bpf/test/cold_line.o verifies on this kernel, its
 * reads range over the connection table's size (capped at its array), and each probe passes the packet on
 * (TCX_NEXT, -1). Needs root and {@code make bpf}.
 */
class ColdLinesTest {
    private static final Path OBJECT = Path.of("../bpf/build/test/cold_line.o").toAbsolutePath().normalize();

    @Test
    void probesRangeOverTheTableAndPassThePacket() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for bpf(2)");
        assumeTrue(Files.exists(OBJECT), "run make bpf first");
        String before = System.getProperty("lb.bench.cold-lines");
        try {
            System.clearProperty("lb.bench.cold-lines");
            assertNull(ColdLines.open(1 << 20), "no probes unless asked for");
            System.setProperty("lb.bench.cold-lines", OBJECT.toString());
            byte[] packet = new byte[64];
            try (ColdLines small = ColdLines.open(88L << 20)) {
                assertEquals(88L << 20, small.bytes());
                for (int reads = 0; reads < 3; reads++) {
                    assertEquals(-1, small.run(reads, packet).returnValue(), "probe reading " + reads + " lines");
                }
            }
            try (ColdLines capped = ColdLines.open(1L << 30)) {
                assertEquals(96L << 20, capped.bytes(), "a larger table is probed over the whole array");
            }
        } finally {
            if (before == null) {
                System.clearProperty("lb.bench.cold-lines");
            } else {
                System.setProperty("lb.bench.cold-lines", before);
            }
        }
    }
}
