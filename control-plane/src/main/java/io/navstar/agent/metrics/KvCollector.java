package io.navstar.agent.metrics;

import io.navstar.gossip.kv.KvMetrics;
import io.navstar.gossip.kv.KvReplicator;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.Locale;

import static io.navstar.agent.metrics.Families.count;
import static io.navstar.agent.metrics.Families.counter;
import static io.navstar.agent.metrics.Families.counters;
import static io.navstar.agent.metrics.Families.gauge;
import static io.navstar.agent.metrics.Families.gauges;
import static io.navstar.agent.metrics.Families.histogram;
import static io.navstar.agent.metrics.Families.level;

/**
 * The KV store's families ({@code navstar_kv_*}): state size, local operations by result and their latency, the
 * requests each group commit made durable, refusals for overload, deltas and anti-entropy traffic, read from
 * {@link KvMetrics}; and each neighbour's replication lag, read from the {@link KvReplicator}; all at scrape time.
 *
 * <p>Threading: {@link #collect} from any thread (the scraping one).
 */
final class KvCollector implements MultiCollector {
    private final KvMetrics metrics;
    private final KvReplicator replicator;

    KvCollector(KvMetrics metrics, KvReplicator replicator) {
        this.metrics = metrics;
        this.replicator = replicator;
    }

    @Override
    public MetricSnapshots collect() {
        CounterSnapshot.Builder operations = counters("navstar_kv_operations",
                "Local KV operations, by how they ended.");
        for (KvMetrics.OpResult result : KvMetrics.OpResult.values()) {
            operations.dataPoint(count(metrics.operations(result), "result", result.name().toLowerCase(Locale.ROOT)));
        }
        GaugeSnapshot.Builder lag = gauges("navstar_kv_replication_lag_seconds",
                "Age of the oldest change to this node's KV store that a neighbour has not confirmed by anti-entropy,"
                        + " 0 when it confirmed all; confirmation trails delta delivery by up to one anti-entropy"
                        + " interval.");
        GaugeSnapshot.Builder pending = gauges("navstar_kv_replication_pending_changes",
                "Changes to this node's KV store (one per key and commit, local or merged from peers) that a"
                        + " neighbour has not confirmed by anti-entropy.");
        for (KvReplicator.ReplicationLag neighbour : replicator.replicationLag()) {
            lag.dataPoint(level(neighbour.lagNanos() / Families.NANOS_PER_SECOND, "peer", neighbour.peer()));
            pending.dataPoint(level(neighbour.pendingChanges(), "peer", neighbour.peer()));
        }
        return MetricSnapshots.of(
                gauge("navstar_kv_keys", "Keys in the KV store.", metrics.keys()),
                gauge("navstar_kv_value_bytes", "Encoded size of every value in the KV store.", metrics.bytes()),
                operations.build(),
                histogram("navstar_kv_operation_duration_seconds",
                        "Time from a local operation's request to its durable acknowledgement.",
                        metrics.operationLatency(), Families.NANOS_PER_SECOND),
                histogram("navstar_kv_group_commit_requests",
                        "Requests made durable by each commit (one fsync for the whole group).",
                        metrics.commitBatches(), 1),
                counter("navstar_kv_overloaded", "Requests refused at once because the store's queue was full.",
                        metrics.overloaded()),
                counter("navstar_kv_deltas_sent", "Deltas of local operations multicast to peers.",
                        metrics.deltasSent()),
                counter("navstar_kv_deltas_received", "Deltas received from peers.", metrics.deltasReceived()),
                counter("navstar_kv_deltas_already_known", "Deltas received that this replica already held.",
                        metrics.deltasAlreadyKnown()),
                counter("navstar_kv_anti_entropy_rounds", "Anti-entropy rounds started.",
                        metrics.antiEntropyRounds()),
                counter("navstar_kv_anti_entropy_sent_bytes", "Bytes of anti-entropy frames sent.",
                        metrics.antiEntropyBytesSent()),
                counter("navstar_kv_anti_entropy_received_bytes", "Bytes of anti-entropy frames received.",
                        metrics.antiEntropyBytesReceived()),
                counter("navstar_kv_anti_entropy_keys_sent", "Keys sent by anti-entropy.",
                        metrics.antiEntropyKeysSent()),
                counter("navstar_kv_full_exchanges", "Anti-entropy exchanges of the full state.",
                        metrics.fullExchanges()),
                counter("navstar_kv_corrupt_frames", "KV frames from peers that failed to decode.",
                        metrics.corruptFrames()),
                lag.build(),
                pending.build());
    }
}
