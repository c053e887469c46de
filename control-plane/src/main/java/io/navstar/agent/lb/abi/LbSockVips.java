package io.navstar.agent.lb.abi;

import io.navstar.loader.map.Codec;
import io.navstar.loader.map.Flyweight;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

/**
 * Value of lb_sock_vips (sock mode), a socket's own storage: the backends it was sent to and their VIPs, for
 * getpeername() and recvmsg(). User space reads it by socket descriptor (the key of a BPF_MAP_TYPE_SK_STORAGE map).
 * The Java mirror of {@code struct lb_sock_vips} in bpf/include/lb_structs.h (LbAbiLayoutTest checks it against the
 * built objects' BTF):
 * <pre>
 * struct lb_sock_vips {
 * 	struct lb_sock_vip slots[LB_SOCK_VIP_SLOTS];
 * 	__u32 next;
 * 	__u32 pad;
 * };
 * </pre>
 * A flyweight: {@link #wrap} it over memory; confine each instance to one thread.
 */
public final class LbSockVips extends Flyweight {
    /** LB_SOCK_VIP_SLOTS: the (backend, VIP) pairs one socket keeps. */
    public static final int SLOTS = 4;

    /** The C struct's layout. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(SLOTS, LbSockVip.LAYOUT).withName("slots"),
            JAVA_INT.withName("next"),
            JAVA_INT.withName("pad")).withName("lb_sock_vips");

    /** Codec for typed maps. */
    public static final Codec<LbSockVips> CODEC = new Codec<>() {
        @Override
        public long byteSize() {
            return LAYOUT.byteSize();
        }

        @Override
        public LbSockVips newFlyweight() {
            return new LbSockVips();
        }
    };

    private static final long SLOTS_AT = LAYOUT.byteOffset(PathElement.groupElement("slots"));
    private static final long NEXT = LAYOUT.byteOffset(PathElement.groupElement("next"));

    @Override
    public long byteSize() {
        return LAYOUT.byteSize();
    }

    /** Points {@code slot} at slot {@code index} (0 to {@link #SLOTS} - 1) of this value; returns it. */
    public LbSockVip slot(int index, LbSockVip slot) {
        if (index < 0 || index >= SLOTS) {
            throw new IndexOutOfBoundsException("slot " + index + " of " + SLOTS);
        }
        slot.wrap(segment, offset + SLOTS_AT + index * LbSockVip.LAYOUT.byteSize());
        return slot;
    }

    /** next: the slot a backend takes when every slot is in use. */
    public int next() {
        return segment.get(JAVA_INT_UNALIGNED, offset + NEXT);
    }
}
