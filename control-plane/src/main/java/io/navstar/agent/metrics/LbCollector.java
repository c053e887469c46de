package io.navstar.agent.metrics;

import io.navstar.agent.lb.LbStatistics;
import io.navstar.agent.lb.abi.LbDropReason;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.List;

import static io.navstar.agent.metrics.Families.count;
import static io.navstar.agent.metrics.Families.counter;
import static io.navstar.agent.metrics.Families.counters;
import static io.navstar.agent.metrics.Families.gauge;
import static io.navstar.agent.metrics.Families.gauges;
import static io.navstar.agent.metrics.Families.level;

/**
 * Minuteman's families ({@code navstar_lb_*}): per VIP and per backend packets, bytes, new flows and refusals, and
 * per reason the packets dropped, refused or passed untranslated (the kernel's per-CPU counters, summed), what
 * the health rule made of them, the applies' latency, the upkeep of the kernel tables, and the
 * kernel memory of each map; one
 * {@link LbStatistics#snapshot()} per scrape, a few batched syscalls. VIPs are labelled as {@code tcp://11.0.0.1:80},
 * backends as {@code 10.0.1.2:8080}, drop reasons by {@link LbDropReason#label()}.
 *
 * <p>Threading: {@link #collect} from any thread (the scraping one).
 */
final class LbCollector implements MultiCollector {
    private static final long[] APPLY_BUCKETS_NANOS = LbStatistics.APPLY_BUCKETS_NANOS.stream()
            .mapToLong(Long::longValue).toArray();

    private final LbStatistics statistics;

    LbCollector(LbStatistics statistics) {
        this.statistics = statistics;
    }

    @Override
    public MetricSnapshots collect() {
        LbStatistics.Snapshot snapshot = statistics.snapshot();
        CounterSnapshot.Builder vipPackets = counters("navstar_lb_vip_packets", "Packets from clients to a VIP.");
        CounterSnapshot.Builder vipBytes = counters("navstar_lb_vip_bytes", "Bytes of packets from clients to a VIP.");
        CounterSnapshot.Builder vipFlows = counters("navstar_lb_vip_new_flows", "Flows to a VIP that got a backend.");
        CounterSnapshot.Builder vipRefused = counters("navstar_lb_vip_refused_flows",
                "New flows to a VIP refused because it had no usable backend.");
        for (LbStatistics.VipCounters vip : snapshot.vips()) {
            String label = vip.vip().toString();
            vipPackets.dataPoint(count(vip.packets(), "vip", label));
            vipBytes.dataPoint(count(vip.bytes(), "vip", label));
            vipFlows.dataPoint(count(vip.newFlows(), "vip", label));
            vipRefused.dataPoint(count(vip.refused(), "vip", label));
        }
        CounterSnapshot.Builder packets = counters("navstar_lb_backend_packets",
                "Packets of a backend's flows (and of their replies in tc and xdp modes).");
        CounterSnapshot.Builder bytes = counters("navstar_lb_backend_bytes", "Bytes of those packets.");
        CounterSnapshot.Builder flows = counters("navstar_lb_backend_new_flows",
                "Flows the data plane gave a backend.");
        CounterSnapshot.Builder replied = counters("navstar_lb_backend_replied_flows",
                "Flows of a backend whose first reply the data plane saw (tc and xdp modes).");
        CounterSnapshot.Builder events = counters("navstar_lb_backend_new_flow_events",
                "New flows of a backend as the health rule last sampled its counter, every 50 ms (tc and xdp modes).");
        CounterSnapshot.Builder unanswered = counters("navstar_lb_backend_unanswered_flows",
                "New flows of a backend that got no reply in time, a lower bound from its counters "
                        + "(tc and xdp modes).");
        GaugeSnapshot.Builder recent = gauges("navstar_lb_backend_recent_new_flows",
                "New flows per second of a backend, between the last two readings of its counter a second or more apart.");
        GaugeSnapshot.Builder skipped = gauges("navstar_lb_backend_health_skipped",
                "1 while the health rule keeps a backend out of the Maglev tables, else 0.");
        for (LbStatistics.BackendCounters backend : snapshot.backends()) {
            String label = backend.backend().toString();
            packets.dataPoint(count(backend.packets(), "backend", label));
            bytes.dataPoint(count(backend.bytes(), "backend", label));
            flows.dataPoint(count(backend.newFlows(), "backend", label));
            replied.dataPoint(count(backend.repliedFlows(), "backend", label));
            events.dataPoint(count(backend.sampledNewFlows(), "backend", label));
            unanswered.dataPoint(count(backend.unansweredFlows(), "backend", label));
            recent.dataPoint(level(backend.newFlowsPerSecond(), "backend", label));
            skipped.dataPoint(level(backend.skipped() ? 1 : 0, "backend", label));
        }
        CounterSnapshot.Builder drops = counters("navstar_lb_drops",
                "Packets (sock mode: calls) the load balancer dropped, refused or passed untranslated, and entries "
                        + "its tables could not take, by reason; docs/metrics.md explains each reason.");
        for (LbDropReason reason : LbDropReason.values()) {
            drops.dataPoint(count(snapshot.drops(reason), "reason", reason.label()));
        }
        GaugeSnapshot.Builder mapMemory = gauges("navstar_lb_map_memory_bytes",
                "Kernel memory of each of the data plane's maps, the kernel's own figure (memlock); lb_maglev_tables "
                        + "with every VIP's table in it; an object's own maps as object/map.");
        snapshot.mapMemory().forEach((map, memory) -> mapMemory.dataPoint(level(memory, "map", map)));
        LbStatistics.Housekeeping housekeeping = snapshot.housekeeping();
        List<Long> applyCounts = snapshot.applyLatency().bucketCounts();
        long[] counts = new long[applyCounts.size()];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = applyCounts.get(i);
        }
        return MetricSnapshots.of(
                vipPackets.build(), vipBytes.build(), vipFlows.build(), vipRefused.build(),
                packets.build(), bytes.build(), flows.build(), replied.build(), events.build(), unanswered.build(),
                recent.build(), skipped.build(), drops.build(), mapMemory.build(),
                Families.histograms("navstar_lb_apply_duration_seconds",
                        "Time to apply a desired state to the kernel's maps.")
                        .dataPoint(Families.distribution(APPLY_BUCKETS_NANOS, Families.NANOS_PER_SECOND, counts,
                                snapshot.applyLatency().sumNanos() / Families.NANOS_PER_SECOND))
                        .build(),
                counter("navstar_lb_health_reapplies",
                        "Re-applies because the health rule skipped or restored a backend.", snapshot.healthApplies()),
                counter("navstar_lb_swept_endpoints", "Records of removed VIPs and backends deleted by sweeps.",
                        housekeeping.sweptEndpoints()),
                counter("navstar_lb_swept_address_filter_entries",
                        "Address filter entries (one bit each) cleared by sweeps.",
                        housekeeping.sweptFilterBits()),
                counter("navstar_lb_reaped_flows", "Expired reverse-NAT entries (lb_reverse) deleted by the reaper.",
                        housekeeping.reapedFlows()),
                gauge("navstar_lb_last_reap_duration_seconds", "How long the last reaping round took.",
                        housekeeping.lastReap().toNanos() / Families.NANOS_PER_SECOND),
                gauge("navstar_lb_reap_pause_seconds", "The pause before the next reaping round.",
                        housekeeping.reapPause().toNanos() / Families.NANOS_PER_SECOND));
    }
}
