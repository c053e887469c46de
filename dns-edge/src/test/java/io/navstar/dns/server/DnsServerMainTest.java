package io.navstar.dns.server;

import io.navstar.dns.testing.Processes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The standalone server's command line: usage on --help, and for a bad flag, a bad records line or an
 * address in use one line on stderr naming the flag or file:line, exit code 2 (1 for a failed start),
 * never a stack trace. In process through {@link DnsServerMain#run}, except one test of the real exit code.
 */
class DnsServerMainTest {

    /** What {@link DnsServerMain#run} returned and printed. */
    private record Outcome(int exitCode, String out, String err) {
        /** The one line on stderr, checked to be one line and no stack trace. */
        String errorLine() {
            assertTrue(err.endsWith("\n") && err.indexOf('\n') == err.length() - 1, "one line: " + err);
            assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace: " + err);
            return err.strip();
        }
    }

    private static Outcome run(String... args) throws InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = DnsServerMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void printsTheUsageAndExitsZeroOnHelp() throws Exception {
        Outcome help = run("--help");
        assertEquals(0, help.exitCode());
        assertEquals(DnsServerMain.USAGE, help.out());
        assertTrue(help.out().contains("--records file") && help.out().contains("--listen ip:port"));
        assertEquals("", help.err());
    }

    /** {arguments, the one line expected on stderr}. */
    private static final String[][] BAD_FLAGS = {
            {"--listen bad", "--listen: expected ip:port (a literal address, IPv6 as [addr]:port; port 0-65535), found 'bad'"},
            {"--listen 127.0.0.1:65536", "--listen: expected ip:port (a literal address, IPv6 as [addr]:port; port 0-65535), found '127.0.0.1:65536'"},
            {"--listen localhost:53", "--listen: expected ip:port (a literal address, IPv6 as [addr]:port; port 0-65535), found 'localhost:53'"},
            {"--listen ::1:53", "--listen: expected ip:port (a literal address, IPv6 as [addr]:port; port 0-65535), found '::1:53'"},
            {"--upstream 127.0.0.1:0", "--upstream: expected ip:port (a literal address, IPv6 as [addr]:port; port 1-65535), found '127.0.0.1:0'"},
            {"--loops abc", "--loops: expected a whole number 1-1024, found 'abc'"},
            {"--loops 0", "--loops: expected a whole number 1-1024, found '0'"},
            {"--batch 99999999999", "--batch: expected a whole number 1-1024, found '99999999999'"},
            {"--stats-seconds -1", "--stats-seconds: expected a whole number 0-86400, found '-1'"},
            {"--zone a..b", "--zone: expected a DNS name (dot-separated labels of 1-63 characters), found 'a..b'"},
            {"--listen 127.0.0.1:0 --loops", "--loops: expected a value after it, found the end of the arguments"},
            {"--listen", "--listen: expected a value after it, found the end of the arguments"},
            {"--frobnicate 3", "--frobnicate: unknown flag; expected one of --listen, --upstream, --zone, --records,"
                    + " --loops, --batch, --stats-seconds, --help"},
    };

    @Test
    void namesTheFlagAndWhatItExpectedInOneLineWithExitCode2() throws Exception {
        for (String[] bad : BAD_FLAGS) {
            Outcome outcome = run(bad[0].split(" "));
            assertEquals(2, outcome.exitCode(), bad[0]);
            assertEquals(bad[1], outcome.errorLine(), bad[0]);
            assertEquals("", outcome.out(), bad[0]);
        }
    }

    /** {a records line (line 3, after a comment and a good record), the message after "FILE:3: "}. */
    private static final String[][] BAD_RECORDS = {
            {"x.thisdcos.directory A", "expected an IPv4 address, found end of line"},
            {"x.thisdcos.directory SRV 0 1 80", "expected the SRV target, a DNS name (dot-separated labels of 1-63"
                    + " printable ASCII characters, at most 255 octets), found end of line"},
            {"x.thisdcos.directory A 10.0.0.1 soon", "expected a TTL of 0-2147483647 seconds, found 'soon'"},
            {"x.thisdcos.directory A 10.0.0.256", "expected an IPv4 address, found '10.0.0.256'"},
            {"x.thisdcos.directory AAAA fd01::g", "expected an IPv6 address, found 'fd01::g'"},
            {"x.thisdcos.directory TXT hello", "expected a record type A, AAAA, PTR, NS or SRV, found 'TXT'"},
            {"x.thisdcos.directory SRV 0 1 99999 t.thisdcos.directory", "expected the SRV port (0-65535), found '99999'"},
            {"web.example.com A 10.0.0.1", "expected a name under a local zone [thisdcos.directory], found 'web.example.com'"},
    };

    @Test
    void namesTheRecordsFileLineWhatItExpectedAndFoundWithExitCode2(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.records");
        for (String[] bad : BAD_RECORDS) {
            Files.writeString(file, "# test\nok.thisdcos.directory A 10.0.0.1\n" + bad[0] + "\n");
            Outcome outcome = run("--listen", Processes.loopbackAddress() + ":0", "--records", file.toString());
            assertEquals(2, outcome.exitCode(), bad[0]);
            assertEquals(file + ":3: " + bad[1], outcome.errorLine(), bad[0]);
            assertEquals("", outcome.out(), "no READY: " + bad[0]);
        }
        Outcome missing = run("--records", dir.resolve("none.records").toString());
        assertEquals(2, missing.exitCode());
        assertEquals(dir.resolve("none.records") + ": cannot be read: no such file", missing.errorLine());
    }

    @Test
    void explainsAnAddressInUseInOneLineWithExitCode1() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress(Processes.loopbackAddress(), 0))) {
            InetSocketAddress held = (InetSocketAddress) taken.getLocalSocketAddress();
            Outcome outcome = run("--listen", held.getHostString() + ":" + held.getPort(), "--loops", "2");
            assertEquals(1, outcome.exitCode());
            String line = outcome.errorLine();
            assertTrue(line.startsWith("cannot bind DNS to /" + held.getHostString() + ":" + held.getPort() + ": ")
                    && line.contains("Address already in use"), line);
            assertEquals("", outcome.out(), "no READY");
        }
    }

    @Test
    void exitsWithCode2AndOneLineAsARealProcess(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("short.records");
        Files.writeString(file, "_dns._udp.thisdcos.directory SRV 0 1\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), DnsServerMain.class.getName(), "--records", file.toString()));
        Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "exits");
        assertEquals(2, process.exitValue(), err);
        assertEquals(file + ":1: expected the SRV port (0-65535), found end of line\n", err);
    }
}
