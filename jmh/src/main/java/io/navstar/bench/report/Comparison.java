package io.navstar.bench.report;

/**
 * One figure of this run against the same figure of the previous report. A change counts only when it leaves the noise
 * both runs measured: a regression when the two noise bands do not overlap and this run is on the worse side, an
 * improvement when they do not overlap on the better side. Immutable.
 *
 * @param what     the figure, as the report names it
 * @param unit     its unit
 * @param better   which direction is better
 * @param previous the previous report's figure
 * @param current  this run's figure
 */
public record Comparison(String what, String unit, Better better, Interval previous, Interval current) {

    /** Which way a figure improves: rates and ratios of rates up, times and costs down. */
    public enum Better {
        HIGHER, LOWER;

        /** {@code "higher"} or {@code "lower"}, as the scripts' JSON spells it. */
        static Better parse(String text) {
            return switch (text) {
                case "higher" -> HIGHER;
                case "lower" -> LOWER;
                default -> throw new IllegalArgumentException("expected \"higher\" or \"lower\", got \"" + text + "\"");
            };
        }
    }

    /** What the comparison concludes. */
    public enum Verdict {
        REGRESSION, IMPROVEMENT, WITHIN_NOISE, NO_NOISE_MEASURED
    }

    public Verdict verdict() {
        if (!previous.hasNoise() || !current.hasNoise()) {
            return Verdict.NO_NOISE_MEASURED;
        }
        boolean currentAbove = current.low() > previous.high();
        boolean currentBelow = current.high() < previous.low();
        if (!currentAbove && !currentBelow) {
            return Verdict.WITHIN_NOISE;
        }
        boolean worse = better == Better.HIGHER ? currentBelow : currentAbove;
        return worse ? Verdict.REGRESSION : Verdict.IMPROVEMENT;
    }

    /** This run's figure relative to the previous one, as a signed fraction (-0.1 = 10 % lower). */
    public double change() {
        return current.centre() / previous.centre() - 1;
    }
}
