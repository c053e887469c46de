package io.navstar.agent.lb;

import io.navstar.agent.lb.abi.LbDropReason;
import io.navstar.agent.lb.health.BackendHealth;
import io.navstar.agent.lb.kernel.LbCounters;
import io.navstar.agent.lb.model.BackendSpec;
import io.navstar.agent.lb.model.DesiredState;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.VipKey;
import io.navstar.agent.lb.model.VipSpec;
import io.navstar.agent.lb.plan.InstalledVip;
import io.navstar.agent.lb.plan.Reconciler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Supplier;

/**
 * The load balancer's {@link LbStatistics}: counts applies as they happen, and on each {@link #snapshot()} reads
 * the kernel's per-CPU counters in batches (every id below the highest in use: a few syscalls for any number of
 * VIPs and backends; one for every drop reason) and joins them with the reconciler's ids and what the health rule
 * made of its own samples.
 *
 * <p>Threading: {@link #applied} and {@link #healthApplied} from the applying thread (serialised by the caller),
 * {@link #snapshot()} from any thread.
 */
final class LbStatisticsCollector implements LbStatistics {
    private final Reconciler reconciler;
    private final LbCounters counters;
    private final BackendHealth health;
    private final LbHousekeeping housekeeping;
    private final Supplier<DesiredState> desired;
    private final Supplier<Map<String, Long>> mapMemory;
    /** The last reading of mapMemory and when it was taken (System.nanoTime), read again after MAP_MEMORY_TTL. */
    private volatile Map<String, Long> lastMapMemory;
    private volatile long mapMemoryReadAt;
    /** How long a reading of the maps' memory serves scrapes: it opens every Maglev table, and moves slowly. */
    static final Duration MAP_MEMORY_TTL = Duration.ofSeconds(15);
    private volatile long applies;
    private volatile long healthApplies;
    private volatile long lastApplyNanos;
    private final AtomicLongArray applyBuckets = new AtomicLongArray(APPLY_BUCKETS_NANOS.size());
    private volatile long applySumNanos;
    /** The shortest time between the two counter readings a rate of new flows is taken from. */
    static final long RATE_WINDOW_NANOS = 1_000_000_000L;
    /** New flows per backend id at the last rate reading, when it was taken (0: none yet), the rates it gave. */
    private long[] flowsAtRateReading = new long[0];
    private long rateReadingNanos;
    private long[] flowsPerSecond = new long[0];

    LbStatisticsCollector(Reconciler reconciler, LbCounters counters, BackendHealth health,
                          LbHousekeeping housekeeping, Supplier<DesiredState> desired,
                          Supplier<Map<String, Long>> mapMemory) {
        this.reconciler = reconciler;
        this.mapMemory = mapMemory;
        this.counters = counters;
        this.health = health;
        this.housekeeping = housekeeping;
        this.desired = desired;
    }

    /** An apply took {@code nanos}. */
    void applied(long nanos) {
        int bucket = 0;
        while (nanos > APPLY_BUCKETS_NANOS.get(bucket)) {
            bucket++;
        }
        applyBuckets.incrementAndGet(bucket);
        applySumNanos += nanos;
        applies++;
        lastApplyNanos = nanos;
    }

    /** The health rule's change of the skipped backends was applied. */
    void healthApplied() {
        healthApplies++;
    }

    @Override
    public Snapshot snapshot() {
        return new Snapshot(vips(), backends(), drops(),
                new Housekeeping(housekeeping.sweptEndpoints(), housekeeping.sweptFilterBits(),
                        housekeeping.reapedFlows(), Duration.ofNanos(housekeeping.reapNanos()), housekeeping.reapPause()),
                applies, healthApplies, Duration.ofNanos(lastApplyNanos), applyLatency(), mapMemory());
    }

    private Map<String, Long> mapMemory() {
        Map<String, Long> last = lastMapMemory;
        long now = System.nanoTime();
        if (last == null || now - mapMemoryReadAt > MAP_MEMORY_TTL.toNanos()) {
            last = mapMemory.get();
            lastMapMemory = last; // two scrapes at once may both read: harmless
            mapMemoryReadAt = now;
        }
        return last;
    }

