package io.navstar.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract between a Java benchmark's {@link ResultLines}, {@code jmh/scripts/lib/results.sh} (which turns the
 * lines into JSON) and {@link ScriptResults} (which reads that JSON for the report): lines written from Java, mixed
 * with a metric the shell script declared itself, come back as the metrics and rounds that were written.
 */
class ResultLinesTest {

    @Test
    void linesFromJavaAndFromTheScriptBecomeOneResultFile(@TempDir Path dir) throws Exception {
        Path lines = dir.resolve("java.tsv");
        ResultLines.to(lines)
                .scale("agent VmRSS, prod", "MB", Comparison.Better.LOWER, "VIPs", "agent VmRSS", "prod")
                .sample("agent VmRSS, prod", 1000, 1, 180.5)
                .sample("agent VmRSS, prod", 1000, 2, 170)
                .sample("agent VmRSS, prod", 0, 2, 150)
                .sample("agent VmRSS, prod", 10_000, 1, Double.NaN) // not measured: left out
                .metric("tracked flow ns", "ns", Comparison.Better.LOWER, "empty program")
                .sample("tracked flow ns", "empty program", 1, 40.25)
                .percentile("detection", "p99", "ms", Comparison.Better.LOWER, null)
                .sample("detection p99", "25 processes", 2, 306);
        Path results = dir.resolve("results");
        String script = """
                set -euo pipefail
                . scripts/lib/results.sh
                BENCH_RESULTS=$1
                results_init fixture "$2"
                results_metric "queries lost" queries lower -
                cat "$3" >> "$RESULTS_LINES"
                results_sample "queries lost" SIGKILL 1 12
                results_write
                """;
        Process bash = new ProcessBuilder("bash", "-c", script, "bash", results.toString(), dir.toString(),
                lines.toString()).redirectErrorStream(true).start();
        String output = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, bash.waitFor(), output);

        ScriptResults read = ScriptResults.read(results.resolve("fixture.json"));
        assertEquals(List.of("queries lost", "agent VmRSS, prod", "tracked flow ns", "detection p99"),
                read.metrics().stream().map(ScriptResults.Metric::name).toList());
        ScriptResults.Metric rss = read.metrics().get(1);
        assertEquals(new ScriptResults.Scale("VIPs", "agent VmRSS", "prod"), rss.scale());
        assertEquals("lower", rss.better());
        assertNull(rss.baseline());
        assertEquals(Map.of("1000", Arrays.asList(180.5, 170.0), "0", Arrays.asList(null, 150.0)), rss.samples());
        ScriptResults.Metric tracked = read.metrics().get(2);
        assertNull(tracked.scale());
        assertEquals("empty program", tracked.baseline());
        assertEquals(Map.of("empty program", List.of(40.25)), tracked.samples());
        assertEquals(Map.of("SIGKILL", List.of(12.0)), read.metrics().get(0).samples());
        ScriptResults.Metric detection = read.metrics().get(3);
        assertEquals(List.of("detection", "p99"), List.of(detection.distribution(), detection.percentile()));
        assertEquals(Map.of("25 processes", Arrays.asList(null, 306.0)), detection.samples());
    }

    @Test
    void refusesAFieldThatWouldBreakTheLine(@TempDir Path dir) throws IOException {
        Path lines = dir.resolve("java.tsv");
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> ResultLines.to(lines).metric("a\tb", "ns", Comparison.Better.LOWER, null));
        assertEquals("result field \"a\tb\": expected a non-empty text without tabs or newlines", error.getMessage());
        assertEquals(false, Files.exists(lines), "nothing half-written");
    }
}
