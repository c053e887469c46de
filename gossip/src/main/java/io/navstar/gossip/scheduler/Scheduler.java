package io.navstar.gossip.scheduler;

import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The clock and the single thread a gossip node runs on. Every protocol component of a node is
 * confined to its scheduler: timers fire and messages arrive on that one thread, so components need
 * no locks. {@link EventLoopScheduler} runs on a netty event loop in real time;
 * {@code io.navstar.gossip.sim.SimScheduler} runs many nodes in simulated time, deterministically.
 *
 * <p>Implementations are thread-safe: {@link #execute} and {@link #schedule} may be called from any
 * thread.
 */
public interface Scheduler extends Executor {

    /** Monotonic time in nanoseconds (simulated time in a simulation). */
    long nanoTime();

    /** Runs {@code task} on the scheduler thread after {@code delay}. */
    Cancellable schedule(Runnable task, long delay, TimeUnit unit);

    /** Whether the caller is on the scheduler thread. */
    boolean inSchedulerThread();

    /** Wall-clock milliseconds since the Unix epoch (simulated in a simulation). */
    long currentTimeMillis();

    /** A scheduled task that can be cancelled; cancelling twice or after it ran is harmless. */
    interface Cancellable {
        void cancel();
    }
}
