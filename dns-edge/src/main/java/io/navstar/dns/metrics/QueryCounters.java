package io.navstar.dns.metrics;

import java.util.concurrent.atomic.LongAdder;

/**
 * Queries answered for one zone (a local zone, a forward zone, or the default upstreams), counted
 * by response code. Increments are lock-free and allocation-free ({@link LongAdder} cells spread
 * contention between event loops); reads sum the cells and may miss increments in flight.
 */
public final class QueryCounters {
    /** Response codes counted individually (RFC 1035 §4.1.1 uses 4 bits); BADVERS (16) is folded into 15. */
    public static final int RCODES = 16;

    private final String zone;
    private final LongAdder[] byRcode = new LongAdder[RCODES];

    public QueryCounters(String zone) {
        this.zone = zone;
        for (int i = 0; i < RCODES; i++) {
            byRcode[i] = new LongAdder();
        }
    }

    public String zone() {
        return zone;
    }

    /** Counts one answer with response code {@code rcode}. */
    public void count(int rcode) {
        byRcode[Math.min(rcode, RCODES - 1)].increment();
    }

    /** Answers with {@code rcode} so far. */
    public long answered(int rcode) {
        return byRcode[Math.min(rcode, RCODES - 1)].sum();
    }

    long[] sums() {
        long[] out = new long[RCODES];
        for (int i = 0; i < RCODES; i++) {
            out[i] = byRcode[i].sum();
        }
        return out;
    }
}
