package io.navstar.sys;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A network namespace navstar can act inside. Interface indices and the hooks of BPF_LINK_CREATE are resolved
 * in the <em>calling thread's</em> network namespace ({@code current->nsproxy->net_ns}), so attaching to an
 * interface of another namespace means running on a thread that has entered it: {@link #run} starts a fresh
 * platform thread, moves it with setns(2), runs the task and lets the thread end, so no thread of the JVM's pools
 * ever changes namespace. Descriptors made there (links) are process-wide and stay valid afterwards.
 *
 * <p>Threading: immutable; {@link #run} may be called from any thread and blocks until the task is done.
 */
public final class NetworkNamespace {
    private final Path path;

    private NetworkNamespace(Path path) {
        this.path = path;
    }

    /** The namespace {@code ip netns add name} made (/run/netns/name). */
    public static NetworkNamespace named(String name) {
        return at(Path.of("/run/netns", name));
    }

    /** The namespace bound at {@code path} (a /run/netns file or /proc/PID/ns/net). */
    public static NetworkNamespace at(Path path) {
        if (!Files.exists(path)) {
            throw new NativeException("no network namespace at \"" + path + "\"");
        }
        return new NetworkNamespace(path);
    }

    public Path path() {
        return path;
    }

    /** Runs {@code task} on a new thread inside this namespace and returns its result; rethrows its failure. */
    public <T> T run(Callable<T> task) {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().name("netns " + path.getFileName()).unstarted(() -> {
            int fd = Libc.open(path.toString(), Libc.O_RDONLY, "opening network namespace \"" + path + "\"");
            try {
                Libc.setns(fd, Libc.CLONE_NEWNET, "entering network namespace \"" + path + "\"");
            } finally {
                Libc.close(fd);
            }
            try {
                result.set(task.call());
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        thread.setUncaughtExceptionHandler((t, e) -> failure.compareAndSet(null, e));
        thread.start();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NativeException("interrupted while waiting for a task in network namespace \"" + path + "\"");
        }
        Throwable thrown = failure.get();
        if (thrown instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (thrown instanceof Error error) {
            throw error;
        }
        if (thrown != null) {
            throw new NativeException("in network namespace \"" + path + "\": " + thrown);
        }
        return result.get();
    }

    /** The index of interface {@code name} inside this namespace. */
    public int ifindex(String name) {
        return run(() -> Libc.ifNameToIndex(name));
    }

    @Override
    public String toString() {
        return "netns " + path;
    }
}
