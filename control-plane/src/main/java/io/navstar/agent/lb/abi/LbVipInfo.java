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
 * Value of lb_vips: the VIP's counter index and its slice of the Maglev cells. The Java mirror of {@code struct lb_vip_info} in bpf/include/lb_structs.h
 * (LbAbiLayoutTest checks it against the built objects' BTF):
 * <pre>
 * struct lb_vip_info {
 * 	__u32 vip_id;        &#47;* index into the per-VIP counters, unique among live VIPs *&#47;
 * 	__u32 table_offset;  &#47;* first cell of the Maglev table in lb_maglev *&#47;
 * 	__u32 table_size;    &#47;* M, a prime; 0 when the VIP has no usable backend (answered at once) *&#47;
 * 	__u32 flags;         &#47;* LB_VIP_F_* *&#47;
 * };
 * </pre>
 * A flyweight: {@link #wrap} it over memory; confine each instance to one thread.
 */
public final class LbVipInfo extends Flyweight {
    /** The C struct's layout. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_INT.withName("vip_id"),
            JAVA_INT.withName("table_offset"),
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
    private static final long TABLE_OFFSET = LAYOUT.byteOffset(PathElement.groupElement("table_offset"));
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

    public int tableOffset() {
        return segment.get(JAVA_INT_UNALIGNED, offset + TABLE_OFFSET);
    }

    public LbVipInfo tableOffset(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + TABLE_OFFSET, value);
        return this;
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
