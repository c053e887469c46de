package io.navstar.agent;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code navstar} executable as a process: its exit code is the command's, and the environment's
 * {@code NAVSTAR_API} says where the agent is. The command tree itself is tested in-process (cli package).
 */
class MainTest {

    @Test
    void withoutACommandExitsTwoWithOneLineAndTheUsage() throws Exception {
        Result result = navstar(Map.of());
        assertEquals(2, result.code(), result.stderr());
        List<String> lines = result.stderr().lines().toList();
        assertEquals("navstar: missing a command", lines.getFirst());
        assertTrue(lines.get(1).startsWith("Usage: navstar"), result.stderr());
        assertTrue(result.stderr().contains("  vip ") && result.stderr().contains("  bpf "), result.stderr());
    }

    @Test
    void navstarApiInTheEnvironmentSaysWhereTheAgentIs() throws Exception {
        // port 1 of loopback: nothing listens, so the command names where it looked
        Result result = navstar(Map.of("NAVSTAR_API", "http://127.0.0.1:1"), "vip", "ls");
        assertEquals(1, result.code(), result.stderr());
        assertTrue(result.stderr().startsWith("navstar vip ls: cannot reach the agent at http://127.0.0.1:1 "),
                result.stderr());
    }

    private record Result(int code, String stdout, String stderr) {
    }

    private static Result navstar(Map<String, String> environment, String... args) throws IOException, InterruptedException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", classpath, Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Process process = builder.start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "navstar " + String.join(" ", args) + " exits");
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
