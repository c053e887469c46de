package io.navstar.bench.agent;

import java.util.Arrays;
import java.util.Collection;

/** Nearest-rank percentiles of a sample, and the one-line summary the agent benchmarks print. Stateless. */
final class Percentiles {
    private final double[] sorted;

    Percentiles(Collection<? extends Number> values) {
        this.sorted = values.stream().mapToDouble(Number::doubleValue).sorted().toArray();
    }

    int count() {
        return sorted.length;
    }

    /** The nearest-rank percentile {@code p} (0-100]; NaN for an empty sample. */
    double at(double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    double max() {
        return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1];
    }

    double mean() {
        return Arrays.stream(sorted).average().orElse(Double.NaN);
    }

    /** {@code p50 12.3, p90 .., p99 .., max .. <unit> (n samples)}. */
    String summary(String unit) {
        return String.format("p50 %.1f, p90 %.1f, p99 %.1f, max %.1f %s (n=%d)", at(50), at(90), at(99), max(), unit,
                sorted.length);
    }
}
