package io.navstar.dns.metrics;

import io.navstar.dns.cache.AnswerCache;
import io.navstar.dns.upstream.Upstream;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * The DNS server's counters: queries by zone, transport, source and response code ({@link QueryCounters}),
 * malformed and dropped input, refused recursion, and the registered cache and upstreams with their own
 * counters. Counting is lock-free and allocation-free on event loops; the accessors (any thread) read each
 * value as it is, for the agent's Prometheus exporter at scrape time and for tests.
 */
public final class DnsMetrics {
    /** Zone label for forwarded names without a forward zone. */
    public static final String DEFAULT_FORWARD_ZONE = ".";
    /** Zone label for queries rejected before any lookup (malformed, refused recursion, zone transfers). */
    public static final String NO_ZONE = "";

    private final ConcurrentHashMap<String, QueryCounters> zones = new ConcurrentHashMap<>();
    private final LongAdder malformed = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder truncated = new LongAdder();
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

    /** The counters of every zone that has answered or been set up. */
    public Collection<QueryCounters> zones() {
        return zones.values();
    }

    /** Answers for {@code zone} with {@code rcode} so far, any transport and source; 0 when none. */
    public long queries(String zone, int rcode) {
        QueryCounters counters = zones.get(zone);
        return counters == null ? 0 : counters.answered(rcode);
    }

    /** Answers so far, every zone and response code. */
    public long queries() {
        long sum = 0;
        for (QueryCounters counters : zones.values()) {
            for (int rcode = 0; rcode < QueryCounters.RCODES; rcode++) {
                sum += counters.answered(rcode);
            }
        }
        return sum;
    }

    /** Queries answered FORMERR/NOTIMP/BADVERS. */
    public long malformed() {
        return malformed.sum();
    }

    /**
     * Datagrams dropped unanswered (shorter than a header, responses, or longer than a UDP receive slot), and
     * answers the kernel refused for a reason other than a full buffer.
     */
    public long dropped() {
        return dropped.sum();
    }

    /** Recursion refused to clients outside the allowed ranges. */
    public long refused() {
        return refused.sum();
    }

    /** UDP answers sent with TC because they exceeded the client's size. */
    public long truncated() {
        return truncated.sum();
    }

    /**
     * Queries shed under overload: forwarded ones refused because too many were in flight, or UDP answers dropped
     * because the socket's send buffer was full (EAGAIN).
     */
    public long overloaded() {
        return overloaded.sum();
    }

    /** Forwarded queries that joined an identical query already in flight. */
    public long coalesced() {
        return coalesced.sum();
    }

    /** Times a TCP client's reading was paused because it did not read its answers. */
    public long tcpPaused() {
        return tcpPaused.sum();
    }

    /**
     * Forwarded queries answered at once (stale or SERVFAIL), nothing sent, because every upstream of the group
     * had a cached failure for the question (RFC 9520).
     */
    public long failureCacheHits() {
        return failureCacheHits.sum();
    }

    /** The upstreams registered, in registration order. */
    public List<Upstream> upstreams() {
        return Collections.unmodifiableList(upstreams);
    }

    /** The answer cache, null before a server registered it. */
    public AnswerCache cache() {
        return cache;
    }
}
