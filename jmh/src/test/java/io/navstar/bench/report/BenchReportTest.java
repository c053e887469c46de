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
import java.util.List;
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
        // 4 ratio charts (lb-wrk x 2, dns-bench x 1, lb-kernel-time x 1), 2 latency charts (dns-bench pinned local,
        // LbApplyBench sample), 4 scaling charts (RecomputeBenchmark against vips; agent-footprint's VmRSS and idle
        // CPU against VIPs, gossip-sim-scale's convergence time against nodes)
        assertEquals(10, images.size(), images.toString());
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
        // a cost against its floor, empty program 40 42 41 ns: tracked flow 60 63 62 -> 1.500 1.500 1.512, new flow
        // 200 210 205 -> 5.000 each round
        assertEquals(Map.of("tracked flow", "1.500", "new flow", "5.000"),
                ratios("lb-kernel-time", "tc ns per packet, table empty"));
    }

    @Test
    void drawsAScriptsScaleSeriesAsOneLinePerMetricAgainstItsAxis() throws IOException {
        Element table = page.selectFirst("table.scaling[data-benchmark=agent-footprint][data-chart=agent VmRSS]");
        assertNotNull(table, "no scaling table for agent-footprint's VmRSS");
        assertEquals("VIPs", table.attr("data-parameter"));
        // per size, the median of the rounds (one per agent) and that against the smallest size's median:
        // bfptest 0: 100 90 95 -> 95; 1000: 130 120 125 -> 125 (125 / 95 = 1.316); 10000: 260 250 240 -> 250 (2.632);
        // bfpprod 0: 150 140 145 -> 145; 1000: 180 170 175 -> 175 (1.207); 10000: 300 310 320 -> 310 (2.138)
        // (lines in the order the script declared them)
        assertEquals(List.of(
                "bfptest 0 95 1.000", "bfptest 1000 125 1.316", "bfptest 10000 250 2.632",
                "bfpprod 0 145 1.000", "bfpprod 1000 175 1.207", "bfpprod 10000 310 2.138"), scaleRows(table));
        Element image = page.selectFirst("img[alt=agent-footprint: agent VmRSS against VIPs]");
        assertNotNull(image, "no chart of agent-footprint's VmRSS");
        assertNotNull(ImageIO.read(reportDir.resolve(image.attr("src")).toFile()), image.attr("src"));
        // one round per size: no noise band, so no error bar and nothing to flag
        Element simulated = page.selectFirst("table.scaling[data-benchmark=gossip-sim-scale]");
        assertEquals(List.of("simulated 100 1.5 1.000", "simulated 1000 3.2 2.133"), scaleRows(simulated));
    }

    @Test
    void listsEveryScriptFigureWithTheRangeOfItsRounds() {
        Map<String, String> lost = new TreeMap<>();
        for (Element row : page.select("table.script-figures tr:has(td)")) {
            if (row.selectFirst("td.metric").text().equals("queries lost")) {
                lost.put(row.selectFirst("td.subject").text(), row.select("td").eachText().subList(3, 7).toString());
            }
        }
        // SIGKILL 12 then 0 queries lost: median 6 within [0, 12], two rounds; SIGTERM 0 both rounds
        assertEquals(Map.of("SIGKILL", "[6, 0, 12, 2]", "SIGTERM", "[0, 0, 0, 2]"), lost);
    }

    @Test
    void comparesEachSizeOfAScaleSeriesWithThePreviousRun() {
        // bfptest at 1000 VIPs: 95-105 MB before, 120-130 MB now; at 0 VIPs 92-100 before, 90-100 now
        assertEquals("regression", verdict("agent-footprint: agent VmRSS, bfptest, 1000 VIPs"));
        assertEquals("within-noise", verdict("agent-footprint: agent VmRSS, bfptest, 0 VIPs"));
    }

    @Test
    void flagsARegressionBeyondTheNoiseOfBothRuns() {
        // 15 +- 1 ms before, 20 +- 1 ms now (average time: lower is better)
        assertEquals("regression", verdict("RecomputeBenchmark.recompute (avgt) vips=1000"));
        // tc / direct per round: 0.95-0.99 before, 0.80-0.81 now
        assertEquals("regression", verdict("lb-wrk: new connections/s, tc / direct"));
        assertEquals(3, page.select("table.regressions tr.regression").size(),
                "only those two and agent-footprint's below");
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
    void comparesEachBenchmarkWithTheLastReportThatRanIt(@TempDir Path dir) throws IOException, URISyntaxException {
        Path fixtures = Path.of(BenchReportTest.class.getResource("/report").toURI());
        copy(fixtures.resolve("previous/raw"), dir.resolve("2025-01-01-000000/raw"));
        // a later run of one area only (make bench-dns): the last report, but it holds none of the others' results
        Path dnsOnly = Files.createDirectories(dir.resolve("2025-01-01-120000/raw"));
        Files.copy(fixtures.resolve("current/raw/dns-bench.json"), dnsOnly.resolve("dns-bench.json"));
        Path current = dir.resolve("2025-01-02-000000");
        copy(fixtures.resolve("current/raw"), current.resolve("raw"));
        BenchReport.run(current.toString());
        Document report = Jsoup.parse(current.resolve("index.html").toFile(), StandardCharsets.UTF_8.name());

        // JMH, lb-wrk and agent-footprint against the full run, as when it was the last report
        assertEquals("regression", verdict(report, "RecomputeBenchmark.recompute (avgt) vips=1000"));
        assertEquals("regression", verdict(report, "lb-wrk: new connections/s, tc / direct"));
        assertEquals("regression", verdict(report, "agent-footprint: agent VmRSS, bfptest, 1000 VIPs"));
        // dns-bench against the DNS run: the same rounds, so the same ratios
        assertEquals("within-noise", verdict(report, "dns-bench: shared local queries/s, navstar / unbound"));
        assertEquals("2025-01-01-000000 (agent-footprint, jmh, lb-wrk), 2025-01-01-120000 (dns-bench)",
                report.selectFirst("table.regressions").attr("data-previous"));
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

    @Test
    void rejectsAScaleSeriesWhoseSubjectIsNotASize(@TempDir Path dir) throws IOException {
        Path raw = Files.createDirectories(dir.resolve("r/raw"));
        Files.writeString(raw.resolve("agent-footprint.json"), """
                {"benchmark": "agent-footprint", "metrics": [{"name": "agent VmRSS", "unit": "MB", "better": "lower",
                 "scale": {"axis": "VIPs", "chart": "agent VmRSS", "line": "prod"}, "samples": {"many": [1.0]}}]}""");
        ReportInputException error = assertThrows(ReportInputException.class,
                () -> BenchReport.run(dir.resolve("r").toString(), "--previous", "none"));
        assertEquals(raw.resolve("agent-footprint.json") + ": $.metrics[0].samples.many: expected a number of VIPs"
                + " (a scale series' subjects are sizes)", error.getMessage());
    }

    /** A scaling table's rows as "series size figure relative". */
    private static List<String> scaleRows(Element table) {
        return table.select("tr:has(td)").stream().map(row -> row.selectFirst("td.series").text() + " "
                + row.selectFirst("td.size").text() + " " + row.selectFirst("td.figure").text() + " "
                + row.selectFirst("td.relative").text()).toList();
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
        return verdict(page, figure);
    }

    private static String verdict(Document report, String figure) {
        for (Element row : report.select("table.regressions tr:has(td)")) {
            if (row.selectFirst("td.figure").text().equals(figure)) {
                return row.selectFirst("td.verdict").text();
            }
        }
        throw new AssertionError("no comparison of " + figure + " in " + report.select("table.regressions"));
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
