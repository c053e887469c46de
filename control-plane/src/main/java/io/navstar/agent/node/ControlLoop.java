package io.navstar.agent.node;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The agent's one control thread. Every source of change (KV commits, membership, tasks, health checks) calls
 * {@link #request()}, which only sets a flag: the first request after a recompute schedules the next one
 * {@link #debounce} later, and every request until it starts is absorbed by it. So a burst of events costs one
 * recompute, a change waits at most the debounce plus one recompute, and no caller (the KV store's thread, the
 * gossip loop) ever blocks or runs the compile itself.
 *
 * <p>Thread-safe: {@link #request} and {@link #execute} from any thread; the recompute runs on the control thread.
 */
final class ControlLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlLoop.class);

    private final ScheduledExecutorService thread;
    private final Duration debounce;
    private final Runnable recompute;
    private final AtomicBoolean scheduled = new AtomicBoolean();

    ControlLoop(Duration debounce, Runnable recompute) {
        this.debounce = debounce;
        this.recompute = recompute;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("navstar-control")
                .unstarted(r));
    }

    /** Asks for a recompute soon; cheap and non-blocking. */
    void request() {
        if (scheduled.compareAndSet(false, true)) {
            try {
                thread.schedule(this::run, debounce.toNanos(), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                scheduled.set(false);
            }
        }
    }

    private void run() {
        scheduled.set(false); // a request from now on schedules another round
        try {
            recompute.run();
        } catch (RuntimeException e) {
            LOG.error("recompute failed; retrying in 1 s", e);
            try {
                thread.schedule(this::request, 1, TimeUnit.SECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // stopping
            }
        }
    }

    /** Runs {@code task} on the control thread {@code delay} from now, unless the loop is closed by then. */
    void schedule(Duration delay, Runnable task) {
        try {
            thread.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // stopping
        }
    }

    /** Runs {@code task} on the control thread and waits for it. */
    void execute(Runnable task) {
        try {
            thread.submit(task).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    ExecutorService executor() {
        return thread;
    }

    /** Lets a recompute under way finish, then stops. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
