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
 * The one element of lb_config: timeouts and hairpin addresses. The Java mirror of {@code struct lb_config} in bpf/include/lb_structs.h
 * (LbAbiLayoutTest checks it against the built objects' BTF):
 * <pre>
 * struct lb_config {
 * 	__u64 tcp_timeout_ns;      &#47;* idle life of an established TCP flow *&#47;
 * 	__u64 tcp_closing_ns;      &#47;* life after FIN or RST *&#47;
 * 	__u64 udp_timeout_ns;      &#47;* idle life of a UDP flow *&#47;
 * 	__u32 hairpin_addr4;       &#47;* source for hairpin flows (IPv4), network order; 0 = no hairpin NAT *&#47;
 * 	__u32 hairpin_addr6[4];    &#47;* source for hairpin flows (IPv6) *&#47;
 * 	__u32 flags;               &#47;* LB_CFG_F_* *&#47;
 * };
 * </pre>
 * A flyweight: {@link #wrap} it over memory; confine each instance to one thread.
 */
public final class LbConfig extends Flyweight {
    /** The C struct's layout. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_LONG.withName("tcp_timeout_ns"),
            JAVA_LONG.withName("tcp_closing_ns"),
            JAVA_LONG.withName("udp_timeout_ns"),
            JAVA_INT.withName("hairpin_addr4"),
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("hairpin_addr6"),
            JAVA_INT.withName("flags")).withName("lb_config");

    /** Codec for typed maps. */
    public static final Codec<LbConfig> CODEC = new Codec<>() {
        @Override
        public long byteSize() {
            return LAYOUT.byteSize();
        }

        @Override
        public LbConfig newFlyweight() {
            return new LbConfig();
        }
    };

    private static final long TCP_TIMEOUT_NS = LAYOUT.byteOffset(PathElement.groupElement("tcp_timeout_ns"));
    private static final long TCP_CLOSING_NS = LAYOUT.byteOffset(PathElement.groupElement("tcp_closing_ns"));
    private static final long UDP_TIMEOUT_NS = LAYOUT.byteOffset(PathElement.groupElement("udp_timeout_ns"));
    private static final long HAIRPIN_ADDR4 = LAYOUT.byteOffset(PathElement.groupElement("hairpin_addr4"));
    private static final long HAIRPIN_ADDR6 = LAYOUT.byteOffset(PathElement.groupElement("hairpin_addr6"));
    private static final long FLAGS = LAYOUT.byteOffset(PathElement.groupElement("flags"));

    @Override
    public long byteSize() {
        return LAYOUT.byteSize();
    }

    /** Zeroes the whole struct (padding included, as map keys need); returns this. */
    public LbConfig clear() {
        segment.asSlice(offset, LAYOUT.byteSize()).fill((byte) 0);
        return this;
    }

    public long tcpTimeoutNs() {
        return segment.get(JAVA_LONG_UNALIGNED, offset + TCP_TIMEOUT_NS);
    }

    public LbConfig tcpTimeoutNs(long value) {
        segment.set(JAVA_LONG_UNALIGNED, offset + TCP_TIMEOUT_NS, value);
        return this;
    }

    public long tcpClosingNs() {
        return segment.get(JAVA_LONG_UNALIGNED, offset + TCP_CLOSING_NS);
    }

    public LbConfig tcpClosingNs(long value) {
        segment.set(JAVA_LONG_UNALIGNED, offset + TCP_CLOSING_NS, value);
        return this;
    }

    public long udpTimeoutNs() {
        return segment.get(JAVA_LONG_UNALIGNED, offset + UDP_TIMEOUT_NS);
    }

    public LbConfig udpTimeoutNs(long value) {
        segment.set(JAVA_LONG_UNALIGNED, offset + UDP_TIMEOUT_NS, value);
        return this;
    }

    public int hairpinAddr4() {
        return segment.get(JAVA_INT_UNALIGNED, offset + HAIRPIN_ADDR4);
    }

    public LbConfig hairpinAddr4(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + HAIRPIN_ADDR4, value);
        return this;
    }

    /** hairpin_addr6: an address in network byte order (IPv4 in the first 4 bytes), as an InetAddress of {@code family}. */
    public InetAddress hairpinAddr6(int family) {
        return Abi.readAddress(segment, offset + HAIRPIN_ADDR6, family);
    }

    /** Sets hairpin_addr6 from an address (IPv4 fills the first 4 bytes, the rest zero); returns this. */
    public LbConfig hairpinAddr6(InetAddress address) {
        Abi.writeAddress(segment, offset + HAIRPIN_ADDR6, address);
        return this;
    }

    public int flags() {
        return segment.get(JAVA_INT_UNALIGNED, offset + FLAGS);
    }

    public LbConfig flags(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + FLAGS, value);
        return this;
    }
}
