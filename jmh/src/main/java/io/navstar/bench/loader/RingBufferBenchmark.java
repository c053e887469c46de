package io.navstar.bench.loader;

import io.navstar.loader.BpfObject;
import io.navstar.loader.BpfProgram;
import io.navstar.loader.LoadOptions;
import io.navstar.loader.ringbuf.RingBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Ring buffer events: bpf/test's ringbuf_events.o publishes one event per run of BPF_PROG_TEST_RUN (1,000 runs a
 * call). {@link #consume} times the loader's consumer alone (the events are published before each invocation);
 * {@link #publishAndConsume} adds the PROG_TEST_RUN call, whose wall time is dominated by the kernel's test
 * harness, not by the 60 ns program. Scores are per event. Needs root.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RingBufferBenchmark {
    private static final int EVENTS = 1000;

    private BpfObject object;
    private BpfProgram publish;
    private RingBuffer events;
    private final byte[] packet = new byte[64];
    private final Sum sum = new Sum();

    /** Adds up sequence numbers, so the consumer's reads cannot be optimised away. */
    static final class Sum implements RingBuffer.RecordHandler {
        long total;

        @Override
        public void onRecord(MemorySegment data, long offset, int length) {
            total += data.get(JAVA_LONG, offset);
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        // A test object: not bundled in the jar, read from the build folder (make bench passes navstar.bpf.dir).
        Path file = Path.of(System.getProperty("navstar.bpf.dir", "bpf/build"), "test", "ringbuf_events.o");
        if (!Files.exists(file)) {
            throw new IllegalStateException(file + " not found: run make bpf");
        }
        byte[] elf = Files.readAllBytes(file);
        object = BpfObject.load(elf, "ringbuf_events.o",
                LoadOptions.defaults().withPinDirectory(Path.of("/sys/fs/bpf/navstar-bench-" + ProcessHandle.current().pid())));
        publish = object.program("ringbuf_publish");
        events = RingBuffer.open(object.map("events"));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        events.close();
        object.close();
    }

    /** Publishes the events {@link #consume} reads; not timed. */
    @Setup(Level.Invocation)
    public void publish(org.openjdk.jmh.infra.BenchmarkParams params) {
        if (params.getBenchmark().endsWith(".consume")) {
            publish.testRun(packet, EVENTS, packet.length);
        }
    }

    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public long consume() {
        int consumed = events.consume(sum);
        if (consumed != EVENTS) {
            throw new IllegalStateException("consumed " + consumed + " of " + EVENTS);
        }
        return sum.total;
    }

    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public long publishAndConsume() {
        publish.testRun(packet, EVENTS, packet.length);
        int consumed = events.consume(sum);
        if (consumed != EVENTS) {
            throw new IllegalStateException("consumed " + consumed + " of " + EVENTS);
        }
        return sum.total;
    }
}
