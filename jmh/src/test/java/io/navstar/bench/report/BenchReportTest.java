package io.navstar.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report rendered from the fixed results under {@code src/test/resources/report}: {@code current/raw} against
 * {@code previous/raw}. The expected ratios and verdicts are worked out by hand from those files, beside each check.
 */
class BenchReportTest {
    @TempDir
    static Path reports;
    static Path reportDir;
    static Document page;

    @BeforeAll
    static void renderFixtureReport() throws IOException, URISyntaxException {
        Path fixtures = Path.of(BenchReportTest.class.getResource("/report").toURI());
        copy(fixtures.resolve("previous/raw"), reports.resolve("2025-01-01-000000/raw"));
        reportDir = reports.resolve("2025-01-02-000000");
        copy(fixtures.resolve("current/raw"), reportDir.resolve("raw"));
        BenchReport.run(reportDir.toString());
        page = Jsoup.parse(reportDir.resolve("index.html").toFile(), StandardCharsets.UTF_8.name());
    }

    @Test
    void everyPlotIsAValidPngImageOfNonzeroSize() throws IOException {
        var images = page.select("img");
        // 3 ratio charts (lb-wrk x 2, dns-bench x 1), 2 latency charts (dns-bench pinned local, LbApplyBench sample),
        // 1 scaling chart (RecomputeBenchmark against vips)
        assertEquals(6, images.size(), images.toString());
        for (Element image : images) {
            Path file = reportDir.resolve(image.attr("src"));
            assertTrue(Files.size(file) > 0, file + " is empty");
            BufferedImage decoded = ImageIO.read(file.toFile());
            assertNotNull(decoded, file + " is not an image ImageIO can read");
            assertTrue(decoded.getWidth() > 0 && decoded.getHeight() > 0, file + " has no pixels");
        }
    }

    @Test
    void printsTheMedianOfPerRoundRatiosToEachPeer() {
        // keep-alive, direct 40000 42000 41000: tc 39600 41160 41000 -> 0.99 0.98 1.00 (median 0.990, whereas the
        // ratio of the medians would be 1.000); haproxy 20000 21840 20090 -> 0.50 0.52 0.49 (median 0.500)
        assertEquals(Map.of("tc", "0.990", "haproxy", "0.500"), ratios("lb-wrk", "keep-alive requests/s"));
        // new connections, direct 20000 21000 19000: tc 16000 16800 15390 -> 0.80 0.80 0.81; iptables 18000 - 17100
        // -> 0.90 (round 2 missing) 0.90
        assertEquals(Map.of("tc", "0.800", "iptables", "0.900"), ratios("lb-wrk", "new connections/s"));
        // navstar 150000 160000 140000 against unbound 100000 each round
        assertEquals(Map.of("navstar", "1.500"), ratios("dns-bench", "shared local queries/s"));
    }

    @Test
    void flagsARegressionBeyondTheNoiseOfBothRuns() {
        // 15 +- 1 ms before, 20 +- 1 ms now (average time: lower is better)
        assertEquals("regression", verdict("RecomputeBenchmark.recompute (avgt) vips=1000"));
        // tc / direct per round: 0.95-0.99 before, 0.80-0.81 now
        assertEquals("regression", verdict("lb-wrk: new connections/s, tc / direct"));
        assertEquals(2, page.select("table.regressions tr.regression").size(), "only those two");
    }

    @Test
    void doesNotFlagAChangeWithinTheNoise() {
        // 145 +- 10 ms before, 150 +- 10 ms now: worse, but the intervals overlap
        assertEquals("within-noise", verdict("RecomputeBenchmark.recompute (avgt) vips=10000"));
        // 5.1 +- 0.2 ops/us before, 5.0 +- 0.2 now
        assertEquals("within-noise", verdict("DnsAnswerBenchmark.answerLocal (thrpt)"));
        // iptables / direct per round: 0.85-0.92 before, 0.90 (two rounds) now
        assertEquals("within-noise", verdict("lb-wrk: new connections/s, iptables / direct"));
        // tc / direct per round: 0.98-1.01 before, 0.98-1.00 now
        assertEquals("within-noise", verdict("lb-wrk: keep-alive requests/s, tc / direct"));
        // a single shot without an error bar is never called a regression, however far it moved (30 -> 40 ms)
        assertEquals("no-noise-measured", verdict("KvConvergenceBenchmark.converge (ss) keys=100"));
    }

    @Test
    void rejectsAMalformedResultNamingTheFileAndJsonPath(@TempDir Path dir) throws IOException {
        Path raw = Files.createDirectories(dir.resolve("r/raw"));
        Files.writeString(raw.resolve("jmh.json"), """
                [{"benchmark": "a.B.c", "mode": "avgt", "primaryMetric": {"score": "fast"}}]""");
        ReportInputException error = assertThrows(ReportInputException.class,
                () -> BenchReport.run(dir.resolve("r").toString(), "--previous", "none"));
        assertEquals(raw.resolve("jmh.json") + ": $[0].primaryMetric.score: expected a number", error.getMessage());
        assertFalse(Files.exists(dir.resolve("r/index.html")), "nothing is written from bad input");
    }

    private static Map<String, String> ratios(String benchmark, String metric) {
        Element table = page.selectFirst("table.ratios[data-benchmark=" + benchmark + "][data-metric=\"" + metric
                + "\"]");
        assertNotNull(table, "no ratio table for " + benchmark + " " + metric);
        Map<String, String> bySubject = new TreeMap<>();
        for (Element row : table.select("tr:has(td)")) {
            bySubject.put(row.selectFirst("td.subject").text(), row.selectFirst("td.ratio").text());
        }
        return bySubject;
    }

    private static String verdict(String figure) {
        for (Element row : page.select("table.regressions tr:has(td)")) {
            if (row.selectFirst("td.figure").text().equals(figure)) {
                return row.selectFirst("td.verdict").text();
            }
        }
        throw new AssertionError("no comparison of " + figure + " in " + page.select("table.regressions"));
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
    }
}
