package io.navstar.agent.metrics;

import io.navstar.agent.api.ApiServer;
import io.navstar.agent.lb.LbStatistics;
import io.navstar.dns.metrics.DnsMetrics;
import io.navstar.gossip.kv.KvMetrics;
import io.navstar.gossip.kv.KvReplicator;
import io.navstar.gossip.metrics.GossipMetrics;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The agent's Prometheus metrics: one registry of its own (never the client's static default, so several agents
 * can live in one JVM) holding the JVM's metrics and an adapter per part that reads the part's own counters at
 * scrape time ({@code navstar_gossip_*}, {@code navstar_kv_*}, {@code navstar_dns_*}, {@code navstar_lb_*}). The
 * parts' hot paths count into plain {@code LongAdder}s and atomics as before and never call the client.
 *
 * <p>Served by the API as {@code GET /metrics} ({@link #endpoint()}): the text format 0.0.4, or OpenMetrics text
 * when the request's {@code Accept} asks for {@code application/openmetrics-text}.
 *
 * <p>Threading: parts are registered from the thread that starts the agent; {@link #scrape} from any thread.
 */
public final class AgentMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final ExpositionFormatWriter text = PrometheusTextFormatWriter.create();
    private final ExpositionFormatWriter openMetrics = OpenMetricsTextFormatWriter.create();

    /** A registry with the JVM's metrics (memory, GC, threads, classes, process). */
    public AgentMetrics() {
        JvmMetrics.builder().register(registry);
    }

    /** Adds the gossip node's families. */
    public AgentMetrics gossip(GossipMetrics metrics) {
        registry.register(new GossipCollector(metrics));
        return this;
    }

    /** Adds the KV store's families, with the replication lag toward each of {@code replicator}'s neighbours. */
    public AgentMetrics kv(KvMetrics metrics, KvReplicator replicator) {
        registry.register(new KvCollector(metrics, replicator));
        return this;
    }

    /** Adds Spartan's families. */
    public AgentMetrics dns(DnsMetrics metrics) {
        registry.register(new DnsCollector(metrics));
        return this;
    }

    /** Adds the load balancer's families. */
    public AgentMetrics lb(LbStatistics statistics) {
        registry.register(new LbCollector(statistics));
        return this;
    }

    /** The registry, for tests that read the model rather than the text. */
    public PrometheusRegistry registry() {
        return registry;
    }

    /** One scrape written in a format and its content type. */
    public record Exposition(String contentType, byte[] body) {
    }

    /**
     * Collects every family and writes them as OpenMetrics text when {@code accept} (an HTTP {@code Accept} header,
     * null when absent) asks for it, else in the Prometheus text format 0.0.4.
     */
    public Exposition scrape(String accept) {
        ExpositionFormatWriter writer = accept != null && openMetrics.accepts(accept) ? openMetrics : text;
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
        }
        return new Exposition(writer.getContentType(), out.toByteArray());
    }

    /** The handler of {@code GET /metrics}. */
    public ApiServer.Handler endpoint() {
        return request -> {
            Exposition exposition = scrape(request.header(HttpHeaderNames.ACCEPT.toString()));
            return new ApiServer.Reply(200, exposition.body(),
                    Map.of(HttpHeaderNames.CONTENT_TYPE.toString(), exposition.contentType()));
        };
    }
}
