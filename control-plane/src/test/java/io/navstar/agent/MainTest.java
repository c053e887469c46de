package io.navstar.agent;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line dispatcher: usage without a command, one line and exit code 2 for a wrong one. */
class MainTest {

    @Test
    void withoutACommandPrintsTheUsageAndExitsTwo() throws Exception {
        Result result = navstar();
        assertEquals(2, result.code(), result.stderr());
        assertEquals(Main.USAGE, result.stderr());
    }

    @Test
    void anUnknownCommandGetsOneLineAndExitsTwo() throws Exception {
        for (List<String> args : List.of(List.of("tour"), List.of("bpf"), List.of("bpf", "nope"), List.of("gossip"),
                List.of("bpf", "tour", "extra"))) {
            Result result = navstar(args.toArray(String[]::new));
            assertEquals(2, result.code(), args + ": " + result.stderr());
            assertEquals(1, result.stderr().lines().count(), args + ": " + result.stderr());
            assertTrue(result.stderr().startsWith("navstar: "), args + ": " + result.stderr());
        }
    }

    @Test
    void helpGoesToStdoutAndListsTheCommands() throws Exception {
        Result result = navstar("--help");
        assertEquals(0, result.code(), result.stderr());
        assertTrue(result.stdout().contains("bpf tour") && result.stdout().contains("bpf lb"), result.stdout());
    }

    private record Result(int code, String stdout, String stderr) {
    }

    private static Result navstar(String... args) throws IOException, InterruptedException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", classpath, Main.class.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "navstar " + String.join(" ", args) + " exits");
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
