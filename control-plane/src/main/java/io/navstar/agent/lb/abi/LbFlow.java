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
 * A connection-table flow (in its way, {@link LbFlowWay}): where a tracked flow goes (replies find it too, through {@link LbBackendVip}). The Java mirror of {@code struct lb_flow} in bpf/include/lb_structs.h
 * (LbAbiLayoutTest checks it against the built objects' BTF):
 * <pre>
 * struct lb_flow {
 * 	__u32 backend_addr[4]; &#47;* network byte order *&#47;
 * 	__u16 backend_port;    &#47;* network byte order *&#47;
 * 	__u16 flags;           &#47;* LB_FLOW_F_* *&#47;
 * 	__u32 backend_id;
 * 	__u32 vip_id;
 * 	__u32 csum_diff;       &#47;* with LB_FLOW_F_CSUM: the rewrite's checksum difference *&#47;
 * 	__u64 expires_ns;      &#47;* CLOCK_MONOTONIC ns (lb_now) after which the entry is dead *&#47;
 * };
 * </pre>
 * A flyweight: {@link #wrap} it over memory; confine each instance to one thread.
 */
public final class LbFlow extends Flyweight {
    /** The C struct's layout. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("backend_addr"),
            JAVA_SHORT.withName("backend_port"),
            JAVA_SHORT.withName("flags"),
            JAVA_INT.withName("backend_id"),
            JAVA_INT.withName("vip_id"),
            JAVA_INT.withName("csum_diff"),
            JAVA_LONG.withName("expires_ns")).withName("lb_flow");

    /** Codec for typed maps. */
    public static final Codec<LbFlow> CODEC = new Codec<>() {
        @Override
        public long byteSize() {
            return LAYOUT.byteSize();
        }

        @Override
        public LbFlow newFlyweight() {
            return new LbFlow();
        }
    };

    private static final long BACKEND_ADDR = LAYOUT.byteOffset(PathElement.groupElement("backend_addr"));
    private static final long BACKEND_PORT = LAYOUT.byteOffset(PathElement.groupElement("backend_port"));
    private static final long FLAGS = LAYOUT.byteOffset(PathElement.groupElement("flags"));
    private static final long BACKEND_ID = LAYOUT.byteOffset(PathElement.groupElement("backend_id"));
    private static final long VIP_ID = LAYOUT.byteOffset(PathElement.groupElement("vip_id"));
    private static final long CSUM_DIFF = LAYOUT.byteOffset(PathElement.groupElement("csum_diff"));
    private static final long EXPIRES_NS = LAYOUT.byteOffset(PathElement.groupElement("expires_ns"));

    @Override
    public long byteSize() {
        return LAYOUT.byteSize();
    }

    /** Zeroes the whole struct (padding included, as map keys need); returns this. */
    public LbFlow clear() {
        segment.asSlice(offset, LAYOUT.byteSize()).fill((byte) 0);
        return this;
    }

    /** backend_addr: an address in network byte order (IPv4 in the first 4 bytes), as an InetAddress of {@code family}. */
    public InetAddress backendAddr(int family) {
        return Abi.readAddress(segment, offset + BACKEND_ADDR, family);
    }

    /** Sets backend_addr from an address (IPv4 fills the first 4 bytes, the rest zero); returns this. */
    public LbFlow backendAddr(InetAddress address) {
        Abi.writeAddress(segment, offset + BACKEND_ADDR, address);
        return this;
    }

    /** backend_port, a port kept in network byte order; read as a host number. */
    public int backendPort() {
        return Short.toUnsignedInt(segment.get(Abi.NET_SHORT, offset + BACKEND_PORT));
    }

    public LbFlow backendPort(int port) {
        segment.set(Abi.NET_SHORT, offset + BACKEND_PORT, (short) port);
        return this;
    }

    public int flags() {
        return Short.toUnsignedInt(segment.get(JAVA_SHORT_UNALIGNED, offset + FLAGS));
    }

    public LbFlow flags(int value) {
        segment.set(JAVA_SHORT_UNALIGNED, offset + FLAGS, (short) value);
        return this;
    }

    public int backendId() {
        return segment.get(JAVA_INT_UNALIGNED, offset + BACKEND_ID);
    }

    public LbFlow backendId(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + BACKEND_ID, value);
        return this;
    }

    public int vipId() {
        return segment.get(JAVA_INT_UNALIGNED, offset + VIP_ID);
    }

    public LbFlow vipId(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + VIP_ID, value);
        return this;
    }

    /**
     * csum_diff: with {@link Abi#FLOW_CSUM}, the rewrite's checksum difference (addresses in bits 31..16, ports in
     * 15..0, each a folded one's-complement sum); zero otherwise.
     */
    public int csumDiff() {
        return segment.get(JAVA_INT_UNALIGNED, offset + CSUM_DIFF);
    }

    public LbFlow csumDiff(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + CSUM_DIFF, value);
        return this;
    }

    public long expiresNs() {
        return segment.get(JAVA_LONG_UNALIGNED, offset + EXPIRES_NS);
    }

    public LbFlow expiresNs(long value) {
        segment.set(JAVA_LONG_UNALIGNED, offset + EXPIRES_NS, value);
        return this;
    }
}
