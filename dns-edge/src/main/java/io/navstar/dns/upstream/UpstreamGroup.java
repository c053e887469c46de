package io.navstar.dns.upstream;

import io.navstar.dns.metrics.QueryCounters;

import java.util.List;

/**
 * The upstreams of one forward zone (or the default ones) and the dcos-dns selection rule: all of
 * them when there are fewer than 3, else the 2 with the fewest recent failures, queried in parallel.
 * Immutable; {@link #choose} is safe from any thread.
 */
public final class UpstreamGroup {
    /** Upstreams queried at once when the group has 3 or more (dcos-dns). */
    public static final int PARALLEL = 2;

    private final String zone;
    private final Upstream[] upstreams;
    private final QueryCounters counters;

    public UpstreamGroup(String zone, List<Upstream> upstreams, QueryCounters counters) {
        this.zone = zone;
        this.upstreams = upstreams.toArray(new Upstream[0]);
        this.counters = counters;
    }

    /** Answers given for names this group forwards, by response code. */
    public QueryCounters counters() {
        return counters;
    }

    /** The forward zone ("." for the default upstreams). */
    public String zone() {
        return zone;
    }

    public Upstream[] upstreams() {
        return upstreams;
    }

    public int size() {
        return upstreams.length;
    }

    /**
     * Fills {@code out} with the upstreams to query first and returns how many: all when fewer than
     * 3, else the {@link #PARALLEL} with the fewest recent failures (ties keep configuration order,
     * rotated by {@code salt} so load spreads).
     */
    public int choose(long nowNanos, int salt, Upstream[] out) {
        int n = upstreams.length;
        if (n < 3) {
            System.arraycopy(upstreams, 0, out, 0, n);
            return n;
        }
        Upstream best = null;
        Upstream second = null;
        double bestScore = Double.MAX_VALUE;
        double secondScore = Double.MAX_VALUE;
        int start = Math.floorMod(salt, n);
        for (int k = 0; k < n; k++) {
            Upstream u = upstreams[(start + k) % n];
            double s = u.recentFailures(nowNanos);
            if (s < bestScore) {
                second = best;
                secondScore = bestScore;
                best = u;
                bestScore = s;
            } else if (s < secondScore) {
                second = u;
                secondScore = s;
            }
        }
        out[0] = best;
        out[1] = second;
        return PARALLEL;
    }

    /**
     * The upstream with the fewest recent failures not in {@code asked[0, askedCount)}, or the best
     * one overall when all were asked (a retransmission).
     */
    public Upstream next(long nowNanos, Upstream[] asked, int askedCount) {
        Upstream best = null;
        double bestScore = Double.MAX_VALUE;
        Upstream bestAny = null;
        double bestAnyScore = Double.MAX_VALUE;
        for (Upstream u : upstreams) {
            double s = u.recentFailures(nowNanos);
            if (s < bestAnyScore) {
                bestAny = u;
                bestAnyScore = s;
            }
            boolean was = false;
            for (int i = 0; i < askedCount; i++) {
                if (asked[i] == u) {
                    was = true;
                    break;
                }
            }
            if (!was && s < bestScore) {
                best = u;
                bestScore = s;
            }
        }
        return best != null ? best : bestAny;
    }
}
