package io.navstar.loader.elf;

import io.navstar.loader.BpfObject;
import io.navstar.loader.BpfProgram;
import io.navstar.loader.LoadOptions;
import io.navstar.loader.spec.ObjectSpec;
import io.navstar.sys.Fd;
import io.navstar.sys.bpf.Bpf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the reader produces, handed to the real kernel (root only; CI runs as root): the fixed-up BTF of
 * every parse_*.o passes BPF_BTF_LOAD where clang's raw section does not, and whole objects load through
 * {@link BpfObject} with their BTF, func info and line info attached to every program.
 */
class KernelRoundTripTest {

    private static final Path PIN_DIRECTORY = Path.of("/sys/fs/bpf/navstar-elf-" + ProcessHandle.current().pid());

    private long descriptorsBefore;

    @BeforeEach
    void requireRoot() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for bpf(2)");
        descriptorsBefore = openDescriptors();
    }

    @AfterEach
    void removePins() throws IOException {
        if (Files.exists(PIN_DIRECTORY)) {
            try (Stream<Path> paths = Files.walk(PIN_DIRECTORY)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    @Test
    void kernelAcceptsFixedUpBtfOfEveryTestObjectAndRefusesClangsRawSection() throws IOException {
        for (String object : TestObjects.GOOD) {
            ObjectSpec spec = new ElfObjectReader().read(TestObjects.bytes(object), object);
            String log = btfLoad(spec.btf().kernelBytes());
            assertEquals("", log, object + ": fixed-up BTF refused");
            String rawLog = btfLoad(ElfObjectReaderTest.rawSection(object, ".BTF"));
            assertTrue(rawLog.contains("size") || rawLog.contains("Invalid"), object
                    + ": the kernel should refuse clang's DATASECs of size 0, but said: " + rawLog);
        }
        assertEquals(descriptorsBefore, openDescriptors(), "descriptor leak");
    }

    @Test
    void loadsEveryProgramOfTheTestObjectsWithBtfAttached() throws IOException {
        for (String object : TestObjects.GOOD) {
            ObjectSpec spec = new ElfObjectReader().read(TestObjects.bytes(object), object);
            try (BpfObject loaded = BpfObject.load(spec, LoadOptions.defaults().withPinDirectory(PIN_DIRECTORY))) {
                assertEquals(spec.programs().keySet(), loaded.programs().keySet());
                for (BpfProgram program : loaded.programs().values()) {
                    assertTrue(program.info().btfId() != 0, object + ": " + program.name() + " has no BTF");
                }
                loaded.unpin();
            }
        }
        assertEquals(descriptorsBefore, openDescriptors(), "descriptor leak");
    }

    /** BPF_BTF_LOAD; returns "" on success (closing the descriptor), else the errno and the kernel's log. */
    private static String btfLoad(byte[] bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment blob = arena.allocate(bytes.length, 8);
            blob.copyFrom(MemorySegment.ofArray(bytes));
            MemorySegment log = arena.allocate(1 << 16);
            int fd = Bpf.btfLoad(blob, log);
            if (fd >= 0) {
                new Fd(fd).close();
                return "";
            }
            return "errno " + -fd + ": " + log.getString(0, StandardCharsets.UTF_8);
        }
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
