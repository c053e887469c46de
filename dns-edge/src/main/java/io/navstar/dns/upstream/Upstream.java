package io.navstar.dns.upstream;

import io.navstar.dns.cache.CacheKey;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.LongAdder;

/**
 * One upstream resolver: its address, a round-trip estimator that sets its retry timeout, a decaying
 * count of recent failures used to choose upstreams, the questions it failed to resolve lately
 * ({@link FailureCache}, RFC 9520), and its metrics. Shared by all event loops: estimator and failure
 * updates are {@code synchronized} (they happen once per forwarded query, off the local-answer path);
 * {@link #timeoutNanos()} and {@link #recentFailures} read racy but self-consistent snapshots; the
 * failure cache is concurrent.
 *
 * <p>The timeout follows RFC 6298 §2: SRTT and RTTVAR smoothed with alpha 1/8 and beta 1/4, timeout =
 * SRTT + 4 RTTVAR, clamped to [{@code minTimeout}, {@code maxTimeout}]; before the first sample it is
 * {@code initialTimeout}. Each timeout doubles the current value (§5.5 back-off) until the next sample.
 */
public final class Upstream {
    /** Half-life of the failure score: a failure counts half as much after this long. */
    private static final double FAILURE_HALF_LIFE_NANOS = 10e9;
    /** Latency histogram bucket upper bounds in microseconds (last bucket unbounded). */
    public static final long[] LATENCY_BUCKETS_MICROS = {250, 500, 1000, 2000, 5000, 10000, 25000, 50000, 100000,
            250000, 500000, 1000000, Long.MAX_VALUE};

    private final InetSocketAddress address;
    private final long minTimeoutNanos;
    private final long maxTimeoutNanos;
    private final long initialTimeoutNanos;

    private double srttNanos = -1;
    private double rttvarNanos;
    private volatile long timeoutNanos;
    private double failureScore;
    private long failureScoreAt;

    private final LongAdder queries = new LongAdder();
    private final LongAdder answers = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder tcpRetries = new LongAdder();
    private final LongAdder unreachable = new LongAdder();
    private final LongAdder failureCacheHits = new LongAdder();
    private final FailureCache failedQuestions;
    private final LongAdder[] latency = new LongAdder[LATENCY_BUCKETS_MICROS.length];
    private final LongAdder latencySumNanos = new LongAdder();

    public Upstream(InetSocketAddress address, long minTimeoutNanos, long maxTimeoutNanos, long initialTimeoutNanos) {
        this.address = address;
        this.failedQuestions = new FailureCache(FailureCache.DEFAULT_MAX_ENTRIES);
        this.minTimeoutNanos = minTimeoutNanos;
        this.maxTimeoutNanos = maxTimeoutNanos;
        this.initialTimeoutNanos = initialTimeoutNanos;
        this.timeoutNanos = clamp(initialTimeoutNanos);
        for (int i = 0; i < latency.length; i++) {
            latency[i] = new LongAdder();
        }
    }

    public InetSocketAddress address() {
        return address;
    }

    /** Current retry timeout for a query to this upstream. */
    public long timeoutNanos() {
        return timeoutNanos;
    }

    /** Smoothed RTT in nanoseconds, -1 before the first sample. */
    public synchronized long srttNanos() {
        return (long) srttNanos;
    }

    /** Records a round trip measured from one query to its answer (RFC 6298 §2.2, §2.3). */
    public synchronized void onAnswer(long rttNanos) {
        answers.increment();
        if (srttNanos < 0) {
            srttNanos = rttNanos;
            rttvarNanos = rttNanos / 2.0;
        } else {
            rttvarNanos = 0.75 * rttvarNanos + 0.25 * Math.abs(srttNanos - rttNanos);
            srttNanos = 0.875 * srttNanos + 0.125 * rttNanos;
        }
        timeoutNanos = clamp((long) (srttNanos + 4 * rttvarNanos));
        latencySumNanos.add(rttNanos);
        long micros = rttNanos / 1000;
        for (int i = 0; i < LATENCY_BUCKETS_MICROS.length; i++) {
            if (micros <= LATENCY_BUCKETS_MICROS[i]) {
                latency[i].increment();
                break;
            }
        }
    }

