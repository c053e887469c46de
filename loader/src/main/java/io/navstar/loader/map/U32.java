package io.navstar.loader.map;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

/** A {@code __u32} key or value (array indices, counters, addresses in network order as raw ints). */
public final class U32 extends Flyweight {
    /** Codec of {@code __u32}. */
    public static final Codec<U32> CODEC = new Codec<>() {
        @Override
        public long byteSize() {
            return 4;
        }

        @Override
        public U32 newFlyweight() {
            return new U32();
        }
    };

    @Override
    public long byteSize() {
        return 4;
    }

    /** The value, as a signed int (use Integer.toUnsignedLong for the unsigned reading). */
    public int get() {
        return segment.get(JAVA_INT_UNALIGNED, offset);
    }

    /** Sets the value; returns this. */
    public U32 set(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset, value);
        return this;
    }
}
