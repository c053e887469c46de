package io.navstar.agent.metrics;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checks of a scrape for tests: the text through Prometheus's own parser and linter ({@code promtool check metrics},
 * Debian's prometheus package, installed by scripts/deps.sh), values through the client's model.
 */
public final class Exposition {
    private Exposition() {
    }

    /** Runs {@code promtool check metrics} on {@code text}: it must parse and pass every lint rule. */
    public static void assertPromtoolAccepts(byte[] text) throws IOException, InterruptedException {
        Process promtool;
        try {
            promtool = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        } catch (IOException e) {
            fail("promtool not found (scripts/deps.sh installs Debian's prometheus package): " + e.getMessage());
            return;
        }
        try (OutputStream in = promtool.getOutputStream()) {
            in.write(text);
        }
        String report = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(promtool.waitFor(10, TimeUnit.SECONDS), "promtool finished");
        assertEquals(0, promtool.exitValue(), "promtool check metrics:\n" + report);
        assertEquals("", report.strip(), "promtool's lint");
    }

    /** The families' names as the client's model has them (a counter's without {@code _total}). */
    public static Set<String> families(PrometheusRegistry registry) {
        Set<String> names = new TreeSet<>();
        for (MetricSnapshot family : registry.scrape()) {
            names.add(family.getMetadata().getName());
        }
        return names;
    }

    /**
     * The value of {@code family}'s data point with exactly {@code labels} (name, value, ...): a counter's or
     * gauge's value, a histogram's count; 0 when there is no such point.
     */
    public static double value(PrometheusRegistry registry, String family, String... labels) {
        Labels wanted = Labels.of(labels);
        for (MetricSnapshot snapshot : registry.scrape()) {
            if (!snapshot.getMetadata().getName().equals(family)) {
                continue;
            }
            for (DataPointSnapshot point : snapshot.getDataPoints()) {
                if (point.getLabels().equals(wanted)) {
                    return switch (point) {
                        case CounterDataPointSnapshot counter -> counter.getValue();
                        case GaugeDataPointSnapshot gauge -> gauge.getValue();
                        case HistogramDataPointSnapshot histogram -> histogram.getCount();
                        default -> throw new IllegalArgumentException(family + " is a " + point.getClass());
                    };
                }
            }
        }
        return 0;
    }

    /** Whether {@code family} has a data point with {@code labels}. */
    public static boolean has(PrometheusRegistry registry, String family, String... labels) {
        Labels wanted = Labels.of(labels);
        for (MetricSnapshot snapshot : registry.scrape()) {
            if (snapshot.getMetadata().getName().equals(family)
                    && snapshot.getDataPoints().stream().anyMatch(p -> p.getLabels().equals(wanted))) {
                return true;
            }
        }
        return false;
    }
}
