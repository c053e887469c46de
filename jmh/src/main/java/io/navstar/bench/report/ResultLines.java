package io.navstar.bench.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Optional;

/**
 * The figures of a benchmark that runs outside JMH, written for the report: the tab-separated {@code metric},
 * {@code scale} and {@code sample} lines of {@code jmh/scripts/lib/results.sh}, appended to the file the calling script
 * names with {@code -Dnavstar.bench.results=$RESULTS_LINES}; the script's {@code results_write} turns them into its
 * JSON. So the benchmark that measures a figure is the one place that names it. Without that property nothing is
 * written. Each call appends one line at once, so the lines of a run that fails half-way are kept. Used by one thread.
 */
public final class ResultLines {
    /** The system property naming the lines file; absent or empty: no results. */
    public static final String FILE_PROPERTY = "navstar.bench.results";
    /** The system property giving the round a JVM run is, when a script runs the benchmark once per round. */
    public static final String ROUND_PROPERTY = "navstar.bench.round";

    private final Path file;

    private ResultLines(Path file) {
        this.file = file;
    }

    /** The lines file the script passed, if it passed one. */
    public static Optional<ResultLines> fromSystemProperties() {
        String file = System.getProperty(FILE_PROPERTY, "");
        return file.isEmpty() ? Optional.empty() : Optional.of(to(Path.of(file)));
    }

    /** Lines appended to {@code file}. */
    static ResultLines to(Path file) {
        return new ResultLines(file);
    }

    /** The round the script says this run is ({@value #ROUND_PROPERTY}), 1 when it says none. */
    public static int round() {
        return Integer.parseInt(System.getProperty(ROUND_PROPERTY, "1"));
    }

    /** Declares a metric; {@code baseline} is the subject every other one is compared with, or null. */
    public ResultLines metric(String name, String unit, Comparison.Better better, String baseline) {
        return append("metric", name, unit, better.name().toLowerCase(Locale.ROOT), baseline == null ? "-" : baseline,
                "-");
    }

    /**
     * Declares one percentile ({@code p50}, {@code max}) of a distribution as a metric; its samples go to
     * {@code distribution + " " + percentile}, and the report draws the distribution's percentiles together.
     */
    public ResultLines percentile(String distribution, String percentile, String unit, Comparison.Better better,
            String baseline) {
        return append("metric", distribution, unit, better.name().toLowerCase(Locale.ROOT),
                baseline == null ? "-" : baseline, percentile);
    }

    /** Declares a metric measured at several sizes: its subjects are sizes along {@code axis}, a line of a chart. */
    public ResultLines scale(String name, String unit, Comparison.Better better, String axis, String chart,
            String line) {
        metric(name, unit, better, null);
        return append("scale", name, axis, chart, line);
    }

    /** One round's value of a declared metric for one subject; a NaN or infinite value (not measured) is left out. */
    public ResultLines sample(String name, String subject, int round, double value) {
        if (!Double.isFinite(value)) {
            return this;
        }
        return append("sample", name, subject, Integer.toString(round), Double.toString(value));
    }

    /** One round's value of a scale series at {@code size}. */
    public ResultLines sample(String name, long size, int round, double value) {
        return sample(name, Long.toString(size), round, value);
    }

    private ResultLines append(String... fields) {
        for (String field : fields) {
            if (field.isEmpty() || field.indexOf('\t') >= 0 || field.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("result field \"" + field + "\": expected a non-empty text"
                        + " without tabs or newlines");
            }
        }
        try {
            Files.writeString(file, String.join("\t", fields) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot append results: " + e.getMessage(), e);
        }
        return this;
    }
}
