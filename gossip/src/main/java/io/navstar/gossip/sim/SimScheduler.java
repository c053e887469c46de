package io.navstar.gossip.sim;

import io.navstar.gossip.scheduler.Scheduler;
import java.time.Duration;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Simulated time for many nodes in one thread: a queue of events ordered by (time, insertion), run
 * by whoever calls {@link #runFor} or {@link #runUntil}. Nothing depends on the wall clock or on
 * thread timing, so a simulation with the same seed replays exactly.
 *
 * <p>Not thread-safe: one thread creates the simulation and drives it; tasks run on that thread.
 */
public final class SimScheduler implements Scheduler {

    /** Simulated wall clock at simulated time zero (2026-01-01T00:00:00Z). */
    public static final long START_MILLIS = 1_767_225_600_000L;

    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private long now;
    private long sequence;
    private long executed;

    private static final class Event implements Comparable<Event>, Cancellable {
        final long time;
        final long sequence;
        final Runnable task;
        boolean cancelled;

        Event(long time, long sequence, Runnable task) {
            this.time = time;
            this.sequence = sequence;
            this.task = task;
        }

        @Override
        public int compareTo(Event other) {
            return time != other.time ? Long.compare(time, other.time) : Long.compare(sequence, other.sequence);
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public long currentTimeMillis() {
        return START_MILLIS + now / 1_000_000;
    }

    @Override
    public Cancellable schedule(Runnable task, long delay, TimeUnit unit) {
        Event event = new Event(now + Math.max(0, unit.toNanos(delay)), sequence++, task);
        queue.add(event);
        return event;
    }

    @Override
    public boolean inSchedulerThread() {
        return true;
    }

    @Override
    public void execute(Runnable task) {
        schedule(task, 0, TimeUnit.NANOSECONDS);
    }

    /** Runs every event due up to {@code now + duration}, then sets the clock there. */
    public void runFor(Duration duration) {
        runUntilTime(now + duration.toNanos());
    }

    /** Runs every event due up to the absolute simulated time {@code deadlineNanos}. */
    public void runUntilTime(long deadlineNanos) {
        Event event;
        while ((event = queue.peek()) != null && event.time <= deadlineNanos) {
            queue.poll();
            if (!event.cancelled) {
                now = event.time;
                executed++;
                event.task.run();
            }
        }
        now = Math.max(now, deadlineNanos);
    }

    /**
     * Runs in steps of {@code step} until {@code condition} holds or {@code limit} has passed.
     *
     * @return the simulated time it took, or null when the limit passed first
     */
    public Duration runUntil(BooleanSupplier condition, Duration step, Duration limit) {
        long start = now;
        long deadline = now + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (now >= deadline) {
                return null;
            }
            runUntilTime(Math.min(deadline, now + step.toNanos()));
        }
        return Duration.ofNanos(now - start);
    }

    /** Events run so far. */
    public long executedEvents() {
        return executed;
    }

    /** Events waiting (cancelled ones included until their time). */
    public int pendingEvents() {
        return queue.size();
    }
}
