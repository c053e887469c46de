package io.navstar.dns.metrics;

import io.navstar.dns.cache.AnswerCache;
import io.navstar.dns.upstream.Upstream;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * The DNS server's counters: queries by zone and response code, malformed and dropped input, refused
 * recursion, cache hits/misses/size and per-upstream latency and failures. Counting is lock-free and
 * allocation-free on event loops; {@link #snapshot()} (any thread) copies everything into plain values
 * for the control plane to export.
 */
public final class DnsMetrics {
    /** Zone label for forwarded names without a forward zone. */
    public static final String DEFAULT_FORWARD_ZONE = ".";

    private final ConcurrentHashMap<String, QueryCounters> zones = new ConcurrentHashMap<>();
    private final LongAdder malformed = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder truncated = new LongAdder();
    private final LongAdder tcpQueries = new LongAdder();
    private final LongAdder overloaded = new LongAdder();
    private final LongAdder coalesced = new LongAdder();
    private final LongAdder tcpPaused = new LongAdder();
    private final LongAdder failureCacheHits = new LongAdder();
    private final List<Upstream> upstreams = new CopyOnWriteArrayList<>();
    private volatile AnswerCache cache;

    /** The counters of {@code zone}, created on first use (control path; event loops cache the result). */
    public QueryCounters zone(String zone) {
        return zones.computeIfAbsent(zone, QueryCounters::new);
    }

    public void countMalformed() {
        malformed.increment();
    }

    public void countDropped() {
        dropped.increment();
    }

    public void countRefused() {
        refused.increment();
    }

    public void countTruncated() {
        truncated.increment();
    }

    public void countTcpQuery() {
        tcpQueries.increment();
    }

    public void countOverloaded() {
        overloaded.increment();
    }

    /** {@code count} UDP answers the kernel would not take (send buffer full), dropped. */
    public void countOverloaded(int count) {
        overloaded.add(count);
    }

    public void countTcpPaused() {
        tcpPaused.increment();
    }

    public void countCoalesced() {
        coalesced.increment();
    }

    /**
     * A forwarded query answered at once (stale or SERVFAIL) without asking any upstream, because every
     * upstream of its group had its failure for the question cached (RFC 9520 §3.2).
     */
    public void countFailureCacheHit() {
        failureCacheHits.increment();
    }

    public void register(Upstream upstream) {
        upstreams.add(upstream);
    }

    public void register(AnswerCache answerCache) {
        this.cache = answerCache;
    }

    public Snapshot snapshot() {
        Map<String, Map<Integer, Long>> byZone = new LinkedHashMap<>();
        zones.forEach((name, counters) -> {
            Map<Integer, Long> byRcode = new LinkedHashMap<>();
            long[] sums = counters.sums();
            for (int rcode = 0; rcode < sums.length; rcode++) {
                if (sums[rcode] != 0) {
                    byRcode.put(rcode, sums[rcode]);
                }
            }
            byZone.put(name, byRcode);
        });
        List<Upstream.Stats> upstreamStats = new ArrayList<>();
        for (Upstream u : upstreams) {
            upstreamStats.add(u.stats());
        }
        AnswerCache c = cache;
        return new Snapshot(byZone, malformed.sum(), dropped.sum(), refused.sum(), truncated.sum(), tcpQueries.sum(),
                overloaded.sum(), coalesced.sum(), tcpPaused.sum(), failureCacheHits.sum(), c == null ? null : c.stats(),
                upstreamStats);
    }

    /**
     * Counters at one moment.
     *
     * @param queriesByZone zone name ({@link #DEFAULT_FORWARD_ZONE} for default forwarding) to answers by
     *     response code (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED, ...)
     * @param malformed queries answered FORMERR/NOTIMP/BADVERS
     * @param dropped datagrams dropped unanswered (shorter than a header, responses, or longer than a
     *     UDP receive slot), and answers the kernel refused for a reason other than a full buffer
     * @param refused recursion refused to clients outside the allowed ranges
     * @param truncated UDP answers sent with TC because they exceeded the client's size
     * @param tcpQueries queries received over TCP
     * @param overloaded queries shed under overload: forwarded ones refused because too many were in
     *     flight, or UDP answers dropped because the socket's send buffer was full (EAGAIN)
     * @param coalesced forwarded queries that joined an identical query already in flight
     * @param tcpPaused times a TCP client's reading was paused because it did not read its answers
     * @param failureCacheHits forwarded queries answered at once (stale or SERVFAIL), nothing sent,
     *     because every upstream of the group had a cached failure for the question (RFC 9520)
     * @param cache cache counters, null before a server registered its cache
     * @param upstreams per-upstream counters and latency histograms
     */
    public record Snapshot(Map<String, Map<Integer, Long>> queriesByZone, long malformed, long dropped, long refused,
                           long truncated, long tcpQueries, long overloaded, long coalesced, long tcpPaused,
                           long failureCacheHits, AnswerCache.Stats cache,
                           List<Upstream.Stats> upstreams) {
        /** Answers for {@code zone} with {@code rcode}, 0 when none. */
        public long queries(String zone, int rcode) {
            Map<Integer, Long> m = queriesByZone.get(zone);
            return m == null ? 0 : m.getOrDefault(rcode, 0L);
        }
    }
}
