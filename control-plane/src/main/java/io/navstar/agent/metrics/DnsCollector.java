package io.navstar.agent.metrics;

import io.navstar.dns.cache.AnswerCache;
import io.navstar.dns.metrics.DnsMetrics;
import io.navstar.dns.metrics.QueryCounters;
import io.navstar.dns.upstream.Upstream;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static io.navstar.agent.metrics.Families.count;
import static io.navstar.agent.metrics.Families.counter;
import static io.navstar.agent.metrics.Families.counters;
import static io.navstar.agent.metrics.Families.gauge;
import static io.navstar.agent.metrics.Families.gauges;
import static io.navstar.agent.metrics.Families.level;

/**
 * Spartan's families ({@code navstar_dns_*}): answers by zone, transport, source and response code, input dropped
 * or rejected, the answer cache, and each upstream's queries, failures by reason and round-trip histogram; read from
 * {@link DnsMetrics}, the cache and the upstreams at scrape time, while the event loops keep counting into their
 * {@code LongAdder}s.
 *
 * <p>Threading: {@link #collect} from any thread (the scraping one).
 */
final class DnsCollector implements MultiCollector {
    /** Response code names by value (IANA DNS RCODEs, RFC 6895 §2.3); 16 is BADVERS (RFC 6891). */
    private static final String[] RCODE_NAMES = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
        "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI", "RCODE12", "RCODE13", "RCODE14",
        "RCODE15", "BADVERS"};

    private final DnsMetrics metrics;

    DnsCollector(DnsMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public MetricSnapshots collect() {
        List<MetricSnapshot> families = new ArrayList<>();
        families.add(queries());
        families.add(counter("navstar_dns_dropped",
                "Datagrams dropped unanswered (too short, responses, too long) and answers the kernel refused.",
                metrics.dropped()));
        families.add(counter("navstar_dns_malformed", "Queries answered FORMERR, NOTIMP or BADVERS.",
                metrics.malformed()));
        families.add(counter("navstar_dns_recursion_refused",
                "Queries for names not served locally from clients outside the ranges allowed recursion.",
                metrics.refused()));
        families.add(counter("navstar_dns_truncated", "Answers sent with TC because they exceeded the client's size.",
                metrics.truncated()));
        families.add(counter("navstar_dns_overloaded",
                "Queries shed under overload: too many forwarded queries in flight, or a full UDP send buffer.",
                metrics.overloaded()));
        families.add(counter("navstar_dns_coalesced", "Forwarded queries that joined an identical one in flight.",
                metrics.coalesced()));
        families.add(counter("navstar_dns_tcp_paused", "Times a TCP client's reading paused for unread answers.",
                metrics.tcpPaused()));
        families.add(counter("navstar_dns_failure_cache_hits",
                "Forwarded queries answered at once because every upstream's failure for them was cached (RFC 9520).",
                metrics.failureCacheHits()));
        AnswerCache cache = metrics.cache();
        if (cache != null) {
            cache(cache.stats(), families);
        }
        upstreams(metrics.upstreams(), families);
        return new MetricSnapshots(families);
    }

    private CounterSnapshot queries() {
        CounterSnapshot.Builder answers = counters("navstar_dns_queries",
                "Queries answered, by zone (empty when rejected before any lookup), transport, source of the answer "
                        + "(local, cache, stale, forwarded, rejected) and response code.");
        for (QueryCounters zone : metrics.zones()) {
            for (QueryCounters.Transport transport : QueryCounters.Transport.values()) {
                for (QueryCounters.Source source : QueryCounters.Source.values()) {
                    for (int rcode = 0; rcode < QueryCounters.RCODES; rcode++) {
                        long answered = zone.answered(transport, source, rcode);
                        if (answered != 0) {
                            answers.dataPoint(count(answered, "zone", zone.zone(),
                                    "transport", transport.name().toLowerCase(Locale.ROOT),
                                    "source", source.name().toLowerCase(Locale.ROOT), "rcode", RCODE_NAMES[rcode]));
                        }
                    }
                }
            }
        }
        return answers.build();
    }

    private static void cache(AnswerCache.Stats stats, List<MetricSnapshot> families) {
        families.add(counter("navstar_dns_cache_hits", "Answers served fresh from the cache.", stats.hits()));
        families.add(counter("navstar_dns_cache_misses", "Lookups forwarded because nothing fresh was cached.",
                stats.misses()));
        families.add(counter("navstar_dns_cache_stale_answers",
                "Expired answers served because every upstream failed (RFC 8767).", stats.staleServed()));
        families.add(counter("navstar_dns_cache_prefetches", "Refreshes started for popular entries near expiry.",
                stats.prefetches()));
        families.add(counter("navstar_dns_cache_evictions", "Entries dropped to stay within the cache's bounds.",
                stats.evictions()));
        families.add(counter("navstar_dns_cache_inserts", "Entries stored in the cache.", stats.inserts()));
        families.add(gauge("navstar_dns_cache_entries", "Entries in the cache.", stats.size()));
        families.add(gauge("navstar_dns_cache_bytes", "Estimated heap held by the cache.", stats.bytes()));
    }

    private static void upstreams(List<Upstream> upstreams, List<MetricSnapshot> families) {
        CounterSnapshot.Builder queries = counters("navstar_dns_upstream_queries",
                "Queries sent to an upstream (UDP and TCP).");
        CounterSnapshot.Builder answers = counters("navstar_dns_upstream_answers",
                "Good or negative answers received from an upstream.");
        CounterSnapshot.Builder failures = counters("navstar_dns_upstream_failures",
                "Failures of an upstream, by reason: error (SERVFAIL, REFUSED, garbage, TCP failure), timeout, "
                        + "unreachable (ICMP or failed connect).");
        CounterSnapshot.Builder tcpRetries = counters("navstar_dns_upstream_tcp_retries",
                "Truncated answers from an upstream retried over TCP.");
        CounterSnapshot.Builder failureCacheHits = counters("navstar_dns_upstream_failure_cache_hits",
                "Questions not sent to an upstream because its failure for them was cached (RFC 9520).");
        CounterSnapshot.Builder evictions = counters("navstar_dns_upstream_failed_question_evictions",
                "Remembered failures of an upstream dropped to stay within the bound.");
        GaugeSnapshot.Builder failedQuestions = gauges("navstar_dns_upstream_failed_questions",
                "Questions whose failure an upstream remembers now.");
        GaugeSnapshot.Builder srtt = gauges("navstar_dns_upstream_srtt_seconds",
                "Smoothed round trip to an upstream (RFC 6298), once it has answered.");
        GaugeSnapshot.Builder timeout = gauges("navstar_dns_upstream_timeout_seconds",
                "Current retry timeout of a query to an upstream.");
        HistogramSnapshot.Builder rtt = Families.histograms("navstar_dns_upstream_rtt_seconds",
                "Round trips from a query to an upstream's answer.");
        for (Upstream upstream : upstreams) {
            Upstream.Stats stats = upstream.stats();
            String name = label(upstream.address());
            queries.dataPoint(count(stats.queries(), "upstream", name));
            answers.dataPoint(count(stats.answers(), "upstream", name));
            failures.dataPoint(count(stats.failures(), "upstream", name, "reason", "error"));
            failures.dataPoint(count(stats.timeouts(), "upstream", name, "reason", "timeout"));
            failures.dataPoint(count(stats.unreachable(), "upstream", name, "reason", "unreachable"));
            tcpRetries.dataPoint(count(stats.tcpRetries(), "upstream", name));
            failureCacheHits.dataPoint(count(stats.failureCacheHits(), "upstream", name));
            evictions.dataPoint(count(stats.failedQuestionEvictions(), "upstream", name));
            failedQuestions.dataPoint(level(stats.failedQuestions(), "upstream", name));
            if (stats.srttNanos() >= 0) {
                srtt.dataPoint(level(stats.srttNanos() / Families.NANOS_PER_SECOND, "upstream", name));
            }
            timeout.dataPoint(level(stats.timeoutNanos() / Families.NANOS_PER_SECOND, "upstream", name));
            rtt.dataPoint(Families.distribution(Upstream.LATENCY_BUCKETS_MICROS, Families.MICROS_PER_SECOND,
                    stats.latencyBuckets(), stats.latencySumNanos() / Families.NANOS_PER_SECOND, "upstream", name));
        }
        families.add(queries.build());
        families.add(answers.build());
        families.add(failures.build());
        families.add(tcpRetries.build());
        families.add(failureCacheHits.build());
        families.add(evictions.build());
        families.add(failedQuestions.build());
        families.add(srtt.build());
        families.add(timeout.build());
        families.add(rtt.build());
    }

    /** An upstream as {@code 192.0.2.1:53} or {@code [2001:db8::1]:53}. */
    private static String label(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (address.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
