package io.navstar.agent.devtools;

import io.navstar.agent.lb.kernel.LbDataPlane;
import io.navstar.agent.lb.kernel.LbSettings;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.agent.lb.support.LbTopology;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A start of the load balancer that is refused (bad state file, bad flag) or fails part-way (the kernel refuses
 * an attachment) leaves the pin directory as it found it: absent on a first start, an earlier agent's pins
 * untouched on a restart. Errors are one line naming the file or flag, exit code 2 for bad input.
 */
class BpfLbCommandStartFailureTest {
    /** Valid up to its last VIP, whose closing brackets are missing: the error is at the end of the file. */
    private static final String TRUNCATED_STATE = """
            {"version": 1, "vips": [
              {"vip": "11.0.0.1:80", "protocol": "tcp", "backends": [{"endpoint": "10.0.1.2:8080"}]},
              {"vip": "11.0.0.2:80", "protocol": "tcp", "backends": [{"endpoint": "10.0.1.3:8080"}
            """;

    @TempDir
    Path work;
    private Path cgroup;
    private final List<Path> pinDirectories = new ArrayList<>();

    @BeforeEach
    void childCgroup() throws IOException {
        LbTestSupport.assumeRoot();
        cgroup = Files.createDirectories(LbTopology.cgroup2Mount().resolve(LbTestSupport.PREFIX + "-startfail"));
    }

    @AfterEach
    void cleanUp() throws IOException {
        pinDirectories.forEach(LbTestSupport::deleteTree);
        if (cgroup != null) {
            Files.deleteIfExists(cgroup);
        }
    }

    @Test
    void aStateFileWithAnErrorAtItsEndExitsTwoNamingFileAndLineAndPinsNothing() throws Exception {
        Path pins = pinDirectory("badstate");
        Path state = Files.writeString(work.resolve("vips.json"), TRUNCATED_STATE);

        Process agent = new ProcessBuilder(javaCommand("--mode", "sock", "--cgroup", cgroup.toString(),
                "--pin-dir", pins.toString(), "--state", state.toString())).start();
        assertTrue(agent.waitFor(60, TimeUnit.SECONDS), "the agent exits");
        String stderr = new String(agent.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);

        assertEquals(2, agent.exitValue(), stderr);
        List<String> lines = stderr.lines().toList();
        assertEquals(1, lines.size(), "one line, no stack trace: " + stderr);
        assertTrue(lines.get(0).contains(state.toString()) && lines.get(0).contains("line 4, column 1"), stderr);
        assertFalse(Files.exists(pins), "nothing was pinned");
    }

    @Test
    void aRefusedRestartKeepsExactlyTheEarlierAgentsPins() throws Exception {
        Path pins = pinDirectory("badrestart");
        LbDataPlane.open(LbSettings.forTests(pins)).close(); // an earlier agent that stopped: its maps stay pinned
        List<String> before = listing(pins);
        Path state = Files.writeString(work.resolve("vips.json"), TRUNCATED_STATE);

        Result result = runInProcess("--mode", "sock", "--cgroup", cgroup.toString(), "--pin-dir", pins.toString(),
                "--state", state.toString());

        assertEquals(2, result.code(), result.stderr());
        assertEquals(before, listing(pins));
    }

    @Test
    void aStartTheKernelRefusesPartWayRemovesWhatItCreatedAndKeepsWhatAnEarlierAgentPinned() throws Exception {
        Path notACgroup = Files.createDirectories(work.resolve("not-a-cgroup")); // attaching to it fails
        Path fresh = pinDirectory("attachfresh");
        Result first = runInProcess("--mode", "sock", "--cgroup", notACgroup.toString(), "--pin-dir", fresh.toString());
        assertEquals(1, first.code(), first.stderr());
        assertEquals(1, errorLines(first.stderr()).size(), first.stderr());
        assertFalse(Files.exists(fresh), "maps, links and directories of a failed first start are removed");

        Path restarted = pinDirectory("attachrestart");
        LbDataPlane.open(LbSettings.forTests(restarted)).close();
        List<String> before = listing(restarted);
        Result again = runInProcess("--mode", "sock", "--cgroup", notACgroup.toString(), "--pin-dir",
                restarted.toString());
        assertEquals(1, again.code(), again.stderr());
        assertEquals(before, listing(restarted));
    }

