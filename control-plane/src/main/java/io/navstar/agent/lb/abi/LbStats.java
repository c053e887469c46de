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
 * Per-CPU counters of lb_vip_stats and lb_backend_stats. The Java mirror of {@code struct lb_stats} in bpf/include/lb_structs.h
 * (LbAbiLayoutTest checks it against the built objects' BTF):
 * <pre>
 * struct lb_stats {
 * 	__u64 packets;
 * 	__u64 bytes;
 * 	__u64 new_flows;
 * 	union {
 * 		__u64 refused_flows;  &#47;* lb_vip_stats: new flows answered with RST/ICMP (EPERM) for want of a backend *&#47;
 * 		__u64 replied_flows;  &#47;* lb_backend_stats: flows whose first reply was seen (tc and xdp modes) *&#47;
 * 	};
 * };
 * </pre>
 * The last slot has a name for each map: read {@link #refusedFlows()} of a VIP, {@link #repliedFlows()} of a backend.
 * A flyweight: {@link #wrap} it over memory; confine each instance to one thread.
 */
public final class LbStats extends Flyweight {
    /** The C struct's layout. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_LONG.withName("packets"),
            JAVA_LONG.withName("bytes"),
            JAVA_LONG.withName("new_flows"),
            MemoryLayout.unionLayout(
                    JAVA_LONG.withName("refused_flows"),
                    JAVA_LONG.withName("replied_flows"))).withName("lb_stats");

    /** Codec for typed maps. */
    public static final Codec<LbStats> CODEC = new Codec<>() {
        @Override
        public long byteSize() {
            return LAYOUT.byteSize();
        }

        @Override
        public LbStats newFlyweight() {
            return new LbStats();
        }
    };

    private static final long PACKETS = LAYOUT.byteOffset(PathElement.groupElement("packets"));
    private static final long BYTES = LAYOUT.byteOffset(PathElement.groupElement("bytes"));
    private static final long NEW_FLOWS = LAYOUT.byteOffset(PathElement.groupElement("new_flows"));
    private static final long REFUSED_FLOWS = LAYOUT.byteOffset(PathElement.groupElement(3),
            PathElement.groupElement("refused_flows"));
    private static final long REPLIED_FLOWS = LAYOUT.byteOffset(PathElement.groupElement(3),
            PathElement.groupElement("replied_flows"));

    @Override
    public long byteSize() {
        return LAYOUT.byteSize();
    }

    /** Zeroes the whole struct (padding included, as map keys need); returns this. */
    public LbStats clear() {
        segment.asSlice(offset, LAYOUT.byteSize()).fill((byte) 0);
        return this;
    }

    public long packets() {
        return segment.get(JAVA_LONG_UNALIGNED, offset + PACKETS);
    }

    public LbStats packets(long value) {
        segment.set(JAVA_LONG_UNALIGNED, offset + PACKETS, value);
        return this;
    }

    public long bytes() {
        return segment.get(JAVA_LONG_UNALIGNED, offset + BYTES);
    }

    public LbStats bytes(long value) {
        segment.set(JAVA_LONG_UNALIGNED, offset + BYTES, value);
        return this;
    }

    public long newFlows() {
        return segment.get(JAVA_LONG_UNALIGNED, offset + NEW_FLOWS);
    }

    public LbStats newFlows(long value) {
        segment.set(JAVA_LONG_UNALIGNED, offset + NEW_FLOWS, value);
        return this;
    }

    /** lb_vip_stats: new flows refused for want of a backend. */
    public long refusedFlows() {
        return segment.get(JAVA_LONG_UNALIGNED, offset + REFUSED_FLOWS);
    }

    public LbStats refusedFlows(long value) {
        segment.set(JAVA_LONG_UNALIGNED, offset + REFUSED_FLOWS, value);
        return this;
    }

    /** lb_backend_stats: flows whose first reply was seen (the same slot as {@link #refusedFlows()}). */
    public long repliedFlows() {
        return segment.get(JAVA_LONG_UNALIGNED, offset + REPLIED_FLOWS);
    }

    public LbStats repliedFlows(long value) {
        segment.set(JAVA_LONG_UNALIGNED, offset + REPLIED_FLOWS, value);
        return this;
    }
}
