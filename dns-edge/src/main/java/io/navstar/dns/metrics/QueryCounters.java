package io.navstar.dns.metrics;

import java.util.concurrent.atomic.LongAdder;

/**
 * Queries answered for one zone (a local zone, a forward zone, the default upstreams, or none for queries rejected
 * before any lookup), counted by transport, by where the answer came from and by response code. Increments are
 * lock-free and allocation-free ({@link LongAdder} cells spread contention between event loops); reads sum the
 * cells and may miss increments in flight.
 */
public final class QueryCounters {
    /** Response codes counted individually: the 4-bit header codes (RFC 1035 §4.1.1) and BADVERS (16, RFC 6891). */
    public static final int RCODES = 17;

    /** How the query came. */
    public enum Transport {
        UDP, TCP;

        public static Transport of(boolean tcp) {
            return tcp ? TCP : UDP;
        }
    }

    /** Where the answer came from. */
    public enum Source {
        /** Authoritative, from a local zone. */
        LOCAL,
        /** A fresh answer from the cache. */
        CACHE,
        /** An expired answer from the cache, served because every upstream failed (RFC 8767). */
        STALE,
        /** An upstream's answer, or SERVFAIL when the upstreams failed or forwarding was refused. */
        FORWARDED,
        /** An error answered before any lookup: malformed queries, refused recursion or zone transfers. */
        REJECTED
    }

    private static final int SOURCES = Source.values().length;

    private final String zone;
    private final LongAdder[] answers = new LongAdder[2 * SOURCES * RCODES];

    public QueryCounters(String zone) {
        this.zone = zone;
        for (int i = 0; i < answers.length; i++) {
            answers[i] = new LongAdder();
        }
    }

    public String zone() {
        return zone;
    }

    /** Counts one answer with response code {@code rcode} (codes above 16 count as 16). */
    public void count(boolean tcp, Source source, int rcode) {
        answers[index(Transport.of(tcp), source, rcode)].increment();
    }

    /** Answers so far that came by {@code transport} from {@code source} with {@code rcode}. */
    public long answered(Transport transport, Source source, int rcode) {
        return answers[index(transport, source, rcode)].sum();
    }

    /** Answers so far with {@code rcode}, any transport and source. */
    public long answered(int rcode) {
        long sum = 0;
        for (Transport transport : Transport.values()) {
            for (Source source : Source.values()) {
                sum += answered(transport, source, rcode);
            }
        }
        return sum;
    }

    private static int index(Transport transport, Source source, int rcode) {
        return (transport.ordinal() * SOURCES + source.ordinal()) * RCODES + Math.min(rcode, RCODES - 1);
    }
}
