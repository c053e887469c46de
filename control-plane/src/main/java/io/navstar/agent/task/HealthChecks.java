package io.navstar.agent.task;

import io.navstar.agent.lb.model.Endpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The agent's own checks of its backends: a TCP connect to each every {@link #INTERVAL}; after
 * {@link #FAILURES_TO_DRAIN} failures in a row the backend is unhealthy (published with weight 0: draining, its
 * connections kept, no new ones) until one check passes again. Each check runs on a virtual thread, so a backend
 * that black-holes the SYN holds no platform thread while it times out.
 *
 * <p>Thread-safe: {@link #watch} and {@link #healthy} from any thread; the listener runs on a check's thread.
 */
public final class HealthChecks implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HealthChecks.class);
    public static final Duration INTERVAL = Duration.ofSeconds(2);
    public static final int FAILURES_TO_DRAIN = 3;
    /** A connect that takes longer counts as failed. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);

    private final Runnable listener;
    private final Duration interval;
    private final Map<Endpoint, State> states = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;

    private static final class State {
        volatile int failures;
        volatile boolean healthy = true;
        volatile boolean running;
    }

    /** @param listener told when a backend turns healthy or unhealthy */
    public HealthChecks(Runnable listener) {
        this(listener, INTERVAL);
    }

    HealthChecks(Runnable listener, Duration interval) {
        this.listener = listener;
        this.interval = interval;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("navstar-health")
                .daemon().unstarted(r));
        timer.scheduleWithFixedDelay(this::round, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Checks exactly these backends from now on (new ones start healthy; dropped ones are forgotten). */
    public void watch(Set<Endpoint> backends) {
        states.keySet().retainAll(backends);
        for (Endpoint backend : backends) {
            states.computeIfAbsent(backend, b -> new State());
        }
    }

    /** Whether a backend may take new connections (unknown backends are). */
    public boolean healthy(Endpoint backend) {
        State state = states.get(backend);
        return state == null || state.healthy;
    }

    private void round() {
        for (Map.Entry<Endpoint, State> e : states.entrySet()) {
            State state = e.getValue();
            if (!state.running) { // a check still waiting on its connect is not started twice
                state.running = true;
                Thread.ofVirtual().name("navstar-check").start(() -> check(e.getKey(), state));
            }
        }
    }

    private void check(Endpoint backend, State state) {
        boolean passed;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(backend.address(), backend.port()), (int) CONNECT_TIMEOUT.toMillis());
            passed = true;
        } catch (IOException e) {
            passed = false;
        } finally {
            state.running = false;
        }
        boolean changed;
        if (passed) {
            state.failures = 0;
            changed = !state.healthy;
            state.healthy = true;
        } else {
            state.failures++;
            changed = state.healthy && state.failures >= FAILURES_TO_DRAIN;
            if (changed) {
                state.healthy = false;
            }
        }
        if (changed && states.get(backend) == state) {
            LOG.info("backend {} is {}", backend, state.healthy ? "healthy again" : "unhealthy: draining (weight 0)");
            listener.run();
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
