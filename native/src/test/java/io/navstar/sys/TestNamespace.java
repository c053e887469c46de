package io.navstar.sys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A network namespace a test makes with {@code ip netns add} and removes on {@link #close()}; a JVM shutdown hook
 * removes any still there when the run is interrupted (Ctrl-C). Named with this JVM's pid, so concurrent runs do
 * not collide. Only loopback exists inside at first, and nothing routes out of it.
 */
public final class TestNamespace implements AutoCloseable {
    /** Prefix of every namespace the native tests make. */
    public static final String PREFIX = "nsn" + ProcessHandle.current().pid();
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final Set<String> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(name -> runQuietly("ip", "netns", "del", name))));
    }

    public final String name;
    public final NetworkNamespace namespace;

    private TestNamespace(String name) {
        this.name = name;
        LIVE.add(name);
        run("ip", "netns", "add", name);
        this.namespace = NetworkNamespace.named(name);
    }

    /** Skips the test unless running as root, then makes a fresh namespace. */
    public static TestNamespace create(String tag) {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for network namespaces");
        return new TestNamespace(PREFIX + "-" + tag + COUNTER.incrementAndGet());
    }

    /** Runs {@code ip -n NAME args...}; returns its standard output, fails with its output on a non-zero exit. */
    public String ip(String... args) {
        String[] command = new String[args.length + 3];
        command[0] = "ip";
        command[1] = "-n";
        command[2] = name;
        System.arraycopy(args, 0, command, 3, args.length);
        return run(command);
    }

    @Override
    public void close() {
        runQuietly("ip", "netns", "del", name);
        LIVE.remove(name);
    }

    /** Runs a command; fails with its output when it exits non-zero; returns its standard output. */
    public static String run(String... command) {
        try {
            Process process = new ProcessBuilder(command).start();
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

    private static void runQuietly(String... command) {
        try {
            new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor();
        } catch (IOException e) {
            // nothing to clean
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
