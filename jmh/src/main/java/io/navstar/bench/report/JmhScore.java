package io.navstar.bench.report;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One entry of JMH's JSON result file ({@code -rf json}): a benchmark method in one mode with one set of parameters,
 * its primary score within JMH's confidence interval, and for sample mode the percentiles of the sampled times.
 * Immutable.
 *
 * @param benchmark   the method's full name, {@code io.navstar.bench.lb.LbApplyBench.apply}
 * @param mode        JMH's short mode name: {@code thrpt}, {@code avgt}, {@code sample} or {@code ss}
 * @param params      the {@code @Param} values, by name
 * @param score       the score within the confidence interval JMH computed (NaN bounds for one iteration)
 * @param unit        the score's unit, {@code ns/op} or {@code ops/ms}
 * @param percentiles sample mode's percentiles by JMH's key ({@code "50.0"}, {@code "99.0"}, {@code "99.9"}); empty
 *                    in other modes, where JMH's percentiles are of the iteration scores, not of the operations
 */
public record JmhScore(String benchmark, String mode, SortedMap<String, String> params, Interval score, String unit,
        Map<String, Double> percentiles) {

    /** The percentiles a latency chart shows, JMH's key to the report's label. */
    static final Map<String, String> LATENCY_PERCENTILES = orderedMap("50.0", "p50", "99.0", "p99", "99.9", "p99.9");

    /** Throughput improves upwards; average, sample and single-shot times improve downwards. */
    public Comparison.Better better() {
        return mode.equals("thrpt") ? Comparison.Better.HIGHER : Comparison.Better.LOWER;
    }

    /** {@code LbApplyBench.apply}: the class's simple name and the method. */
    public String shortName() {
        String[] parts = benchmark.split("\\.");
        return parts.length < 2 ? benchmark : parts[parts.length - 2] + "." + parts[parts.length - 1];
    }

    /** {@code LbApplyBench.apply (sample) vips=1000}: what this score is, in the report's words. */
    public String label() {
        StringBuilder label = new StringBuilder(shortName()).append(" (").append(mode).append(')');
        params.forEach((name, value) -> label.append(' ').append(name).append('=').append(value));
        return label.toString();
    }

    /** Reads a JMH JSON result file; a malformed one fails with its path and the JSON path of the fault. */
    public static List<JmhScore> read(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (JacksonException e) {
            throw new ReportInputException(file, "line " + e.getLocation().getLineNr() + ": not JSON: "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ReportInputException(file, "cannot read: " + e.getMessage());
        }
        if (root == null || !root.isArray()) {
            throw new ReportInputException(file, "$", "expected an array of JMH results (-rf json)");
        }
        List<JmhScore> scores = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            scores.add(parse(file, "$[" + i + "]", root.get(i)));
        }
        return scores;
    }

    private static JmhScore parse(Path file, String at, JsonNode entry) {
        String benchmark = text(file, at + ".benchmark", entry.get("benchmark"));
        String mode = text(file, at + ".mode", entry.get("mode"));
        SortedMap<String, String> params = new TreeMap<>();
        JsonNode paramsNode = entry.get("params");
        if (paramsNode != null) {
            if (!paramsNode.isObject()) {
                throw new ReportInputException(file, at + ".params", "expected an object of parameter values");
            }
            paramsNode.properties().forEach(p -> params.put(p.getKey(), text(file, at + ".params." + p.getKey(),
                    p.getValue())));
        }
        JsonNode metric = entry.get("primaryMetric");
        String metricAt = at + ".primaryMetric";
        if (metric == null || !metric.isObject()) {
            throw new ReportInputException(file, metricAt, "expected an object");
        }
        double score = number(file, metricAt + ".score", metric.get("score"));
        JsonNode confidence = metric.get("scoreConfidence");
        if (confidence == null || !confidence.isArray() || confidence.size() != 2) {
            throw new ReportInputException(file, metricAt + ".scoreConfidence", "expected [low, high]");
        }
        Interval interval = new Interval(score, number(file, metricAt + ".scoreConfidence[0]", confidence.get(0)),
                number(file, metricAt + ".scoreConfidence[1]", confidence.get(1)));
        String unit = text(file, metricAt + ".scoreUnit", metric.get("scoreUnit"));
        Map<String, Double> percentiles = new LinkedHashMap<>();
        JsonNode percentilesNode = metric.get("scorePercentiles");
        if (mode.equals("sample") && percentilesNode != null) {
            for (String key : LATENCY_PERCENTILES.keySet()) {
                JsonNode value = percentilesNode.get(key);
                if (value != null) {
                    percentiles.put(key, number(file, metricAt + ".scorePercentiles." + key, value));
                }
            }
        }
        return new JmhScore(benchmark, mode, Collections.unmodifiableSortedMap(params), interval, unit,
                Collections.unmodifiableMap(percentiles));
    }

    private static String text(Path file, String at, JsonNode node) {
        if (node == null || !node.isTextual()) {
            throw new ReportInputException(file, at, "expected a string");
        }
        return node.asText();
    }

    /** A number; JMH writes an unmeasured error as the string "NaN". */
    private static double number(Path file, String at, JsonNode node) {
        if (node != null && node.isNumber()) {
            return node.doubleValue();
        }
        if (node != null && node.isTextual() && node.asText().equals("NaN")) {
            return Double.NaN;
        }
        throw new ReportInputException(file, at, "expected a number");
    }

    private static Map<String, String> orderedMap(String... keysAndValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return Collections.unmodifiableMap(map);
    }
}
