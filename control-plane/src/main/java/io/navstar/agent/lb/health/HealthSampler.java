package io.navstar.agent.lb.health;

import io.navstar.agent.lb.kernel.LbCounters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;

/**
 * Runs the passive health rule ({@link BackendHealth}) in tc and xdp modes: every {@link BackendHealth#SAMPLE_NANOS}
 * it reads the counters of every backend id below the highest in use, in one BPF_MAP_LOOKUP_BATCH per 1,024 ids
 * ({@link LbCounters#backendsBelow}), not a syscall per backend, and calls the listener when the set of skipped
 * backends changed. The data plane tells it nothing per flow. Sock mode sees no replies, and does not start it.
 *
 * <p>Threading: one thread of its own, started by {@link #start()} and stopped by {@link #close()}; {@link #health()}
 * may be read from any thread.
 */
public final class HealthSampler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HealthSampler.class);

    /** Called (on the sampler's thread) when the set of skipped backends changed. */
    @FunctionalInterface
    public interface SkipListener {
        void skippedChanged();
    }

    private final IntSupplier backendIdBound;
    private final IntFunction<long[]> readBackendCounters;
    private final BackendHealth health;
    private final SkipListener listener;
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * @param backendIdBound      every backend id in use is below this (read before each sample)
     * @param readBackendCounters the counters of the ids below a bound, {@link LbCounters#FIELDS} longs per id
     * @param maxBackends         backend ids are below this
     */
    public HealthSampler(IntSupplier backendIdBound, IntFunction<long[]> readBackendCounters, int maxBackends,
                         SkipListener listener) {
        this.backendIdBound = backendIdBound;
        this.readBackendCounters = readBackendCounters;
        this.health = new BackendHealth(maxBackends);
        this.listener = listener;
        this.thread = Thread.ofPlatform().name("lb-health").daemon().unstarted(this::run);
    }

    public void start() {
        thread.start();
    }

    public BackendHealth health() {
        return health;
    }

    private void run() {
        long next = System.nanoTime();
        while (running) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(this, wait);
                continue; // woken early (close) or on time: check again
            }
            long readStart = System.nanoTime();
            // the next read starts a full period after this one, however long this one takes: samples never
            // crowd closer than BackendHealth's history assumes
            next = readStart + BackendHealth.SAMPLE_NANOS;
            try {
                int bound = backendIdBound.getAsInt();
                long[] totals = readBackendCounters.apply(bound);
                if (health.sample(readStart, System.nanoTime(), totals, bound)) {
                    listener.skippedChanged();
                }
            } catch (RuntimeException e) {
                if (running) {
                    LOG.warn("health sample: {}", e.toString());
                }
            }
        }
    }

    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
