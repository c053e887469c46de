package io.navstar.agent.metrics;

import io.navstar.gossip.metrics.GossipMetrics;
import io.navstar.gossip.wire.MessageType;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.Locale;

import static io.navstar.agent.metrics.Families.count;
import static io.navstar.agent.metrics.Families.counter;
import static io.navstar.agent.metrics.Families.counters;
import static io.navstar.agent.metrics.Families.gauge;

/**
 * The gossip node's families ({@code navstar_gossip_*}): view sizes, membership, messages and bytes by type,
 * probe round trips, failures detected and frames lost, read from {@link GossipMetrics} at scrape time; the
 * receive loops keep counting into its plain atomics and never see the Prometheus client.
 *
 * <p>Threading: {@link #collect} from any thread (the scraping one).
 */
final class GossipCollector implements MultiCollector {
    private final GossipMetrics metrics;

    GossipCollector(GossipMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public MetricSnapshots collect() {
        CounterSnapshot.Builder sent = counters("navstar_gossip_messages_sent", "Gossip messages sent, by type.");
        CounterSnapshot.Builder received = counters("navstar_gossip_messages_received",
                "Gossip messages received, by type.");
        CounterSnapshot.Builder sentBytes = counters("navstar_gossip_sent_bytes",
                "Bytes of whole gossip frames sent, by message type.");
        CounterSnapshot.Builder receivedBytes = counters("navstar_gossip_received_bytes",
                "Bytes of whole gossip frames received, by message type.");
        for (MessageType type : MessageType.values()) {
            String label = type.name().toLowerCase(Locale.ROOT);
            sent.dataPoint(count(metrics.messagesOut(type), "type", label));
            received.dataPoint(count(metrics.messagesIn(type), "type", label));
            sentBytes.dataPoint(count(metrics.bytesOut(type), "type", label));
            receivedBytes.dataPoint(count(metrics.bytesIn(type), "type", label));
        }
        return MetricSnapshots.of(
                gauge("navstar_gossip_active_view_peers", "Peers in the HyParView active view.",
                        metrics.activeViewSize()),
                gauge("navstar_gossip_passive_view_peers", "Peers in the HyParView passive view.",
                        metrics.passiveViewSize()),
                gauge("navstar_gossip_members", "Nodes known to global membership, this one included.",
                        metrics.members()),
                gauge("navstar_gossip_reachable_members", "Nodes reachable over the overlay, this one included.",
                        metrics.reachableNodes()),
                sent.build(), received.build(), sentBytes.build(), receivedBytes.build(),
                Families.histogram("navstar_gossip_probe_rtt_seconds",
                        "Round trips of health-check probes to active-view neighbours.",
                        metrics.probeRoundTrips(), Families.NANOS_PER_SECOND),
                counter("navstar_gossip_probe_timeouts", "Health-check probes that got no answer in time.",
                        metrics.probeTimeouts()),
                counter("navstar_gossip_failures_detected", "Neighbours found failed by health checks.",
                        metrics.failuresDetected()),
                counter("navstar_gossip_frames_dropped",
                        "Frames dropped by back-pressure, an unreachable peer or a closed transport.",
                        metrics.framesDropped()),
                counter("navstar_gossip_frames_rejected", "Frames the decoder rejected (their connection closed).",
                        metrics.framesRejected()),
                counter("navstar_gossip_handshake_failures", "Connection handshakes that failed.",
                        metrics.handshakeFailures()),
                counter("navstar_gossip_multicasts_delivered", "Multicast payloads delivered to this node.",
                        metrics.multicastsDelivered()),
                counter("navstar_gossip_multicast_duplicates", "Multicast payloads suppressed as duplicates.",
                        metrics.multicastDuplicates()));
    }
}
