package io.navstar.agent.lb.health;

import io.navstar.agent.lb.abi.Abi;
import io.navstar.agent.lb.abi.LbEvent;
import io.navstar.loader.BpfMap;
import io.navstar.loader.ringbuf.RingBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * Consumes the data plane's first-packet events (lb_events ring buffer): counts them per backend and feeds
 * {@link BackendHealth} in tc and xdp modes (sock mode emits none for new flows: it sees no replies to judge them
 * by, and flow counts and rates come from the kernel's per-CPU counters). One thread, started by
 * {@link #start()}; the event path allocates nothing (one flyweight re-pointed per record).
 *
 * <p>The thread drains the ring in batches rather than waking for each event: after a drain that found records it
 * sleeps {@link #BATCH_NANOS} before draining again, and only an empty ring makes it wait on epoll, at most
 * {@link #WAIT_MILLIS}. So at any rate of new flows it wakes at most 1/{@link #BATCH_NANOS} times a second (the
 * kernel asks for a wakeup only when a record follows a caught-up consumer, and none while the program submits with
 * BPF_RB_NO_WAKEUP: Documentation/bpf/ringbuf.rst), and every event is seen within 50 ms of its submission even when
 * the data plane never asks for a wakeup.
 *
 * <p>Threading: the counters may be read from any thread.
 */
public final class LbEventConsumer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LbEventConsumer.class);
    private static final long SWEEP_NANOS = 50_000_000L;
    /** The pause after a drain that found records, so the next drain takes a batch. */
    static final long BATCH_NANOS = 20_000_000L;
    /** The longest wait on an empty ring (the data plane may never ask for a wakeup). */
    static final int WAIT_MILLIS = 50;
    private static final long CLIENT_ADDR = LbEvent.LAYOUT.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("client_addr"));

    /** Called (on the event thread) when the set of skipped backends changed. */
    @FunctionalInterface
    public interface SkipListener {
        void skippedChanged();
    }

    private final RingBuffer ring;
    private final BackendHealth health;
    private final boolean watchReplies;
    private final SkipListener listener;
    private final AtomicLongArray newFlows;
    private final LbEvent event = LbEvent.CODEC.newFlyweight();
    private final Thread thread;
    private volatile boolean running = true;
    /** Records seen, counted by the event thread and published to {@link #eventsSeen} once per drain. */
    private long eventCount;
    private volatile long eventsSeen;

    /**
     * @param events       the lb_events map
     * @param maxBackends  backend ids are below this
     * @param watchReplies true in tc and xdp modes (replies are seen), false in sock mode
     */
    public LbEventConsumer(BpfMap events, int maxBackends, boolean watchReplies, SkipListener listener) {
        this.ring = RingBuffer.open(events);
        this.health = new BackendHealth(maxBackends, 1 << 16);
        this.watchReplies = watchReplies;
        this.listener = listener;
        this.newFlows = new AtomicLongArray(maxBackends);
        this.thread = Thread.ofPlatform().name("lb-events").daemon().unstarted(this::run);
    }

    public void start() {
        thread.start();
    }

    public BackendHealth health() {
        return health;
    }

    /** New-flow events of a backend consumed since start (tc and xdp modes). */
    public long newFlows(int backendId) {
        return backendId >= 0 && backendId < newFlows.length() ? newFlows.get(backendId) : 0;
    }

    public long eventsSeen() {
        return eventsSeen;
    }

    private void run() {
        RingBuffer.RecordHandler handler = this::onRecord;
        long nextSweep = System.nanoTime() + SWEEP_NANOS;
        while (running) {
            try {
                // The time is read before the drain, so every reply the data plane emitted before it has been
                // consumed when the sweep judges deadlines against it: a stall of this thread between the drain
                // and the sweep can then no longer make an answered flow look unanswered (read after the drain,
                // such a stall of over 400 ms expired flows whose replies sat unread in the ring).
                long now = System.nanoTime();
                int drained = ring.consume(handler);
                if (now >= nextSweep) {
                    nextSweep = now + SWEEP_NANOS;
                    if (watchReplies && health.sweep(now)) {
                        listener.skippedChanged();
                    }
                }
                if (drained == 0) {
                    // records consumed here come after `now`; the next round's drain takes their successors
                    drained = ring.poll(WAIT_MILLIS, handler);
                }
                eventsSeen = eventCount;
                if (drained > 0 && running) {
                    LockSupport.parkNanos(BATCH_NANOS);
                }
            } catch (RuntimeException e) {
                if (running) {
                    LOG.warn("event loop: {}", e.toString());
                }
            }
        }
    }

    private void onRecord(MemorySegment data, long offset, int length) {
        if (length < LbEvent.LAYOUT.byteSize()) {
            return;
        }
        event.wrap(data, offset);
        eventCount++;
        int backend = event.backendId();
        if (backend < 0 || backend >= newFlows.length()) {
            return;
        }
        // hash of the 16 address bytes, read as two longs
        long addressHash = data.get(JAVA_LONG_UNALIGNED, offset + CLIENT_ADDR) * 31
                + data.get(JAVA_LONG_UNALIGNED, offset + CLIENT_ADDR + 8);
        long key = BackendHealth.flowKey(backend, addressHash, event.clientPort(), event.proto());
        switch (event.type()) {
            case Abi.EVENT_NEW_FLOW -> {
                // one writer (this thread): a release store, not a locked read-modify-write; readers see a whole
                // value no older than this record
                newFlows.setRelease(backend, newFlows.getPlain(backend) + 1);
                if (watchReplies) {
                    health.onNewFlow(key, backend, event.timestampNs());
                }
            }
            case Abi.EVENT_REPLY -> {
                if (watchReplies) {
                    health.onReply(key, backend);
                }
            }
            default -> {
                // LB_EVENT_NO_BACKEND: counted in the kernel's per-VIP counters
            }
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ring.close();
    }
}
