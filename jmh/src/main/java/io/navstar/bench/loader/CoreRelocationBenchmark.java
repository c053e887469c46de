package io.navstar.bench.loader;

import io.navstar.loader.KernelBtf;
import io.navstar.loader.btf.Btf;
import io.navstar.loader.btf.CoreRelocator;
import io.navstar.loader.elf.ElfObjectReader;
import io.navstar.loader.spec.ObjectSpec;
import io.navstar.loader.spec.ProgramSpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What CO-RE costs the loader, side by side in one run: reading and indexing the kernel's BTF
 * (/sys/kernel/btf/vmlinux, done once per process) against applying the CO-RE relocations of one program
 * (bpf/test/core_skb.bpf.c: len, mark, two bitfields) against it, which every load does. Needs {@code make bpf}
 * (reads bpf/build/test/core_skb.o, or from the navstar.bpf.dir property); no root.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CoreRelocationBenchmark {
    private Btf vmlinux;
    private ObjectSpec object;
    private ProgramSpec program;

    @Setup
    public void setUp() throws IOException {
        Path file = Path.of(System.getProperty("navstar.bpf.dir", "bpf/build"), "test", "core_skb.o");
        object = new ElfObjectReader().read(Files.readAllBytes(file), file.toString());
        program = object.program("core_skb_read");
        vmlinux = KernelBtf.vmlinux();
    }

    /** Reading and parsing the kernel's BTF, with its name index (once per process in the loader). */
    @Benchmark
    public Btf readKernelBtf() {
        return KernelBtf.read(KernelBtf.VMLINUX);
    }

    /** Resolving and patching one program's CO-RE relocations against the cached kernel BTF. */
    @Benchmark
    public byte[] relocateProgram() {
        return new CoreRelocator(object.btf(), vmlinux).apply(program.name(), program.instructions(),
                program.coreRelocations());
    }
}
