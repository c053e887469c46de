package io.navstar.agent.lb.abi;

import io.navstar.loader.map.Codec;
import io.navstar.loader.map.Flyweight;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;
import java.net.InetAddress;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * Value of lb_vips: the VIP's id (its counters' index and its Maglev table's slot in lb_maglev_tables) and its
 * table's size. The Java mirror of {@code struct lb_vip_info} in bpf/include/lb_structs.h
 * (LbAbiLayoutTest checks it against the built objects' BTF):
 * <pre>
 * struct lb_vip_info {
 * 	__u32 vip_id;        &#47;* slot of the Maglev table in lb_maglev_tables, index of the per-VIP counters; unique *&#47;
 * 	__u32 reserved0;     &#47;* reserved, zero (was table_offset, the first cell in the retired lb_maglev array) *&#47;
 * 	__u32 table_size;    &#47;* M of the table installed, 0 for none: for people and restarts (the data plane reads
 * 				the table's own size) *&#47;
 * 	__u32 flags;         &#47;* LB_VIP_F_* *&#47;
 * };
 * </pre>
 * A flyweight: {@link #wrap} it over memory; confine each instance to one thread.
 */
public final class LbVipInfo extends Flyweight {
    /** The C struct's layout. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_INT.withName("vip_id"),
            JAVA_INT.withName("reserved0"),
            JAVA_INT.withName("table_size"),
            JAVA_INT.withName("flags")).withName("lb_vip_info");

    /** Codec for typed maps. */
    public static final Codec<LbVipInfo> CODEC = new Codec<>() {
        @Override
        public long byteSize() {
            return LAYOUT.byteSize();
        }

        @Override
        public LbVipInfo newFlyweight() {
            return new LbVipInfo();
        }
    };

    private static final long VIP_ID = LAYOUT.byteOffset(PathElement.groupElement("vip_id"));
    private static final long RESERVED0 = LAYOUT.byteOffset(PathElement.groupElement("reserved0"));
    private static final long TABLE_SIZE = LAYOUT.byteOffset(PathElement.groupElement("table_size"));
    private static final long FLAGS = LAYOUT.byteOffset(PathElement.groupElement("flags"));

    @Override
    public long byteSize() {
        return LAYOUT.byteSize();
    }

    /** Zeroes the whole struct (padding included, as map keys need); returns this. */
    public LbVipInfo clear() {
        segment.asSlice(offset, LAYOUT.byteSize()).fill((byte) 0);
        return this;
    }

    public int vipId() {
        return segment.get(JAVA_INT_UNALIGNED, offset + VIP_ID);
    }

    public LbVipInfo vipId(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + VIP_ID, value);
        return this;
    }

    /** Zero, except in pins of the retired layout, where it was the first cell of the table in lb_maglev. */
    public int reserved0() {
        return segment.get(JAVA_INT_UNALIGNED, offset + RESERVED0);
    }

    public int tableSize() {
        return segment.get(JAVA_INT_UNALIGNED, offset + TABLE_SIZE);
    }

    public LbVipInfo tableSize(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + TABLE_SIZE, value);
        return this;
    }

    public int flags() {
        return segment.get(JAVA_INT_UNALIGNED, offset + FLAGS);
    }

    public LbVipInfo flags(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + FLAGS, value);
        return this;
    }
}
