package io.navstar.bench.report;

import java.util.List;
import java.util.Objects;

/**
 * A figure and the noise measured around it: JMH's score within its confidence interval, or the median of a script's
 * rounds within their range (lowest to highest round). Unknown bounds are NaN (one JMH iteration, one round). Immutable.
 *
 * @param centre the score, or the median of the rounds
 * @param low    the lower bound of the noise band
 * @param high   the upper bound of the noise band
 */
public record Interval(double centre, double low, double high) {

    /** The median of {@code rounds} within their range; null entries (rounds without a figure) are left out. */
    public static Interval ofRounds(List<Double> rounds) {
        double[] sorted = rounds.stream().filter(Objects::nonNull).mapToDouble(Double::doubleValue).sorted().toArray();
        if (sorted.length == 0) {
            return new Interval(Double.NaN, Double.NaN, Double.NaN);
        }
        if (sorted.length == 1) {
            return new Interval(sorted[0], Double.NaN, Double.NaN);
        }
        return new Interval(median(sorted), sorted[0], sorted[sorted.length - 1]);
    }

    /** True when a noise band was measured (two rounds or more, or JMH's error over several iterations). */
    public boolean hasNoise() {
        return !Double.isNaN(low) && !Double.isNaN(high);
    }

    /** The median of sorted values; the mean of the middle two when their count is even. */
    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    @Override
    public String toString() {
        return hasNoise()
                ? Figures.format(centre) + " [" + Figures.format(low) + ", " + Figures.format(high) + "]"
                : Figures.format(centre) + " (no noise measured)";
    }
}
