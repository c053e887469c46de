package io.navstar.bench.report;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.DoubleSummaryStatistics;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.ChartEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/**
 * Draws the report's charts as PNG files into the report's directory with XChart (headless AWT; no display needed).
 * Each chart gets a file name made from its title, unique within the report. Used by one thread.
 */
final class ReportCharts {
    private static final int WIDTH = 800;
    private static final int HEIGHT = 420;
    /** The widest a chart of ratios grows to fit its subjects' names. */
    private static final int MAX_WIDTH = 1600;

    /** A chart written to the report's directory: its file name there, and its title. */
    record Png(String file, String title) {
    }

    /**
     * A point of a scaling chart: the size (a parameter's value, a script's subject) and the figure there with its
     * noise band (JMH's confidence interval, or the range of a script's rounds; NaN bounds when none was measured).
     */
    record ScalePoint(double x, Interval figure) {
        /** Half the noise band, as XChart's symmetric error bars draw it; 0 without one. */
        double error() {
            return figure.hasNoise() ? (figure.high() - figure.low()) / 2 : 0;
        }
    }

    private final Path dir;
    private final Set<String> taken = new HashSet<>();

    ReportCharts(Path dir) {
        this.dir = dir;
    }

    /**
     * p50, p99, p99.9 as one line per subject, on a logarithmic axis when the values span 10x or more (the tail is
     * often 10-100x the median) and are all positive; over a narrower span a log axis would show two ticks.
     */
    Png latency(String title, String unit, List<String> percentiles, Map<String, List<Double>> valuesBySubject)
            throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("percentile").yAxisTitle(unit).build();
        chart.getStyler().setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        DoubleSummaryStatistics range = valuesBySubject.values().stream().flatMap(List::stream)
                .mapToDouble(Double::doubleValue).summaryStatistics();
        chart.getStyler().setYAxisLogarithmic(range.getMin() > 0 && range.getMax() / range.getMin() >= 10);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        valuesBySubject.forEach((subject, values) -> chart.addSeries(subject, percentiles, values));
        return write(chart, title);
    }

    /** One bar per subject: its throughput as a fraction of the baseline's (1.0 = as fast as the baseline). */
    Png ratios(String title, String baseline, List<String> subjects, List<Double> ratios) throws IOException {
        // XChart leaves out every other name under the bars when the longest, times the bars, does not fit across
        // (rotation does not count), so the chart widens to give each bar its longest name (about 9 pixels a character)
        int longest = subjects.stream().mapToInt(String::length).max().orElse(0);
        int width = Math.min(MAX_WIDTH, Math.max(WIDTH, subjects.size() * (longest * 9 + 30) + 120));
        CategoryChart chart = new CategoryChartBuilder().width(width).height(HEIGHT).title(title)
                .xAxisTitle("subject").yAxisTitle("ratio to " + baseline).build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setYAxisDecimalPattern("0.00"); // the bars' labels too, as the ratio tables print them
        chart.addSeries("ratio to " + baseline, subjects, ratios);
        return write(chart, title);
    }

    /**
     * A figure against a size (VIPs, nodes, keys): one line per series (the other JMH parameters' setting, a script's
     * line), with error bars.
     */
    Png scaling(String title, String parameter, String unit, Map<String, List<ScalePoint>> seriesByName)
            throws IOException {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(parameter)
                .yAxisTitle(unit).build();
        double min = Double.MAX_VALUE;
        double max = 0;
        double lowest = Double.MAX_VALUE;
        double highest = 0;
        for (List<ScalePoint> points : seriesByName.values()) {
            for (ScalePoint point : points) {
                min = Math.min(min, point.x());
                max = Math.max(max, point.x());
                lowest = Math.min(lowest, point.figure().centre() - point.error());
                highest = Math.max(highest, point.figure().centre() + point.error());
            }
        }
        chart.getStyler().setXAxisLogarithmic(min > 0 && max / min >= 100);
        // lines two orders of magnitude apart (bytes while converging and when quiet) each keep their shape
        chart.getStyler().setYAxisLogarithmic(lowest > 0 && highest / lowest >= 100);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS); // a line starts at the left edge
        seriesByName.forEach((name, points) -> chart.addSeries(name,
                points.stream().mapToDouble(ScalePoint::x).toArray(),
                points.stream().mapToDouble(p -> p.figure().centre()).toArray(),
                points.stream().mapToDouble(ScalePoint::error).toArray()));
        return write(chart, title);
    }

    private Png write(Chart<?, ?> chart, String title) throws IOException {
        String file = uniqueName(title);
        try (OutputStream out = Files.newOutputStream(dir.resolve(file))) {
            ChartEncoder.saveChart(chart, out, "png");
        }
        return new Png(file, title);
    }

    /** {@code lb-wrk: new connections/s} -> {@code lb-wrk-new-connections-s.png}, numbered if already used. */
    private String uniqueName(String title) {
        String slug = title.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
        String name = slug + ".png";
        for (int n = 2; !taken.add(name); n++) {
            name = slug + "-" + n + ".png";
        }
        return name;
    }
}
