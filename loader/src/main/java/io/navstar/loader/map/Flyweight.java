package io.navstar.loader.map;

import java.lang.foreign.MemorySegment;

/**
 * A typed view over {@link #byteSize()} bytes of a {@link MemorySegment}, re-pointable with {@link #wrap} so one
 * instance can walk a whole batch buffer without allocating (the Agrona flyweight pattern). Subclasses add named
 * accessors that read and write the bytes in place, in native byte order as the kernel and BPF programs do.
 *
 * <p>Threading: a flyweight is a cursor; confine each instance to one thread.
 */
public abstract class Flyweight {
    protected MemorySegment segment = MemorySegment.NULL;
    protected long offset;

    /** The size of the struct this flyweight views, in bytes. */
    public abstract long byteSize();

    /** Points this flyweight at {@code segment} from {@code offset}; checks the struct fits. Returns this. */
    public Flyweight wrap(MemorySegment segment, long offset) {
        if (offset < 0 || offset + byteSize() > segment.byteSize()) {
            throw new IndexOutOfBoundsException("a " + byteSize() + "-byte struct at " + offset
                    + " does not fit a segment of " + segment.byteSize() + " bytes");
        }
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    /** The segment this flyweight views. */
    public final MemorySegment segment() {
        return segment;
    }

    /** Where in {@link #segment()} the struct starts. */
    public final long offset() {
        return offset;
    }

    /** The native address of the struct's first byte (for bpf(2)). */
    public final long address() {
        return segment.address() + offset;
    }
}
