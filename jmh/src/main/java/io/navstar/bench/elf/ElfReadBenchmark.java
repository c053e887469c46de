package io.navstar.bench.elf;

import io.navstar.loader.btf.Btf;
import io.navstar.loader.elf.ElfObjectReader;
import io.navstar.loader.spec.ObjectSpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The cost of reading the data plane's objects at agent start, with no syscall: the whole ELF read (maps,
 * programs linked, func/line info, BTF fixed up) against the BTF parse alone. Run from the repository root
 * after {@code make bpf} (the objects are read from bpf/build/lb, or from the navstar.bpf.dir property).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ElfReadBenchmark {

    /** The object under bpf/build/lb: the XDP, tc and sock programs of the load balancer. */
    @Param({"lb_xdp.o", "lb_tc.o", "lb_sock.o"})
    public String object;

    private final ElfObjectReader reader = new ElfObjectReader();
    private byte[] bytes;
    private byte[] btfBytes;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path directory = Path.of(System.getProperty("navstar.bpf.dir", "bpf/build"), "lb");
        bytes = Files.readAllBytes(directory.resolve(object));
        btfBytes = reader.read(bytes, object).btf().kernelBytes();
    }

    /** ELF headers, symbols, maps, relocations, bpf-to-bpf linking, func/line info, BTF and its fix-up. */
    @Benchmark
    public ObjectSpec readObject() {
        return reader.read(bytes, object);
    }

    /** The BTF type section and strings alone, the largest part of a read. */
    @Benchmark
    public Btf parseBtf() {
        return Btf.parse(btfBytes);
    }
}
