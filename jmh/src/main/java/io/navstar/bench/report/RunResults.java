package io.navstar.bench.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The raw results of one {@code make bench} run, read from a report's {@code raw/} directory: {@code jmh.json} (JMH's
 * {@code -rf json}) and one {@code <script>.json} per benchmark script. Immutable once read.
 *
 * @param jmh     JMH's scores, empty when JMH did not run
 * @param scripts the scripts' results, by file name order
 */
public record RunResults(List<JmhScore> jmh, List<ScriptResults> scripts) {

    /** JMH's result file inside {@code raw/}. */
    public static final String JMH_FILE = "jmh.json";

    public static RunResults read(Path rawDir) {
        return read(files(rawDir));
    }

    /** The raw result files of a report's {@code raw/} directory, by name. */
    static List<Path> files(Path rawDir) {
        try (Stream<Path> files = Files.list(rawDir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(rawDir + ": cannot list: " + e.getMessage(), e);
        }
    }

    /** Results from raw files, possibly of several reports ({@value #JMH_FILE} at most once). */
    static RunResults read(List<Path> files) {
        List<JmhScore> jmh = List.of();
        List<ScriptResults> scripts = new ArrayList<>();
        for (Path file : files) {
            if (file.getFileName().toString().equals(JMH_FILE)) {
                jmh = JmhScore.read(file);
            } else {
                scripts.add(ScriptResults.read(file));
            }
        }
        return new RunResults(List.copyOf(jmh), List.copyOf(scripts));
    }

    /**
     * Every figure both runs have, this one against the previous: JMH scores by benchmark, mode and parameters (noise:
     * JMH's confidence intervals), and each script metric per subject (noise: the range of its rounds); a subject
     * that has a baseline is compared by its per-round ratio to it, which the machine's load moves less than a rate.
     */
    public List<Comparison> compareWith(RunResults previous) {
        List<Comparison> comparisons = new ArrayList<>();
        Map<String, JmhScore> before = new LinkedHashMap<>();
        previous.jmh().forEach(score -> before.put(score.label(), score));
        for (JmhScore score : jmh) {
            JmhScore old = before.get(score.label());
            if (old != null && old.unit().equals(score.unit())) {
                comparisons.add(new Comparison(score.label(), score.unit(), score.better(), old.score(), score.score()));
            }
        }
        for (ScriptResults results : scripts) {
            previous.script(results.benchmark()).ifPresent(old -> compareScript(old, results, comparisons));
        }
        return comparisons;
    }

    private static void compareScript(ScriptResults previous, ScriptResults current, List<Comparison> comparisons) {
        for (ScriptResults.Metric metric : current.metrics()) {
            Optional<ScriptResults.Metric> old = previous.metrics().stream()
                    .filter(m -> m.name().equals(metric.name()) && m.unit().equals(metric.unit())).findFirst();
            if (old.isEmpty()) {
                continue;
            }
            for (String subject : metric.samples().keySet()) {
                String what = current.benchmark() + ": " + metric.name() + ", " + subject
                        + (metric.scale() == null ? "" : " " + metric.scale().axis());
                Optional<Interval> ratio = metric.ratioToBaseline(subject);
                Optional<Interval> oldRatio = old.get().ratioToBaseline(subject);
                if (!subject.equals(metric.baseline()) && ratio.isPresent() && oldRatio.isPresent()) {
                    comparisons.add(new Comparison(what + " / " + metric.baseline(), "ratio", metric.direction(),
                            oldRatio.get(), ratio.get()));
                } else if (old.get().samples().containsKey(subject)) {
                    comparisons.add(new Comparison(what, metric.unit(), metric.direction(), old.get().of(subject),
                            metric.of(subject)));
                }
            }
        }
    }

    Optional<ScriptResults> script(String benchmark) {
        return scripts.stream().filter(s -> s.benchmark().equals(benchmark)).findFirst();
    }
}
