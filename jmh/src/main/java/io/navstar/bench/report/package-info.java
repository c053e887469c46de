/**
 * The benchmark report that {@code make bench} renders into {@code reports/<date>/}: one HTML page with PNG charts,
 * built from the raw results kept beside it in {@code raw/} (JMH's {@code -rf json} output as {@code jmh.json}, and
 * one {@code <script>.json} per benchmark script run with {@code BENCH_RESULTS}, see
 * {@code jmh/scripts/lib/results.sh}).
 *
 * <p>{@link io.navstar.bench.report.BenchReport} is the entry point. Inputs are read into {@link
 * io.navstar.bench.report.JmhScore} and {@link io.navstar.bench.report.ScriptResults}; {@link
 * io.navstar.bench.report.Interval} is a figure with the noise measured around it (JMH's confidence interval, or the
 * spread of a script's rounds), and {@link io.navstar.bench.report.Comparison} compares two of them: a change is a
 * regression only when the intervals do not overlap. {@link io.navstar.bench.report.ReportCharts} draws the PNGs with
 * XChart, {@link io.navstar.bench.report.ReportPage} builds the page with jsoup, which escapes every text it is given.
 *
 * <p>The other direction: a benchmark written in Java that a script runs ({@code PropagationBenchmark},
 * {@code LbProgramKernelTime}) writes its figures through {@link io.navstar.bench.report.ResultLines}, the lines the
 * script's {@code results.sh} turns into its JSON.
 */
package io.navstar.bench.report;
