package io.navstar.loader.map;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/** A {@code __u64} key or value (packet and byte counters, cookies). */
public final class U64 extends Flyweight {
    /** Codec of {@code __u64}. */
    public static final Codec<U64> CODEC = new Codec<>() {
        @Override
        public long byteSize() {
            return 8;
        }

        @Override
        public U64 newFlyweight() {
            return new U64();
        }
    };

    @Override
    public long byteSize() {
        return 8;
    }

    /** The value. */
    public long get() {
        return segment.get(JAVA_LONG_UNALIGNED, offset);
    }

    /** Sets the value; returns this. */
    public U64 set(long value) {
        segment.set(JAVA_LONG_UNALIGNED, offset, value);
        return this;
    }
}
