package io.navstar.loader.ringbuf;

import io.navstar.loader.BpfMap;
import io.navstar.loader.spec.MapType;
import io.navstar.sys.Errno;
import io.navstar.sys.Fd;
import io.navstar.sys.Libc;
import io.navstar.sys.bpf.BpfException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Consumer of a BPF_MAP_TYPE_RINGBUF map (Documentation/bpf/ringbuf.rst): the consumer page is mapped read-write,
 * the producer page and the data area read-only, the data area twice in a row so no record wraps; epoll on the
 * map descriptor wakes the consumer. Records are handed to a {@link RecordHandler} as an offset into the one
 * data segment, so consuming allocates nothing per event.
 *
 * <p>Protocol (kernel/bpf/ringbuf.c): each record has an 8-byte header whose first u32 is its length with
 * BUSY (bit 31, still being written) and DISCARD (bit 30) flags; the producer publishes the header with a
 * release store and advances producer_pos with a release store; we read both with acquire loads and publish our
 * consumer_pos with a release store once a record is consumed.
 *
 * <p>Threading: one consumer thread per ring buffer; {@link #close()} from that thread.
 */
public final class RingBuffer implements AutoCloseable {
    private static final int HEADER_SIZE = 8;
    private static final int BUSY_BIT = 1 << 31;
    private static final int DISCARD_BIT = 1 << 30;
    private static final VarHandle LONG = JAVA_LONG.varHandle();
    private static final VarHandle INT = JAVA_INT.varHandle();

    /** Receives one record: {@code length} bytes at {@code offset} of {@code data}. Must not keep the segment. */
    @FunctionalInterface
    public interface RecordHandler {
        void onRecord(MemorySegment data, long offset, int length);
    }

    private final String name;
    private final MemorySegment consumerPage;
    private final MemorySegment producerMapping;
    private final MemorySegment data;
    private final long mask;
    private final Fd epoll;
    private final MemorySegment events;
    private final Arena arena;

    private RingBuffer(BpfMap map) {
        if (map.type() != MapType.RINGBUF) {
            throw new IllegalArgumentException("map \"" + map.name() + "\" is " + map.type() + ", not RINGBUF");
        }
        this.name = map.name();
        int page = Libc.pageSize();
        long size = map.maxEntries();
        String what = "mapping ring buffer \"" + name + "\"";
        this.consumerPage = Libc.mmap(page, Libc.PROT_READ | Libc.PROT_WRITE, map.fd(), 0, what + " (consumer page)");
        MemorySegment producer;
        try {
            producer = Libc.mmap(page + 2 * size, Libc.PROT_READ, map.fd(), page, what + " (producer page and data)");
        } catch (RuntimeException e) {
            Libc.munmap(consumerPage);
            throw e;
        }
        this.producerMapping = producer;
        this.data = producer.asSlice(page, 2 * size);
        this.mask = size - 1;
        Fd epollFd = null;
        try {
            epollFd = new Fd(Libc.epollCreate("creating an epoll for ring buffer \"" + name + "\""));
            Libc.epollAdd(epollFd.value(), map.fd(), "watching ring buffer \"" + name + "\"");
        } catch (RuntimeException e) {
            if (epollFd != null) {
                epollFd.close();
            }
            Libc.munmap(consumerPage);
            Libc.munmap(producerMapping);
            throw e;
        }
        this.epoll = epollFd;
        this.arena = Arena.ofShared();
        this.events = arena.allocate(Libc.EPOLL_EVENT_SIZE * 4, 8);
    }

    /** Maps {@code map} (a RINGBUF) for consuming. The map may be closed afterwards; the mapping holds it. */
    public static RingBuffer open(BpfMap map) {
        return new RingBuffer(map);
    }

    /**
     * Waits up to {@code timeoutMillis} (0: don't wait, -1: forever) for data, then consumes everything available.
     * Returns the number of records handed to {@code handler}. Allocates nothing.
     */
    public int poll(int timeoutMillis, RecordHandler handler) {
        int consumed = consume(handler);
        if (consumed > 0 || timeoutMillis == 0) {
            return consumed;
        }
        int ready = Libc.epollWait(epoll.value(), events, 4, timeoutMillis);
        if (ready < 0 && ready != -Errno.EINTR) {
            throw new BpfException("epoll_wait", -ready, "waiting on ring buffer \"" + name + "\"");
        }
        return consume(handler);
    }

    /** Consumes every record available now, without waiting. Returns how many were handed to {@code handler}. */
    public int consume(RecordHandler handler) {
        return consume(consumerPage, producerMapping, data, mask, handler);
    }

    /**
     * The consumer protocol over any memory laid out as the kernel lays out a ring buffer: consumer_pos at the
     * start of {@code consumerPage}, producer_pos at the start of {@code producerPage}, {@code data} the
     * data area mapped twice in a row (so {@code 2 * (mask + 1)} bytes). Separate so tests can drive it with
     * synthetic memory.
     */
    static int consume(MemorySegment consumerPage, MemorySegment producerPage, MemorySegment data, long mask,
                       RecordHandler handler) {
        long consumer = (long) LONG.getAcquire(consumerPage, 0L);
        int count = 0;
        while (true) {
            long producer = (long) LONG.getAcquire(producerPage, 0L);
            if (consumer >= producer) {
                break;
            }
            long headerAt = consumer & mask;
            int header = (int) INT.getAcquire(data, headerAt);
            if ((header & BUSY_BIT) != 0) {
                break;                                   // the producer has reserved but not committed it yet
            }
            int length = header & ~(BUSY_BIT | DISCARD_BIT);
            if ((header & DISCARD_BIT) == 0) {
                handler.onRecord(data, headerAt + HEADER_SIZE, length);
                count++;
            }
            consumer += (length + HEADER_SIZE + 7) & ~7L;   // records are 8-byte aligned
            LONG.setRelease(consumerPage, 0L, consumer);     // hand the space back to the producer
        }
        return count;
    }

    /** Bytes published but not yet consumed. */
    public long pending() {
        return (long) LONG.getAcquire(producerMapping, 0L) - (long) LONG.getAcquire(consumerPage, 0L);
    }

    @Override
    public void close() {
        epoll.close();
        Libc.munmap(consumerPage);
        Libc.munmap(producerMapping);
        arena.close();
    }
}
