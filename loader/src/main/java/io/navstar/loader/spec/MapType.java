package io.navstar.loader.spec;

/**
 * The kernel's {@code enum bpf_map_type} values navstar understands (include/uapi/linux/bpf.h).
 * The numbers are the kernel's ABI and never change.
 */
public enum MapType {
    HASH(1),
    ARRAY(2),
    PROG_ARRAY(3),
    PERF_EVENT_ARRAY(4),
    PERCPU_HASH(5),
    PERCPU_ARRAY(6),
    LRU_HASH(9),
    LRU_PERCPU_HASH(10),
    LPM_TRIE(11),
    ARRAY_OF_MAPS(12),
    HASH_OF_MAPS(13),
    /** Socket-local storage: a value per socket, keyed by a socket descriptor from user space, freed with the socket. */
    SK_STORAGE(24),
    RINGBUF(27);

    private final int kernelValue;

    MapType(int kernelValue) {
        this.kernelValue = kernelValue;
    }

    /** The value of {@code enum bpf_map_type}. */
    public int kernelValue() {
        return kernelValue;
    }

    /** True for the types whose values the kernel keeps one per possible CPU. */
    public boolean perCpu() {
        return this == PERCPU_HASH || this == PERCPU_ARRAY || this == LRU_PERCPU_HASH;
    }

    /** True for the map-in-map types, whose values are inner map descriptors. */
    public boolean mapOfMaps() {
        return this == ARRAY_OF_MAPS || this == HASH_OF_MAPS;
    }

    /** The type with this kernel value; throws {@link IllegalArgumentException} naming it when unknown. */
    public static MapType ofKernelValue(int value) {
        for (MapType type : values()) {
            if (type.kernelValue == value) {
                return type;
            }
        }
        throw new IllegalArgumentException("unsupported map type " + value + " (enum bpf_map_type)");
    }
}
