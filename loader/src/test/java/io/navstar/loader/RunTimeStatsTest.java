package io.navstar.loader;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * BPF_ENABLE_STATS through {@link RunTimeStats}: while it is open, every run of a program adds one to its
 * {@code run_cnt} and its time to {@code run_time_ns}, as {@link ProgramInfo} reads them; programs are found again
 * by id, as {@code navstar bpf progs} finds the programs behind pinned links.
 */
class RunTimeStatsTest {
    private Path pins;

    @BeforeEach
    void setUp() {
        Kernel.assumeRoot();
        pins = BpfFs.DEFAULT_MOUNT.resolve(Kernel.PREFIX + "-stats");
    }

    @AfterEach
    void removePins() {
        Kernel.deleteTree(pins);
    }

    @Test
    void countsEveryRunAndItsTimeWhileEnabled() {
        try (BpfObject object = Kernel.load("xdp_count", pins)) {
            BpfProgram program = object.program("xdp_count");
            ProgramInfo before = program.info();
            try (RunTimeStats stats = RunTimeStats.enable()) {
                program.testRun(ObjectLoadTest.udpPacket(), 250, 128);
            }
            ProgramInfo after = program.info();
            assertEquals(250, after.runCount() - before.runCount(), "one count per test run while enabled");
            assertTrue(after.runTimeNanos() > before.runTimeNanos(), "time counted: " + after);
        }
    }

    @Test
    void findsALoadedProgramByItsId() {
        try (BpfObject object = Kernel.load("xdp_count", pins)) {
            ProgramInfo info = object.program("xdp_count").info();
            assertTrue(ProgramInfo.loadedIds().contains(info.id()), "listed among loaded programs");
            ProgramInfo byId = ProgramInfo.byId(info.id()).orElseThrow();
            assertEquals(info.name(), byId.name());
            assertEquals(info.tag(), byId.tag());
        }
    }

    @Test
    void anUnusedIdIsNoProgram() {
        assertTrue(ProgramInfo.byId(Integer.MAX_VALUE).isEmpty());
    }
}
