package io.navstar.agent.lb;

import io.navstar.agent.lb.kernel.FlowReaper;
import io.navstar.agent.lb.kernel.KernelLbTables;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The load balancer's upkeep of the kernel tables, on a schedule: every {@link #SWEEP_INTERVAL} a sweep forgets what
 * removed VIPs and backends left in the kernel once their flows have ended ({@link KernelLbTables#sweep}), and rounds
 * of {@link FlowReaper} delete expired flows at a pace set by how many the last round found.
 *
 * <p>Threading: both jobs run on one thread of their own, so their table scans never hold up an apply or the
 * attaching of a new interface. A sweep begins and finishes under the apply lock and reads the flow tables without
 * it; the counters may be read from any thread.
 */
final class LbHousekeeping implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LbHousekeeping.class);
    /** How often the kernel is swept; its flow tables are read only when a VIP or backend has gone since. */
    static final Duration SWEEP_INTERVAL = Duration.ofMinutes(5);
    /** Bounds of the pause between two rounds of {@link FlowReaper}; the first round comes after the longest. */
    static final Duration REAP_MIN = Duration.ofSeconds(5);
    static final Duration REAP_MAX = Duration.ofMinutes(2);

    private final KernelLbTables tables;
    private final FlowReaper reaper;
    private final Object applyLock;
    private final LongSupplier applyGeneration;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("lb-reaper").daemon().unstarted(r));
    /** Written by the housekeeping thread only; read by any. */
    private volatile long sweptEndpoints;
    private volatile long sweptFilterBits;
    private volatile long reapedFlows;
    private volatile long reapNanos;
    private volatile Duration reapPause = REAP_MAX;

    /**
     * @param applyLock       the lock applies hold while they change the tables
     * @param applyGeneration read under {@code applyLock}: a number every apply changes
     */
    LbHousekeeping(KernelLbTables tables, FlowReaper reaper, Object applyLock, LongSupplier applyGeneration) {
        this.tables = tables;
        this.reaper = reaper;
        this.applyLock = applyLock;
        this.applyGeneration = applyGeneration;
    }

    /** Schedules the first sweep after {@link #SWEEP_INTERVAL} and the first reaping round after {@link #REAP_MAX}. */
    void start() {
        long sweepMillis = SWEEP_INTERVAL.toMillis();
        thread.scheduleWithFixedDelay(this::sweep, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
        thread.schedule(this::reapAndReschedule, reapPause.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * One sweep of the kernel ({@link KernelLbTables#beginSweep}): begun and finished under the apply lock, the
     * flow tables read without it, so an apply waits for no scan; a sweep an apply overtook is dropped (the next
     * one starts afresh). Returns its report, or null when it was dropped or failed.
     */
    KernelLbTables.SweepReport sweep() {
        try {
            KernelLbTables.Sweep sweep;
            long generation;
            synchronized (applyLock) {
                sweep = tables.beginSweep();
                generation = applyGeneration.getAsLong();
            }
            sweep.scanFlows(System.nanoTime());
            synchronized (applyLock) {
                if (applyGeneration.getAsLong() != generation) {
                    LOG.debug("sweep dropped: the state changed while it read the flows");
                    return null;
                }
                KernelLbTables.SweepReport report = tables.finishSweep(sweep);
                sweptEndpoints += report.removedEndpoints();
                sweptFilterBits += report.vipBits() + report.backendBits();
                if (report.staleEndpoints() > 0 || report.vipBits() + report.backendBits() > 0) {
                    LOG.info("swept the kernel: {}", report);
                }
                return report;
            }
        } catch (RuntimeException e) {
            LOG.warn("sweep: {}", e.toString());
            return null;
        }
    }

    /**
     * One round of {@link FlowReaper}, then the next one scheduled: sooner when this round deleted over an eighth of
     * what the tables hold (flows end faster than the pause lets them be reaped), later when under a 64th, between
     * {@link #REAP_MIN} and {@link #REAP_MAX}. Runs without the apply lock.
     */
    private void reapAndReschedule() {
        try {
            FlowReaper.Report report = reaper.reap(System.nanoTime());
            reapedFlows += report.deleted();
            reapNanos = report.nanos();
            reapPause = nextReapPause(reapPause, report.deleted(), reaper.capacity());
            LOG.debug("reaped {}; next round in {}", report, reapPause);
        } catch (RuntimeException e) {
            LOG.warn("reaping expired flows: {}", e.toString());
        }
        try {
            thread.schedule(this::reapAndReschedule, reapPause.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // closing
        }
    }

    /** The pause after a round that deleted {@code deleted} of {@code capacity} entries (see reapAndReschedule). */
    static Duration nextReapPause(Duration pause, long deleted, long capacity) {
        Duration next = pause;
        if (deleted > capacity / 8) {
            next = pause.dividedBy(2);
        } else if (deleted < capacity / 64) {
            next = pause.multipliedBy(2);
        }
        return next.compareTo(REAP_MIN) < 0 ? REAP_MIN : next.compareTo(REAP_MAX) > 0 ? REAP_MAX : next;
    }

    long sweptEndpoints() {
        return sweptEndpoints;
    }

    long sweptFilterBits() {
        return sweptFilterBits;
    }

    long reapedFlows() {
        return reapedFlows;
    }

    long reapNanos() {
        return reapNanos;
    }

    Duration reapPause() {
        return reapPause;
    }

    /** Stops the schedule and waits for a scan under way, which reads maps the caller is about to close. */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            // a scan checks no interrupt: let it end
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
