package io.navstar.gossip.cli;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad arguments stop the gossip node before it opens anything: one line naming what is wrong, exit code 2. */
class GossipNodeMainArgumentsTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "127.0.0.1:7000 DIR --secret short | --secret needs at least 16 bytes, got 5",
            "127.0.0.1:7000 DIR --secret | --secret needs a value",
            "127.0.0.1:x DIR | expected a.b.c.d:port, got 127.0.0.1:x",
            "127.0.0.1:7000 DIR 10.0.0:7000 | not a dotted-quad IPv4 address: 10.0.0",
            "127.0.0.1:7000 DIR --bogus | unknown option --bogus",
            "127.0.0.1:7000 | needs the node's address and a directory"})
    void refusesBadArgumentsWithOneLineAndExitCodeTwo(String arguments, String expected) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                GossipNodeMain.class.getName()));
        for (String argument : arguments.split(" ")) {
            command.add(argument.equals("DIR") ? dir.toString() : argument);
        }
        Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        process.getOutputStream().close(); // a node that did start would read EOF on stdin and quit
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, process.exitValue(), stderr);
        List<String> lines = stderr.lines().toList();
        assertEquals(1, lines.size(), stderr);
        assertTrue(lines.get(0).startsWith("GossipNodeMain: " + expected), lines.get(0));
    }
}