    @Test
    void badFlagsGetOneLineNamingTheFlagAndExitTwo() throws Exception {
        Result help = runInProcess("--help");
        assertEquals(0, help.code());
        assertTrue(help.stdout().contains("--mode=sock|tc|xdp"), help.stdout());

        assertRefused("--max-vips takes a whole number from 1 to 16777216, not \"abc\"",
                "--mode", "sock", "--cgroup", cgroup.toString(), "--max-vips", "abc");
        assertRefused("--max-flows takes a whole number", "--mode", "tc", "--interfaces", "x", "--max-flows", "-5");
        assertRefused("--mode needs a value", "--mode");
        assertRefused("unknown mode", "--mode", "ipvs");
        assertRefused("unknown option --bogus", "--mode", "tc", "--bogus", "1");
        assertRefused("--udp-timeout takes whole seconds", "--mode", "tc", "--interfaces", "x", "--udp-timeout", "x");
        assertRefused("netns nope-" + LbTestSupport.PREFIX + ": no such network namespace",
                "--mode", "tc", "--interfaces", "x", "--netns", "nope-" + LbTestSupport.PREFIX);
        assertRefused("cgroup /nonexistent: no such cgroup directory", "--mode", "sock", "--cgroup", "/nonexistent");
    }

    /** Runs with a test pin directory first, so a refusal that failed to happen never touches the production one. */
    private void assertRefused(String expected, String... args) throws Exception {
        List<String> withPins = new ArrayList<>(List.of("--pin-dir", pinDirectory("flags").toString()));
        withPins.addAll(List.of(args));
        Result result = runInProcess(withPins.toArray(String[]::new));
        assertEquals(2, result.code(), String.join(" ", args) + ": " + result.stderr());
        List<String> lines = errorLines(result.stderr());
        assertEquals(1, lines.size(), result.stderr());
        assertTrue(lines.get(0).contains(expected), "expected '" + expected + "' in: " + lines.get(0));
    }

    /**
     * What stderr holds besides log lines ("[thread] LEVEL logger - message") and the usage that follows a bad flag
     * (from "Usage: navstar bpf lb" on): the error, and any trace.
     */
    private static List<String> errorLines(String stderr) {
        List<String> lines = stderr.lines().filter(line -> !line.startsWith("[")).toList();
        int usage = lines.indexOf(lines.stream().filter(l -> l.startsWith("Usage: navstar bpf lb")).findFirst().orElse(null));
        return usage < 0 ? lines : lines.subList(0, usage);
    }

    private record Result(int code, String stdout, String stderr) {
    }

    /** {@link BpfLbCommand#run} with stdout and stderr captured (it returns before serving on these inputs). */
    private static Result runInProcess(String... args) throws InterruptedException {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream capturedOut = new ByteArrayOutputStream();
        ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(capturedOut, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(capturedErr, true, StandardCharsets.UTF_8));
            int code = BpfLbCommand.run(args);
            return new Result(code, capturedOut.toString(StandardCharsets.UTF_8), capturedErr.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private Path pinDirectory(String tag) {
        Path pins = LbTestSupport.pinDirectory(tag);
        pinDirectories.add(pins);
        return pins;
    }

    /** Every path under {@code root}, relative and sorted. */
    private static List<String> listing(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    private static List<String> javaCommand(String... args) {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-Xmx128m", "-XX:TieredStopAtLevel=1",
                "-Dnavstar.bpf.dir=" + System.getProperty("navstar.bpf.dir"), "-cp", classpath,
                "io.navstar.agent.devtools.BpfLbCommand"));
        command.addAll(List.of(args));
        return command;
    }
}
