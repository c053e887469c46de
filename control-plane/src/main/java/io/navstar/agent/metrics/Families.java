package io.navstar.agent.metrics;

import io.navstar.gossip.metrics.BucketHistogram;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.Unit;

/**
 * Builds metric families of the Prometheus client's model from values the parts counted themselves, so a collector
 * reads a part's counters at scrape time in a line each. A family's unit is taken from its name's suffix
 * ({@code _seconds}, {@code _bytes}: the client's naming rules want base units in the name); a counter's name is
 * given without {@code _total}, which the writers add.
 *
 * <p>Stateless; called on the scraping thread.
 */
final class Families {
    /**
     * Nanoseconds in a second: values counted in nanoseconds are divided by it (dividing by a power of ten gives
     * 0.025 for 25 ms, where multiplying by 1e-9 gives 0.024999999999999998).
     */
    static final double NANOS_PER_SECOND = 1e9;
    /** Microseconds in a second. */
    static final double MICROS_PER_SECOND = 1e6;

    private Families() {
    }

    /** A counter family with one unlabelled value. */
    static CounterSnapshot counter(String name, String help, double value) {
        return counters(name, help).dataPoint(count(value)).build();
    }

    /** A counter family to add labelled values to. */
    static CounterSnapshot.Builder counters(String name, String help) {
        return withUnit(CounterSnapshot.builder().name(name).help(help), name);
    }

    /** A counter's value with labels given as name, value, name, value... */
    static CounterDataPointSnapshot count(double value, String... labels) {
        return CounterDataPointSnapshot.builder().value(value).labels(Labels.of(labels)).build();
    }

    /** A gauge family with one unlabelled value. */
    static GaugeSnapshot gauge(String name, String help, double value) {
        return gauges(name, help).dataPoint(level(value)).build();
    }

    /** A gauge family to add labelled values to. */
    static GaugeSnapshot.Builder gauges(String name, String help) {
        return withUnit(GaugeSnapshot.builder().name(name).help(help), name);
    }

    /** A gauge's value with labels given as name, value, name, value... */
    static GaugeDataPointSnapshot level(double value, String... labels) {
        return GaugeDataPointSnapshot.builder().value(value).labels(Labels.of(labels)).build();
    }

    /** A histogram family to add labelled distributions to. */
    static HistogramSnapshot.Builder histograms(String name, String help) {
        return withUnit(HistogramSnapshot.builder().name(name).help(help), name);
    }

    /** A histogram family with one unlabelled distribution: {@code histogram}'s values divided by {@code perUnit}. */
    static HistogramSnapshot histogram(String name, String help, BucketHistogram histogram, double perUnit) {
        int buckets = histogram.buckets();
        long[] bounds = new long[buckets];
        long[] counts = new long[buckets];
        for (int i = 0; i < buckets; i++) {
            bounds[i] = histogram.upperBound(i);
            counts[i] = histogram.count(i);
        }
        return histograms(name, help)
                .dataPoint(distribution(bounds, perUnit, counts, histogram.sum() / perUnit))
                .build();
    }

    /**
     * A distribution: {@code counts[i]} values (not cumulative) at most {@code upperBounds[i] / perUnit}, the last
     * bound ({@link Long#MAX_VALUE}) standing for +Inf, adding up to {@code sum}.
     */
    static HistogramDataPointSnapshot distribution(long[] upperBounds, double perUnit, long[] counts, double sum,
                                                   String... labels) {
        double[] bounds = new double[upperBounds.length];
        for (int i = 0; i < bounds.length; i++) {
            bounds[i] = upperBounds[i] == Long.MAX_VALUE ? Double.POSITIVE_INFINITY : upperBounds[i] / perUnit;
        }
        return HistogramDataPointSnapshot.builder()
                .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, counts))
                .sum(sum)
                .labels(Labels.of(labels))
                .build();
    }

    private static <B extends MetricSnapshot.Builder<B>> B withUnit(B builder, String name) {
        if (name.endsWith("_seconds")) {
            builder.unit(Unit.SECONDS);
        } else if (name.endsWith("_bytes")) {
            builder.unit(Unit.BYTES);
        }
        return builder;
    }
}
