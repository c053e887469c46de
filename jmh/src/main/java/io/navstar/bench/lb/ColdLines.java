package io.navstar.bench.lb;

import io.navstar.loader.BpfObject;
import io.navstar.loader.BpfProgram;
import io.navstar.loader.LoadOptions;
import io.navstar.loader.TestRun;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The probes of {@code bpf/test/cold_line.bpf.c}: a tc program reading none, one or two 64-byte lines at random
 * places of an array as large as the connection table, timed by the same harness as the data plane's programs. They
 * show what touching a line of a table that size costs on this machine, the part of a new flow's time no program
 * change removes. Loaded from the object file system property {@code lb.bench.cold-lines} names
 * ({@code jmh/scripts/lb-kernel-time.sh} sets it), else absent.
 */
final class ColdLines implements AutoCloseable {
    private static final long LINE = 64;
    private final BpfObject object;
    private final BpfProgram[] programs;
    private final long bytes;

    private ColdLines(BpfObject object, long bytes) {
        this.object = object;
        this.programs = new BpfProgram[] {object.program("cold_none"), object.program("cold_one"),
                object.program("cold_two")};
        this.bytes = bytes;
    }

    /** The probes over an array of tableBytes (at most the object's 96 MiB), or null without lb.bench.cold-lines. */
    static ColdLines open(long tableBytes) {
        String file = System.getProperty("lb.bench.cold-lines");
        if (file == null) {
            return null;
        }
        BpfObject object = BpfObject.load(Path.of(file), LoadOptions.defaults());
        try (Arena arena = Arena.ofConfined()) {
            long span = Math.max(1, Math.min(tableBytes / LINE, object.map("cold_lines").maxEntries()));
            MemorySegment key = arena.allocate(JAVA_INT);
            MemorySegment value = arena.allocate(JAVA_LONG);
            value.set(JAVA_LONG, 0, span);
            object.map("cold_span").put(key, value);
            return new ColdLines(object, span * LINE);
        } catch (RuntimeException e) {
            object.close();
            throw e;
        }
    }

    /** One run of the probe that reads this many lines (0, 1 or 2); the kernel's duration is the figure. */
    TestRun run(int reads, byte[] packet) {
        return programs[reads].testRun(packet, 1, 256);
    }

    /** How much of the array the reads range over, in bytes. */
    long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        object.close();
    }
}
