package io.navstar.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jsoup.nodes.DataNode;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * Builds the report's {@code index.html} from one run's results (and the previous report's, when there is one) and
 * draws its charts. The page is a jsoup DOM: every text goes in through {@link Element#text}, which escapes it. Tables
 * carry classes ({@code ratios}, {@code regressions}, {@code scaling}, {@code script-figures}) and {@code data-}
 * attributes naming what they show, so tests and tools can read the page back. Used by one thread.
 */
final class ReportPage {
    private static final String STYLE = """
            body { font-family: sans-serif; margin: 2em; max-width: 1100px; }
            table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
            td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
            td:first-child, th:first-child { text-align: left; }
            tr.regression { background: #fdd; } tr.improvement { background: #dfd; }
            img { display: block; margin: 0.5em 0; }
            """;

    private final Document document = Document.createShell("");
    private final Element body = document.body();
    private final ReportCharts charts;

    private ReportPage(Path reportDir) {
        this.charts = new ReportCharts(reportDir);
    }

    /**
     * Renders {@code reportDir/index.html} and its PNGs for {@code current}, compared with {@code previous} when present
     * ({@code previousName} says which reports its results came from).
     */
    static void render(Path reportDir, RunResults current, Optional<RunResults> previous, String previousName)
            throws IOException {
        ReportPage page = new ReportPage(reportDir);
        String title = "navstar benchmarks, " + reportDir.getFileName();
        page.document.title(title);
        page.document.head().appendElement("meta").attr("charset", "utf-8");
        page.document.head().appendElement("style").appendChild(new DataNode(STYLE));
        page.body.appendElement("h1").text(title);
        page.body.appendElement("p").text("Raw results beside this page in raw/ (JMH's -rf json as "
                + RunResults.JMH_FILE + ", one JSON file per benchmark script).");
        page.regressions(current, previous, previousName);
        page.ratios(current);
        page.latencies(current);
        page.scaling(current);
        page.scriptFigures(current);
        page.jmhScores(current);
        Files.writeString(reportDir.resolve("index.html"), page.document.outerHtml(), StandardCharsets.UTF_8);
    }

    private void regressions(RunResults current, Optional<RunResults> previous, String previousName) {
        body.appendElement("h2").text("Against the previous report");
        if (previous.isEmpty()) {
            body.appendElement("p").addClass("no-previous").text("No previous report to compare with.");
            return;
        }
        List<Comparison> comparisons = current.compareWith(previous.get());
        Map<Comparison.Verdict, Integer> counts = new TreeMap<>();
        comparisons.forEach(c -> counts.merge(c.verdict(), 1, Integer::sum));
        body.appendElement("p").text("Compared with " + previousName + ": " + counts.getOrDefault(
                Comparison.Verdict.REGRESSION, 0) + " regressions, " + counts.getOrDefault(
                Comparison.Verdict.IMPROVEMENT, 0) + " improvements, " + counts.getOrDefault(
                Comparison.Verdict.WITHIN_NOISE, 0) + " within noise, " + counts.getOrDefault(
                Comparison.Verdict.NO_NOISE_MEASURED, 0) + " without noise measured. A change counts when the "
                + "noise bands do not overlap: JMH's 99.9 % confidence intervals, or the range of a script's rounds; "
                + "a script's subject with a peer is compared by its per-round ratio to the peer.");
        Element table = body.appendElement("table").addClass("regressions").attr("data-previous", previousName);
        header(table, "figure", "unit", "previous", "this run", "change", "verdict");
        for (Comparison comparison : comparisons) {
            String verdict = comparison.verdict().name().toLowerCase(Locale.ROOT).replace('_', '-');
            Element row = table.appendElement("tr").addClass(verdict);
            row.appendElement("td").addClass("figure").text(comparison.what());
            row.appendElement("td").text(comparison.unit());
            row.appendElement("td").text(comparison.previous().toString());
            row.appendElement("td").text(comparison.current().toString());
            row.appendElement("td").text(String.format(Locale.ROOT, "%+.1f %%", 100 * comparison.change()));
            row.appendElement("td").addClass("verdict").text(verdict);
        }
    }

    private void ratios(RunResults current) throws IOException {
        body.appendElement("h2").text("Ratios against peers");
        for (ScriptResults results : current.scripts()) {
            for (ScriptResults.Metric metric : results.metrics()) {
                if (metric.baseline() == null || metric.distribution() != null || metric.scale() != null) {
                    continue;
                }
                List<String> subjects = new ArrayList<>();
                List<Interval> ratios = new ArrayList<>();
                for (String subject : metric.samples().keySet()) {
                    Optional<Interval> ratio = metric.ratioToBaseline(subject);
                    if (!subject.equals(metric.baseline()) && ratio.isPresent()) {
                        subjects.add(subject);
                        ratios.add(ratio.get());
                    }
                }
                if (subjects.isEmpty()) {
                    continue;
                }
                String title = results.benchmark() + ": " + metric.name() + " against " + metric.baseline();
                body.appendElement("h3").text(title);
                image(charts.ratios(title, metric.baseline(), subjects,
                        ratios.stream().map(Interval::centre).toList()));
                Element table = body.appendElement("table").addClass("ratios")
                        .attr("data-benchmark", results.benchmark()).attr("data-metric", metric.name())
                        .attr("data-baseline", metric.baseline());
                header(table, "subject", "ratio (median of per-round ratios)", "lowest round", "highest round",
                        metric.unit() + " (median)");
                for (int i = 0; i < subjects.size(); i++) {
                    Element row = table.appendElement("tr");
                    row.appendElement("td").addClass("subject").text(subjects.get(i));
                    row.appendElement("td").addClass("ratio").text(Figures.ratio(ratios.get(i).centre()));
                    row.appendElement("td").text(Figures.ratio(ratios.get(i).low()));
                    row.appendElement("td").text(Figures.ratio(ratios.get(i).high()));
                    row.appendElement("td").text(Figures.format(metric.of(subjects.get(i)).centre()));
                }
            }
        }
    }

    private void latencies(RunResults current) throws IOException {
        body.appendElement("h2").text("Latency distributions");
        for (ScriptResults results : current.scripts()) {
            Map<String, List<ScriptResults.Metric>> groups = new LinkedHashMap<>();
            results.metrics().stream().filter(m -> m.distribution() != null && m.scale() == null)
                    .forEach(m -> groups.computeIfAbsent(m.distribution(), d -> new ArrayList<>()).add(m));
            for (Map.Entry<String, List<ScriptResults.Metric>> group : groups.entrySet()) {
                List<String> percentiles = group.getValue().stream().map(ScriptResults.Metric::percentile).toList();
                Map<String, List<Double>> bySubject = new LinkedHashMap<>();
                for (ScriptResults.Metric metric : group.getValue()) {
                    metric.samples().keySet().forEach(s -> bySubject.computeIfAbsent(s, k -> new ArrayList<>())
                            .add(metric.of(s).centre()));
                }
                bySubject.values().removeIf(values -> values.size() != percentiles.size() || values.contains(
                        Double.NaN));
                latency(results.benchmark() + ": " + group.getKey() + " (median of rounds)",
                        group.getValue().getFirst().unit(), percentiles, bySubject);
            }
        }
        Map<String, Map<String, List<Double>>> jmhGroups = new LinkedHashMap<>();
        Map<String, String> units = new LinkedHashMap<>();
        for (JmhScore score : current.jmh()) {
            if (score.percentiles().size() == JmhScore.LATENCY_PERCENTILES.size()) {
                String group = score.shortName() + " (JMH sample mode)";
                jmhGroups.computeIfAbsent(group, g -> new LinkedHashMap<>())
                        .put(score.params().isEmpty() ? score.shortName() : score.params().toString(),
                                List.copyOf(score.percentiles().values()));
                units.putIfAbsent(group, score.unit().replace("/op", ""));
            }
        }
        for (Map.Entry<String, Map<String, List<Double>>> group : jmhGroups.entrySet()) {
            latency(group.getKey(), units.get(group.getKey()), List.copyOf(JmhScore.LATENCY_PERCENTILES.values()),
                    group.getValue());
        }
    }

    private void latency(String title, String unit, List<String> percentiles, Map<String, List<Double>> bySubject)
            throws IOException {
        if (bySubject.isEmpty()) {
            return;
        }
        body.appendElement("h3").text(title);
        image(charts.latency(title, unit, percentiles, bySubject));
        Element table = body.appendElement("table").addClass("latency");
        List<String> columns = new ArrayList<>(List.of("subject"));
        percentiles.forEach(p -> columns.add(p + " " + unit));
        header(table, columns.toArray(String[]::new));
        bySubject.forEach((subject, values) -> {
            Element row = table.appendElement("tr");
            row.appendElement("td").text(subject);
            values.forEach(v -> row.appendElement("td").text(Figures.format(v)));
        });
    }

    /**
     * Costs against sizes: every JMH benchmark and mode with a numeric parameter of several values (one line per
     * setting of its other parameters), and every chart of a script's scale series (one line per metric in it).
     */
    private void scaling(RunResults current) throws IOException {
        body.appendElement("h2").text("Costs with scale (JMH parameters, scripts' scale series)");
        Map<String, List<JmhScore>> byMethod = new LinkedHashMap<>();
        current.jmh().forEach(s -> byMethod.computeIfAbsent(s.shortName() + " (" + s.mode() + ")",
                k -> new ArrayList<>()).add(s));
        for (Map.Entry<String, List<JmhScore>> method : byMethod.entrySet()) {
            TreeSet<String> names = new TreeSet<>();
            method.getValue().forEach(s -> names.addAll(s.params().keySet()));
            for (String parameter : names) {
                List<JmhScore> scores = method.getValue();
                boolean numeric = scores.stream().allMatch(s -> isNumber(s.params().get(parameter)));
                long distinct = scores.stream().map(s -> s.params().get(parameter)).distinct().count();
                if (!numeric || distinct < 2) {
                    continue;
                }
                Map<String, List<ReportCharts.ScalePoint>> series = new TreeMap<>();
                for (JmhScore score : scores) {
                    TreeMap<String, String> others = new TreeMap<>(score.params());
                    others.remove(parameter);
                    series.computeIfAbsent(others.isEmpty() ? "score" : others.toString(), k -> new ArrayList<>())
                            .add(new ReportCharts.ScalePoint(Double.parseDouble(score.params().get(parameter)),
                                    score.score()));
                }
                scaleChart(method.getKey() + " against " + parameter, parameter, scores.getFirst().unit(), series)
                        .attr("data-benchmark", method.getKey());
            }
        }
        for (ScriptResults results : current.scripts()) {
            // a chart per name, axis and unit, so two metrics never share a y axis they do not measure alike
            Map<List<String>, Map<String, List<ReportCharts.ScalePoint>>> charts = new LinkedHashMap<>();
            for (ScriptResults.Metric metric : results.metrics()) {
                ScriptResults.Scale scale = metric.scale();
                if (scale == null) {
                    continue;
                }
                List<ReportCharts.ScalePoint> points = charts.computeIfAbsent(
                                List.of(scale.chart(), scale.axis(), metric.unit()), k -> new LinkedHashMap<>())
                        .computeIfAbsent(scale.line(), k -> new ArrayList<>());
                for (String subject : metric.samples().keySet()) {
                    Interval figure = metric.of(subject);
                    if (!Double.isNaN(figure.centre())) {
                        points.add(new ReportCharts.ScalePoint(ScriptResults.scaleValue(subject), figure));
                    }
                }
            }
            for (Map.Entry<List<String>, Map<String, List<ReportCharts.ScalePoint>>> chart : charts.entrySet()) {
                String name = chart.getKey().get(0);
                String axis = chart.getKey().get(1);
                chart.getValue().values().removeIf(List::isEmpty);
                if (!chart.getValue().isEmpty()) {
                    scaleChart(results.benchmark() + ": " + name + " against " + axis, axis, chart.getKey().get(2),
                            chart.getValue()).attr("data-benchmark", results.benchmark()).attr("data-chart", name);
                }
            }
        }
    }

    /** One scaling chart and its table (class {@code scaling}, {@code data-parameter}: the axis); returns the table. */
    private Element scaleChart(String title, String axis, String unit,
            Map<String, List<ReportCharts.ScalePoint>> series) throws IOException {
        series.values().forEach(points -> points.sort((a, b) -> Double.compare(a.x(), b.x())));
        body.appendElement("h3").text(title);
        image(charts.scaling(title, axis, unit, series));
        Element table = body.appendElement("table").addClass("scaling").attr("data-parameter", axis);
        header(table, "series", axis, unit, "lowest", "highest", "relative to the smallest " + axis);
        series.forEach((name, points) -> points.forEach(point -> {
            Element row = table.appendElement("tr");
            row.appendElement("td").addClass("series").text(name);
            row.appendElement("td").addClass("size").text(Figures.format(point.x()));
            row.appendElement("td").addClass("figure").text(Figures.format(point.figure().centre()));
            row.appendElement("td").text(Figures.format(point.figure().low()));
            row.appendElement("td").text(Figures.format(point.figure().high()));
            double smallest = points.getFirst().figure().centre();
            row.appendElement("td").addClass("relative").text(Figures.ratio(
                    smallest == 0 ? Double.NaN : point.figure().centre() / smallest));
        }));
        return table;
    }

    /** Every figure of every script: the median of its rounds within their range, whatever the charts above show. */
    private void scriptFigures(RunResults current) {
        body.appendElement("h2").text("Every script figure");
        Element table = body.appendElement("table").addClass("script-figures");
        header(table, "benchmark", "metric", "subject", "median of rounds", "lowest round", "highest round", "rounds",
                "unit");
        for (ScriptResults results : current.scripts()) {
            for (ScriptResults.Metric metric : results.metrics()) {
                metric.samples().forEach((subject, rounds) -> {
                    Interval figure = metric.of(subject);
                    Element row = table.appendElement("tr");
                    row.appendElement("td").addClass("benchmark").text(results.benchmark());
                    row.appendElement("td").addClass("metric").text(metric.name());
                    row.appendElement("td").addClass("subject").text(metric.scale() == null ? subject
                            : subject + " " + metric.scale().axis());
                    row.appendElement("td").addClass("median").text(Figures.format(figure.centre()));
                    row.appendElement("td").text(Figures.format(figure.low()));
                    row.appendElement("td").text(Figures.format(figure.high()));
                    row.appendElement("td").text(Long.toString(rounds.stream().filter(Objects::nonNull).count()));
                    row.appendElement("td").text(metric.unit());
                });
            }
        }
    }

    private void jmhScores(RunResults current) {
        body.appendElement("h2").text("Every JMH score");
        Element table = body.appendElement("table").addClass("jmh");
        header(table, "benchmark", "score", "99.9 % confidence interval", "unit");
        for (JmhScore score : current.jmh()) {
            Element row = table.appendElement("tr");
            row.appendElement("td").text(score.label());
            row.appendElement("td").text(Figures.format(score.score().centre()));
            row.appendElement("td").text(score.score().hasNoise() ? "[" + Figures.format(score.score().low()) + ", "
                    + Figures.format(score.score().high()) + "]" : "-");
            row.appendElement("td").text(score.unit());
        }
    }

    private void image(ReportCharts.Png png) {
        body.appendElement("img").attr("src", png.file()).attr("alt", png.title());
    }

    private static void header(Element table, String... columns) {
        Element row = table.appendElement("tr");
        for (String column : columns) {
            row.appendElement("th").text(column);
        }
    }

    private static boolean isNumber(String text) {
        if (text == null) {
            return false;
        }
        try {
            Double.parseDouble(text);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
