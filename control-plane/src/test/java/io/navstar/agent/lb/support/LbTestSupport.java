package io.navstar.agent.lb.support;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** Root checks, names with the nsm + pid prefix, and cleanup for the load balancer's kernel tests. */
public final class LbTestSupport {
    /** nsm + this JVM's pid: the prefix of every namespace, cgroup and pin the tests make. */
    public static final String PREFIX = "nsm" + ProcessHandle.current().pid();
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private LbTestSupport() {
    }

    /** Skips the test unless running as root (CI runs as root). */
    public static void assumeRoot() {
        Assumptions.assumeTrue(isRoot(), "needs root");
    }

    public static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** A fresh pin directory /sys/fs/bpf/nsm-PID-N-tag (not created). */
    public static Path pinDirectory(String tag) {
        return Path.of("/sys/fs/bpf", "nsm-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet() + "-" + tag);
    }

    /** Removes a directory tree, ignoring what is already gone. */
    public static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    /** Open descriptors of this process. */
    public static int openFds() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.count();
        } catch (IOException e) {
            return -1;
        }
    }
}
