package io.navstar.agent.lb;

import io.navstar.agent.lb.abi.LbDropReason;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.VipKey;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the load balancer counts, as typed values for an exporter to publish (the agent's Prometheus metrics):
 * the kernel's per-VIP, per-backend and per-drop-reason counters, what the passive health rule made of them,
 * the housekeeping of the kernel tables, and the applies. Counters ({@code _total} in Prometheus terms) only grow
 * while one data plane lives; a VIP's or backend's start at zero when it is installed.
 *
 * <p>Threading: {@link #snapshot()} may be called from any thread; each call reads the kernel counters afresh.
 */
public interface LbStatistics {
    /** Upper bounds, in nanoseconds, of the apply latency buckets: 100 us to 10 s, then unbounded. */
    List<Long> APPLY_BUCKETS_NANOS = List.of(100_000L, 250_000L, 500_000L, 1_000_000L, 2_500_000L, 5_000_000L,
            10_000_000L, 25_000_000L, 50_000_000L, 100_000_000L, 250_000_000L, 500_000_000L, 1_000_000_000L,
            2_500_000_000L, 10_000_000_000L, Long.MAX_VALUE);

    /** Everything counted now, read in a few batched syscalls however many VIPs and backends there are. */
    Snapshot snapshot();

    /**
     * One reading.
     *
     * @param vips           every installed VIP, in {@link VipKey} order
     * @param backends       every backend of the desired state that is installed, in {@link Endpoint} order
     * @param drops          the kernel's drop counters summed over CPUs, by reason: every reason, in {@link
     *                       LbDropReason} order (one missing from the map given counts zero)
     * @param housekeeping   the sweeps and reaping rounds so far
     * @param applies        calls of {@link LoadBalancer#apply} so far
     * @param healthApplies  re-applies because the health rule skipped or restored a backend
     * @param lastApply      how long the last call of {@link LoadBalancer#apply} took (zero before the first)
     * @param applyLatency   how long every call took
     * @param mapMemory      the kernel memory of each map by name (the kernel's figure; lb_maglev_tables with its
     *                       tables), as {@code LbMapMemory.kernelBytes} reads it; at most some seconds old
     */
    record Snapshot(List<VipCounters> vips, List<BackendCounters> backends, Map<LbDropReason, Long> drops,
                    Housekeeping housekeeping, long applies, long healthApplies, Duration lastApply,
                    ApplyLatency applyLatency, Map<String, Long> mapMemory) {
        public Snapshot {
            mapMemory = Map.copyOf(mapMemory);
            vips = List.copyOf(vips);
            backends = List.copyOf(backends);
            EnumMap<LbDropReason, Long> every = new EnumMap<>(LbDropReason.class);
            for (LbDropReason reason : LbDropReason.values()) {
                every.put(reason, drops.getOrDefault(reason, 0L));
            }
            drops = Collections.unmodifiableMap(every);
        }

        /** The drop counter of one reason. */
        public long drops(LbDropReason reason) {
            return drops.get(reason);
        }

        /** The counters of one VIP, if it is installed. */
        public Optional<VipCounters> vip(VipKey key) {
            return vips.stream().filter(v -> v.vip().equals(key)).findFirst();
        }

        /** The counters of one backend, if it is installed. */
        public Optional<BackendCounters> backend(Endpoint endpoint) {
            return backends.stream().filter(b -> b.backend().equals(endpoint)).findFirst();
        }
    }

    /**
     * The durations of the applies.
     *
     * @param bucketCounts applies per bucket of {@link #APPLY_BUCKETS_NANOS}, not cumulative
     * @param sumNanos     their durations added up
     */
    record ApplyLatency(List<Long> bucketCounts, long sumNanos) {
        public ApplyLatency {
            bucketCounts = List.copyOf(bucketCounts);
        }
    }

    /**
     * A VIP's kernel counters, summed over CPUs.
     *
     * @param packets  packets from clients to the VIP
     * @param bytes    their bytes
     * @param newFlows flows that got a backend
     * @param refused  new flows refused because the VIP had no usable backend
     */
    record VipCounters(VipKey vip, long packets, long bytes, long newFlows, long refused) {
    }

    /**
     * A backend's kernel counters, summed over CPUs, and what the passive health rule made of them.
     *
     * @param packets           packets of its flows (and their replies, seen in tc and xdp modes)
     * @param bytes             their bytes
     * @param newFlows          flows the data plane gave it
     * @param repliedFlows      of those, flows whose first reply the data plane saw (tc and xdp modes)
     * @param sampledNewFlows   its new flows as the health rule last sampled them, every 50 ms (tc and xdp modes; 0 in
     *                          sock mode, which has no health rule)
     * @param newFlowsPerSecond new flows per second, from its kernel counter between two readings at least a second
     *                          apart (the last two snapshots that far apart)
     * @param unansweredFlows   new flows that got no reply in time (tc and xdp modes), estimated from the counters: a
     *                          lower bound (BackendHealth#unanswered)
     * @param skipped           true while the health rule keeps it out of the Maglev tables
     */
    record BackendCounters(Endpoint backend, long packets, long bytes, long newFlows, long repliedFlows,
                           long sampledNewFlows, long newFlowsPerSecond, long unansweredFlows, boolean skipped) {
    }

    /**
     * The upkeep of the kernel tables.
     *
     * @param sweptEndpoints  records of removed endpoints the sweeps deleted
     * @param sweptFilterBits address filter bits the sweeps cleared
     * @param reapedFlows     expired connection-table entries deleted
     * @param lastReap        how long the last reaping round took (zero before the first)
     * @param reapPause       the pause before the next reaping round
     */
    record Housekeeping(long sweptEndpoints, long sweptFilterBits, long reapedFlows, Duration lastReap,
                        Duration reapPause) {
    }
}
