package io.navstar.bench.report;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one benchmark script measured, as {@code jmh/scripts/lib/results.sh} writes it with {@code BENCH_RESULTS}:
 * every round's value per metric and subject (a path through the load balancer, a DNS server; for a scale series, a
 * size: VIPs, nodes). Immutable once read.
 *
 * @param benchmark the script, {@code lb-wrk}
 * @param metrics   its metrics in the order the script declared them
 */
public record ScriptResults(String benchmark, List<Metric> metrics) {

    /**
     * One metric of a script.
     *
     * @param name         {@code new connections/s}; for a percentile, the distribution's name and the percentile
     * @param unit         {@code conn/s}
     * @param better       {@code higher} or {@code lower}
     * @param baseline     the peer every subject is compared with ({@code direct}, {@code unbound}), or null
     * @param distribution the latency distribution this percentile belongs to, or null
     * @param percentile   {@code p50}, {@code p99}, {@code p99.9}, or null
     * @param scale        for a metric measured at several sizes, the axis they lie on and the line this metric draws
     *                     (its subjects are then the sizes, numbers); null for any other metric (absent from the
     *                     JSON of scripts that predate it)
     * @param samples      per subject, the value of round {@code i + 1} at index {@code i} (null: none that round)
     */
    public record Metric(String name, String unit, String better, String baseline, String distribution,
            String percentile, Scale scale, Map<String, List<Double>> samples) {

        public Comparison.Better direction() {
            return Comparison.Better.parse(better);
        }

        /** The subject's median within the range of its rounds. */
        public Interval of(String subject) {
            return Interval.ofRounds(samples.getOrDefault(subject, List.of()));
        }

        /**
         * The subject against the baseline, round by round (each round's pair ran minutes apart at most, so it shares
         * the machine's load): the median of the per-round ratios within their range. Empty without a baseline.
         */
        public Optional<Interval> ratioToBaseline(String subject) {
            List<Double> base = samples.get(baseline);
            List<Double> own = samples.get(subject);
            if (baseline == null || base == null || own == null) {
                return Optional.empty();
            }
            List<Double> ratios = new ArrayList<>();
            for (int round = 0; round < Math.min(base.size(), own.size()); round++) {
                Double a = own.get(round);
                Double b = base.get(round);
                if (a != null && b != null && b != 0) {
                    ratios.add(a / b);
                }
            }
            return ratios.isEmpty() ? Optional.empty() : Optional.of(Interval.ofRounds(ratios));
        }
    }

    /**
     * Where a scale series belongs: a metric whose subjects are sizes ({@code "0"}, {@code "1000"}) along {@code axis},
     * drawn as the line {@code line} of the chart {@code chart}, which the script's other metrics with the same chart
     * name share ({@code agent VmRSS}: one line per JVM option set; {@code propagation}: one line per percentile).
     *
     * @param axis  what the sizes count, {@code VIPs}, {@code nodes}
     * @param chart the chart's name within the script
     * @param line  this metric's line in that chart
     */
    public record Scale(String axis, String chart, String line) {
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Reads one script's results; a malformed file fails with its path and the JSON path of the fault. */
    public static ScriptResults read(Path file) {
        ScriptResults results;
        try {
            results = JSON.readValue(file.toFile(), ScriptResults.class);
        } catch (JsonMappingException e) {
            throw new ReportInputException(file, jsonPath(e), e.getOriginalMessage().split("\n")[0]);
        } catch (JacksonException e) {
            throw new ReportInputException(file, "line " + e.getLocation().getLineNr() + ": not JSON: "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ReportInputException(file, "cannot read: " + e.getMessage());
        }
        if (results == null || results.benchmark() == null || results.metrics() == null) {
            throw new ReportInputException(file, "$", "expected {\"benchmark\": ..., \"metrics\": [...]}");
        }
        for (int i = 0; i < results.metrics().size(); i++) {
            Metric metric = results.metrics().get(i);
            String at = "$.metrics[" + i + "]";
            if (metric.name() == null || metric.unit() == null || metric.samples() == null) {
                throw new ReportInputException(file, at, "expected name, unit and samples");
            }
            try {
                metric.direction();
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new ReportInputException(file, at + ".better", "expected \"higher\" or \"lower\"");
            }
            Scale scale = metric.scale();
            if (scale != null) {
                if (scale.axis() == null || scale.chart() == null || scale.line() == null) {
                    throw new ReportInputException(file, at + ".scale", "expected axis, chart and line");
                }
                for (String subject : metric.samples().keySet()) {
                    if (!Double.isFinite(scaleValue(subject))) {
                        throw new ReportInputException(file, at + ".samples." + subject,
                                "expected a number of " + scale.axis() + " (a scale series' subjects are sizes)");
                    }
                }
            }
        }
        return results;
    }

    /** A scale series' subject as a number; NaN when it is not one. */
    static double scaleValue(String subject) {
        try {
            return Double.parseDouble(subject);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static String jsonPath(JsonMappingException e) {
        StringBuilder path = new StringBuilder("$");
        for (JsonMappingException.Reference reference : e.getPath()) {
            if (reference.getFieldName() != null) {
                path.append('.').append(reference.getFieldName());
            } else {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.toString();
    }
}
