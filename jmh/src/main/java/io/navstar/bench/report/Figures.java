package io.navstar.bench.report;

import java.util.Locale;

/** How the report prints numbers: four significant digits, no exponent for everyday magnitudes. Stateless. */
final class Figures {
    private Figures() {
    }

    static String format(double value) {
        if (Double.isNaN(value)) {
            return "-";
        }
        double magnitude = Math.abs(value);
        if (magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e9)) {
            return String.format(Locale.ROOT, "%.3e", value);
        }
        if (magnitude >= 1000) {
            return String.format(Locale.ROOT, "%.0f", value);
        }
        return String.format(Locale.ROOT, "%.4g", value).replaceFirst("(\\.\\d*?)0+$", "$1").replaceFirst("\\.$", "");
    }

    /** A ratio, always three decimals, as the ratio tables print it. */
    static String ratio(double value) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.3f", value);
    }
}
