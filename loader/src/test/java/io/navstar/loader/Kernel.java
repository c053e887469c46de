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

    /** The bytes of a clang-built test object, from the test classpath (bpf/test/NAME.o). */
    static byte[] testObject(String name) {
        String resource = "/bpf/test/" + name + ".o";
        try (var in = Kernel.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the test classpath: run `make bpf` first");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Loads a test object with its pins under {@code pinDirectory}. */
    static BpfObject load(String name, Path pinDirectory) {
        return BpfObject.load(testObject(name), name + ".o", LoadOptions.defaults().withPinDirectory(pinDirectory));
    }

    /** Runs a command, fails with its output when it exits non-zero; returns its standard output. */
    static String run(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
            String out = new String(process.getInputStream().readAllBytes());
            String err = new String(process.getErrorStream().readAllBytes());
            if (process.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + err + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs a command and ignores its outcome (cleanup). */
    static void runQuietly(String... command) {
        try {
            new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor();
        } catch (IOException e) {
            // nothing to clean
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Removes a directory tree (pins under bpffs, a test cgroup's empty directories). */
    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * How many descriptors this process has open now, leaving out pipes and sockets (process spawning and JDK
     * networking open and close those on their own schedule); bpf objects, epoll, namespace and cgroup files
     * all count.
     */
    static long openDescriptors() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    return !target.startsWith("pipe:") && !target.startsWith("socket:");
                } catch (IOException e) {
                    return false; // closed while listing (the listing's own descriptor, for one)
                }
            }).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
