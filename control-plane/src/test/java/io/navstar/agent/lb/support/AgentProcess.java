package io.navstar.agent.lb.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The developer command {@code navstar bpf lb} (BpfLbCommand) as a separate process, so a test can SIGKILL it,
 * driven through its state file: {@link #apply} renames a new state into place and waits for the command's
 * {@code applied} line. Its stdout and stderr go to one log file.
 */
public final class AgentProcess implements AutoCloseable {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private final List<String> command;
    private final Path stateFile;
    private final Path log;
    private Process process;

    /** @param stateFile the state file the command follows ({@code --state}); {@code args} are its other flags */
    public AgentProcess(Path log, Path stateFile, String... args) {
        this.log = log;
        this.stateFile = stateFile;
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-Dnavstar.bpf.dir=" + System.getProperty("navstar.bpf.dir"),
                "-cp", classpath, "io.navstar.agent.devtools.BpfLbCommand", "--state", stateFile.toString()));
        command.addAll(List.of(args));
    }

    /** Starts the command and waits until it is ready (it has applied the state file, if there is one). */
    public void start() throws IOException, InterruptedException {
        int ready = count(line -> line.startsWith("lb ready"));
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        await(line -> line.startsWith("lb ready"), ready, "ready");
    }

    /** Replaces the state file atomically and returns the command's {@code applied} line for it. */
    public String apply(String json) throws IOException, InterruptedException {
        int applied = count(line -> line.startsWith("applied "));
        replaceState(json);
        return await(line -> line.startsWith("applied "), applied, "applied");
    }

    /** Writes the next state beside the state file and renames it into place. */
    public void replaceState(String json) throws IOException {
        Path next = stateFile.resolveSibling(stateFile.getFileName() + ".next");
        Files.writeString(next, json);
        Files.move(next, stateFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The last {@code applied} line logged (the current run's first one is its start's). */
    public String lastApplied() throws IOException {
        List<String> applied = lines().stream().filter(line -> line.startsWith("applied ")).toList();
        return applied.isEmpty() ? "" : applied.getLast();
    }

    /** Waits for a line matching {@code wanted} beyond the {@code seen} such lines already logged, and returns it. */
    public String await(Predicate<String> wanted, int seen, String what) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            List<String> matching = lines().stream().filter(wanted).toList();
            if (matching.size() > seen) {
                return matching.get(seen);
            }
            if (!process.isAlive()) {
                throw new IOException("the command exited with " + process.exitValue() + " before '" + what
                        + "'; log " + log + ":\n" + Files.readString(log));
            }
            Thread.sleep(20);
        }
        throw new IOException("no '" + what + "' line within " + WAIT.toSeconds() + " s; log:\n" + Files.readString(log));
    }

    /** How many lines of the log match. */
    public int count(Predicate<String> wanted) throws IOException {
        return (int) lines().stream().filter(wanted).count();
    }

    /** The whole lines of the log (not one still being written). */
    private List<String> lines() throws IOException {
        if (!Files.exists(log)) {
            return List.of();
        }
        String text = Files.readString(log);
        return text.substring(0, text.lastIndexOf('\n') + 1).lines().toList();
    }

    /** SIGKILL, no chance to clean up. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
