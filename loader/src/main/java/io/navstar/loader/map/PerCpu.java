package io.navstar.loader.map;

import io.navstar.sys.bpf.PossibleCpus;

/**
 * The value of a per-CPU map as user space reads and writes it: one element per possible CPU, each slot rounded
 * up to 8 bytes (kernel/bpf/syscall.c: {@code round_up(map->value_size, 8) * num_possible_cpus()}).
 * {@link #cpu(int)} re-points one inner flyweight, so reading every CPU allocates nothing.
 *
 * <p>Threading: a cursor; confine to one thread.
 *
 * @param <F> the element flyweight
 */
public final class PerCpu<F extends Flyweight> extends Flyweight {
    private final F element;
    private final long stride;
    private final int cpus;

    private PerCpu(F element, int cpus) {
        this.element = element;
        this.stride = roundUp8(element.byteSize());
        this.cpus = cpus;
    }

    /** A codec for per-CPU values of {@code element}, sized for this machine's possible CPUs. */
    public static <F extends Flyweight> Codec<PerCpu<F>> codec(Codec<F> element) {
        return codec(element, PossibleCpus.count());
    }

    /** A codec for per-CPU values of {@code element} with {@code cpus} slots. */
    public static <F extends Flyweight> Codec<PerCpu<F>> codec(Codec<F> element, int cpus) {
        long size = roundUp8(element.byteSize()) * cpus;
        return new Codec<>() {
            @Override
            public long byteSize() {
                return size;
            }

            @Override
            public PerCpu<F> newFlyweight() {
                return new PerCpu<>(element.newFlyweight(), cpus);
            }
        };
    }

    /** The number of slots (possible CPUs). */
    public int cpus() {
        return cpus;
    }

    /** The element of CPU {@code cpu}: the one inner flyweight, re-pointed. */
    public F cpu(int cpu) {
        if (cpu < 0 || cpu >= cpus) {
            throw new IndexOutOfBoundsException("cpu " + cpu + " of " + cpus);
        }
        element.wrap(segment, offset + cpu * stride);
        return element;
    }

    @Override
    public long byteSize() {
        return stride * cpus;
    }

    /** The per-CPU slot size for a value of {@code size} bytes. */
    public static long roundUp8(long size) {
        return (size + 7) & ~7L;
    }
}
