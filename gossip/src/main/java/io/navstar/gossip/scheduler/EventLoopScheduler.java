package io.navstar.gossip.scheduler;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Scheduler} on one netty event loop, in real time. The TCP transport runs its channels on
 * the same loop, so a received frame reaches the protocol without a thread hop.
 *
 * <p>Thread-safe, like the event loop it wraps.
 */
public final class EventLoopScheduler implements Scheduler {

    private final EventLoop loop;

    public EventLoopScheduler(EventLoop loop) {
        this.loop = loop;
    }

    /** The wrapped loop. */
    public EventLoop eventLoop() {
        return loop;
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public long currentTimeMillis() {
        return System.currentTimeMillis();
    }

    @Override
    public Cancellable schedule(Runnable task, long delay, TimeUnit unit) {
        ScheduledFuture<?> future = loop.schedule(task, delay, unit);
        return () -> future.cancel(false);
    }

    @Override
    public boolean inSchedulerThread() {
        return loop.inEventLoop();
    }

    @Override
    public void execute(Runnable task) {
        loop.execute(task);
    }
}
