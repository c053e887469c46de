package io.navstar.agent.devtools;

import io.navstar.loader.BpfFs;
import io.navstar.loader.CgroupV2;
import io.navstar.sys.NetworkNamespace;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Where the tour attaches programs, so nothing touches the host: a network namespace of its own (veth pairs
 * inside it, no default route), a child cgroup under the cgroup v2 mount, and a pin directory on bpffs, all
 * named {@code navstar-tour-PID}. {@link #close()} removes all three and is safe to call twice (it also runs
 * from a shutdown hook on Ctrl-C). Threading: one thread builds it; close from any.
 */
final class Sandbox implements AutoCloseable {
    final String name = "navstar-tour-" + ProcessHandle.current().pid();
    final NetworkNamespace namespace;
    final Path cgroup;
    final Path pins;
    private final List<String> interfaces = new ArrayList<>();
    private boolean closed;

    Sandbox() {
        try {
            run("ip", "netns", "add", name);
            run("ip", "-n", name, "link", "set", "lo", "up");
            namespace = NetworkNamespace.named(name);
            cgroup = CgroupV2.mountPoint().resolve(name);
            Files.createDirectories(cgroup);
            pins = BpfFs.prepareDirectory(BpfFs.DEFAULT_MOUNT.resolve(name));
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** A fresh veth pair inside the namespace, both ends up; returns the name of the end programs attach to. */
    String newInterface() {
        int n = interfaces.size();
        String attach = "tour" + n + "b";
        run("ip", "-n", name, "link", "add", "tour" + n + "a", "type", "veth", "peer", "name", attach);
        run("ip", "-n", name, "link", "set", "tour" + n + "a", "up");
        run("ip", "-n", name, "link", "set", attach, "up");
        interfaces.add(attach);
        return attach;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        runQuietly("ip", "netns", "del", name);
        if (cgroup != null) {
            try {
                Files.deleteIfExists(cgroup);
            } catch (IOException e) {
                System.err.println("could not remove cgroup " + cgroup + ": " + e.getMessage());
            }
        }
        if (pins != null && Files.exists(pins)) {
            try (Stream<Path> paths = Files.walk(pins)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            } catch (IOException e) {
                System.err.println("could not remove pins under " + pins + ": " + e.getMessage());
            }
        }
    }

    private static void run(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes()).strip();
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void runQuietly(String... command) {
        try {
            new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            // nothing to remove
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