    private ApplyLatency applyLatency() {
        List<Long> counts = new ArrayList<>(applyBuckets.length());
        for (int i = 0; i < applyBuckets.length(); i++) {
            counts.add(applyBuckets.get(i));
        }
        return new ApplyLatency(counts, applySumNanos);
    }

    private List<VipCounters> vips() {
        Map<VipKey, InstalledVip> installed = new TreeMap<>(reconciler.installed());
        int idsBelow = 0;
        for (InstalledVip vip : installed.values()) {
            idsBelow = Math.max(idsBelow, vip.vipId() + 1);
        }
        long[] totals = counters.vipsBelow(idsBelow);
        List<VipCounters> vips = new ArrayList<>(installed.size());
        installed.forEach((key, vip) -> {
            int at = vip.vipId() * LbCounters.FIELDS;
            vips.add(new VipCounters(key, totals[at], totals[at + 1], totals[at + 2], totals[at + 3]));
        });
        return vips;
    }

    private Map<LbDropReason, Long> drops() {
        long[] totals = counters.drops();
        Map<LbDropReason, Long> drops = new EnumMap<>(LbDropReason.class);
        for (LbDropReason reason : LbDropReason.values()) {
            drops.put(reason, totals[reason.number()]);
        }
        return drops;
    }

    private List<BackendCounters> backends() {
        Map<Endpoint, Integer> ids = new TreeMap<>();
        int idsBelow = 0;
        for (Endpoint backend : backendsOf(desired.get())) {
            int id = reconciler.backendId(backend);
            if (id >= 0) {
                ids.put(backend, id);
                idsBelow = Math.max(idsBelow, id + 1);
            }
        }
        long[] totals = counters.backendsBelow(idsBelow);
        long now = System.nanoTime();
        long[] rates = flowRates(totals, idsBelow, now);
        List<BackendCounters> backends = new ArrayList<>(ids.size());
        ids.forEach((backend, id) -> {
            int at = id * LbCounters.FIELDS;
            backends.add(new BackendCounters(backend, totals[at], totals[at + 1], totals[at + 2], totals[at + 3],
                    health.sampledNewFlows(id), id < rates.length ? rates[id] : 0, health.unanswered(id),
                    health.skipped(id, now)));
        });
        return backends;
    }

    /**
     * New flows per second of each backend id below {@code idsBelow}, from the kernel's counters ({@code totals},
     * {@link LbCounters#FIELDS} per id): over the time since the last reading when that is at least
     * {@link #RATE_WINDOW_NANOS} ago (which becomes the next reading), else the rates of the last reading. Zero at the
     * first reading; a counter that went down (an id given to another backend) counts as no flows.
     */
    private synchronized long[] flowRates(long[] totals, int idsBelow, long now) {
        if (rateReadingNanos != 0 && now - rateReadingNanos < RATE_WINDOW_NANOS) {
            return flowsPerSecond;
        }
        long[] flows = new long[idsBelow];
        long[] rates = new long[idsBelow];
        for (int id = 0; id < idsBelow; id++) {
            flows[id] = totals[id * LbCounters.FIELDS + 2];
            if (rateReadingNanos != 0 && id < flowsAtRateReading.length) {
                long added = Math.max(0, flows[id] - flowsAtRateReading[id]);
                rates[id] = Math.round(added * 1e9 / (now - rateReadingNanos));
            }
        }
        flowsAtRateReading = flows;
        flowsPerSecond = rates;
        rateReadingNanos = now;
        return rates;
    }

    private static TreeSet<Endpoint> backendsOf(DesiredState state) {
        TreeSet<Endpoint> set = new TreeSet<>();
        for (VipSpec spec : state.vips().values()) {
            for (BackendSpec b : spec.backends()) {
                set.add(b.endpoint());
            }
        }
        return set;
    }
}
