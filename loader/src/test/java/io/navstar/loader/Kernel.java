package io.navstar.loader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Test helpers for tests that need the real kernel as root: assumptions, descriptor counts, unique names. */
final class Kernel {
    /** Prefix of every namespace, cgroup and pin the loader tests make, with this JVM's pid. */
    static final String PREFIX = "nsl" + ProcessHandle.current().pid();

    private Kernel() {
    }

    /** Skips the test unless running as root (CI is root, so these run there). */
    static void assumeRoot() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for bpf(2)");
    }

    /** How many descriptors this process has open now. */
    static long openDescriptors() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
