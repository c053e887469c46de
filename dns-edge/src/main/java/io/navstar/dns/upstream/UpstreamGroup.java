package io.navstar.dns.upstream;

import io.navstar.dns.cache.CacheKey;
import io.navstar.dns.metrics.QueryCounters;

import java.util.List;

/**
 * The upstreams of one forward zone (or the default ones) and the dcos-dns selection rule: all of
 * them when there are fewer than 3, else the 2 with the fewest recent failures, queried in parallel;
 * an upstream whose failure for the question is cached is left out (RFC 9520). Immutable;
 * {@link #choose} and {@link #next} are safe from any thread.
 */
public final class UpstreamGroup {
    /** Upstreams queried at once when the group has 3 or more (dcos-dns). */
    public static final int PARALLEL = 2;
    /**
     * Most times one query is sent to one upstream: RFC 9520 §3.1 allows two retries before the
     * server counts as unresponsive for the query.
     */
    public static final int MAX_TRIES = 3;

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
     * Fills {@code out} with the upstreams to ask {@code question} first and returns how many: of those
     * whose failure for it is not cached (RFC 9520 §3.2), all when fewer than 3, else the
     * {@link #PARALLEL} with the fewest recent failures (ties keep configuration order, rotated by
     * {@code salt} so load spreads). 0 when every upstream is backing off from the question. Counts a
     * failure-cache hit on each upstream passed over.
     */
    public int choose(long nowNanos, int salt, CacheKey question, Upstream[] out) {
        int available = 0;
        for (Upstream u : upstreams) {
            if (u.backingOff(question, nowNanos)) {
                u.onFailureCacheHit();
            } else {
                out[available++] = u;
            }
        }
        if (available < 3) {
            return available;
        }
        Upstream best = null;
        Upstream second = null;
        double bestScore = Double.MAX_VALUE;
        double secondScore = Double.MAX_VALUE;
        int start = Math.floorMod(salt, available);
        for (int k = 0; k < available; k++) {
            Upstream u = out[(start + k) % available];
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
     * The upstream to ask {@code question} next: the one with the fewest recent failures not in
     * {@code asked[0, askedCount)}, else (a retransmission) the best one asked fewer than
     * {@link #MAX_TRIES} times; never one whose failure for the question is cached. Null when none is left.
     */
    public Upstream next(long nowNanos, CacheKey question, Upstream[] asked, int askedCount) {
        Upstream best = null;
        double bestScore = Double.MAX_VALUE;
        Upstream bestAsked = null;
        double bestAskedScore = Double.MAX_VALUE;
        for (Upstream u : upstreams) {
            if (u.backingOff(question, nowNanos)) {
                continue;
            }
            double s = u.recentFailures(nowNanos);
            int tries = 0;
            for (int i = 0; i < askedCount; i++) {
                if (asked[i] == u) {
                    tries++;
                }
            }
            if (tries == 0 && s < bestScore) {
                best = u;
                bestScore = s;
            } else if (tries > 0 && tries < MAX_TRIES && s < bestAskedScore) {
                bestAsked = u;
                bestAskedScore = s;
            }
        }
        return best != null ? best : bestAsked;
    }
}