    /** A query to this upstream timed out: count it and back the timeout off (RFC 6298 §5.5). */
    public synchronized void onTimeout(long nowNanos) {
        timeouts.increment();
        timeoutNanos = clamp(Math.max(timeoutNanos * 2, initialTimeoutNanos));
        addFailure(nowNanos);
    }

    /** The upstream answered SERVFAIL/REFUSED or garbage, or its TCP connection failed. */
    public synchronized void onFailure(long nowNanos) {
        failures.increment();
        addFailure(nowNanos);
    }

    /**
     * An ICMP destination unreachable (port, host or network) was reported on one of this upstream's
     * connected sockets, or connecting one failed: count it as an event and as a failure.
     */
    public synchronized void onUnreachable(long nowNanos) {
        unreachable.increment();
        addFailure(nowNanos);
    }

    /** Whether this upstream's failure to resolve {@code question} is cached (RFC 9520 §3.2): do not ask it. */
    public boolean backingOff(CacheKey question, long nowNanos) {
        return failedQuestions.backingOff(question, nowNanos);
    }

    /** This upstream was not asked {@code question} because its failure for it is cached. */
    public void onFailureCacheHit() {
        failureCacheHits.increment();
    }

    /** This upstream failed to resolve {@code question} (an immutable key): back off asking it again. */
    public void recordResolutionFailure(CacheKey question, long nowNanos) {
        failedQuestions.recordFailure(question, nowNanos);
    }

    /** This upstream answered {@code question}: its failure backoff for it ends. */
    public void recordResolutionSuccess(CacheKey question) {
        failedQuestions.recordSuccess(question);
    }

    public void onQuery() {
        queries.increment();
    }

    public void onTcpRetry() {
        tcpRetries.increment();
    }

    private void addFailure(long nowNanos) {
        failureScore = decayed(nowNanos) + 1;
        failureScoreAt = nowNanos;
    }

    /** Failures with exponential decay (half-life 10 s): "fewest recent failures" chooses by this. */
    public synchronized double recentFailures(long nowNanos) {
        return decayed(nowNanos);
    }

    private double decayed(long nowNanos) {
        if (failureScore == 0) {
            return 0;
        }
        return failureScore * Math.pow(0.5, (nowNanos - failureScoreAt) / FAILURE_HALF_LIFE_NANOS);
    }

    private long clamp(long nanos) {
        return Math.max(minTimeoutNanos, Math.min(maxTimeoutNanos, nanos));
    }

    /** Counters of this upstream at this moment. */
    public Stats stats() {
        long[] buckets = new long[latency.length];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = latency[i].sum();
        }
        return new Stats(address.toString(), queries.sum(), answers.sum(), failures.sum(), timeouts.sum(),
                tcpRetries.sum(), unreachable.sum(), failureCacheHits.sum(), failedQuestions.size(),
                failedQuestions.evictions(), srttNanos(), timeoutNanos, buckets, latencySumNanos.sum());
    }

    /**
     * Upstream counters.
     *
     * @param address upstream address
     * @param queries queries sent (UDP and TCP)
     * @param answers good or negative answers received
     * @param failures SERVFAIL/REFUSED/garbage answers and TCP failures
     * @param timeouts queries whose retry timeout expired first
     * @param tcpRetries truncated answers retried over TCP
     * @param unreachable ICMP destination-unreachable errors reported on its sockets (a socket holds one
     *     pending error, so ICMP messages arriving together count once), and failed connects
     * @param failureCacheHits questions not sent to it because its failure for them was cached (RFC 9520)
     * @param failedQuestions questions whose failure it remembers now (in backoff, or their streak)
     * @param failedQuestionEvictions remembered failures dropped to stay within the bound
     * @param srttNanos smoothed round trip, -1 before any answer
     * @param timeoutNanos current retry timeout
     * @param latencyBuckets answers per latency bucket ({@link #LATENCY_BUCKETS_MICROS}), not cumulative
     * @param latencySumNanos the round trips of all answers added up
     */
    public record Stats(String address, long queries, long answers, long failures, long timeouts, long tcpRetries,
                        long unreachable, long failureCacheHits, long failedQuestions, long failedQuestionEvictions,
                        long srttNanos, long timeoutNanos, long[] latencyBuckets, long latencySumNanos) {
    }
}
