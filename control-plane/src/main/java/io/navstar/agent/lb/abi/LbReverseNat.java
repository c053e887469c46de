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
 * Value of lb_reverse: what a reply's source becomes, for flows whose backend serves several VIPs (others are found
 * through {@link LbBackendVip}). The Java mirror of {@code struct lb_reverse_nat} in bpf/include/lb_structs.h
 * (LbAbiLayoutTest checks it against the built objects' BTF):
 * <pre>
 * struct lb_reverse_nat {
 * 	__u32 vip_addr[4];     &#47;* network byte order *&#47;
 * 	__u32 client_addr[4];  &#47;* the real client (differs from the key's dst for hairpin flows) *&#47;
 * 	__u16 vip_port;        &#47;* network byte order *&#47;
 * 	__u16 flags;           &#47;* LB_FLOW_F_* *&#47;
 * 	__u32 backend_id;
 * 	__u32 vip_id;
 * 	__u32 pad;             &#47;* always zero *&#47;
 * 	__u64 expires_ns;
 * };
 * </pre>
 * A flyweight: {@link #wrap} it over memory; confine each instance to one thread.
 */
public final class LbReverseNat extends Flyweight {
    /** The C struct's layout. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("vip_addr"),
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("client_addr"),
            JAVA_SHORT.withName("vip_port"),
            JAVA_SHORT.withName("flags"),
            JAVA_INT.withName("backend_id"),
            JAVA_INT.withName("vip_id"),
            JAVA_INT.withName("pad"),
            JAVA_LONG.withName("expires_ns")).withName("lb_reverse_nat");

    /** Codec for typed maps. */
    public static final Codec<LbReverseNat> CODEC = new Codec<>() {
        @Override
        public long byteSize() {
            return LAYOUT.byteSize();
        }

        @Override
        public LbReverseNat newFlyweight() {
            return new LbReverseNat();
        }
    };

    private static final long VIP_ADDR = LAYOUT.byteOffset(PathElement.groupElement("vip_addr"));
    private static final long CLIENT_ADDR = LAYOUT.byteOffset(PathElement.groupElement("client_addr"));
    private static final long VIP_PORT = LAYOUT.byteOffset(PathElement.groupElement("vip_port"));
    private static final long FLAGS = LAYOUT.byteOffset(PathElement.groupElement("flags"));
    private static final long BACKEND_ID = LAYOUT.byteOffset(PathElement.groupElement("backend_id"));
    private static final long VIP_ID = LAYOUT.byteOffset(PathElement.groupElement("vip_id"));
    private static final long PAD = LAYOUT.byteOffset(PathElement.groupElement("pad"));
    private static final long EXPIRES_NS = LAYOUT.byteOffset(PathElement.groupElement("expires_ns"));

    @Override
    public long byteSize() {
        return LAYOUT.byteSize();
    }

    /** Zeroes the whole struct (padding included, as map keys need); returns this. */
    public LbReverseNat clear() {
        segment.asSlice(offset, LAYOUT.byteSize()).fill((byte) 0);
        return this;
    }

    /** vip_addr: an address in network byte order (IPv4 in the first 4 bytes), as an InetAddress of {@code family}. */
    public InetAddress vipAddr(int family) {
        return Abi.readAddress(segment, offset + VIP_ADDR, family);
    }

    /** Sets vip_addr from an address (IPv4 fills the first 4 bytes, the rest zero); returns this. */
    public LbReverseNat vipAddr(InetAddress address) {
        Abi.writeAddress(segment, offset + VIP_ADDR, address);
        return this;
    }

    /** client_addr: an address in network byte order (IPv4 in the first 4 bytes), as an InetAddress of {@code family}. */
    public InetAddress clientAddr(int family) {
        return Abi.readAddress(segment, offset + CLIENT_ADDR, family);
    }

    /** Sets client_addr from an address (IPv4 fills the first 4 bytes, the rest zero); returns this. */
    public LbReverseNat clientAddr(InetAddress address) {
        Abi.writeAddress(segment, offset + CLIENT_ADDR, address);
        return this;
    }

    /** vip_port, a port kept in network byte order; read as a host number. */
    public int vipPort() {
        return Short.toUnsignedInt(segment.get(Abi.NET_SHORT, offset + VIP_PORT));
    }

    public LbReverseNat vipPort(int port) {
        segment.set(Abi.NET_SHORT, offset + VIP_PORT, (short) port);
        return this;
    }

    public int flags() {
        return Short.toUnsignedInt(segment.get(JAVA_SHORT_UNALIGNED, offset + FLAGS));
    }

    public LbReverseNat flags(int value) {
        segment.set(JAVA_SHORT_UNALIGNED, offset + FLAGS, (short) value);
        return this;
    }

    public int backendId() {
        return segment.get(JAVA_INT_UNALIGNED, offset + BACKEND_ID);
    }

    public LbReverseNat backendId(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + BACKEND_ID, value);
        return this;
    }

    public int vipId() {
        return segment.get(JAVA_INT_UNALIGNED, offset + VIP_ID);
    }

    public LbReverseNat vipId(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + VIP_ID, value);
        return this;
    }

    public int pad() {
        return segment.get(JAVA_INT_UNALIGNED, offset + PAD);
    }

    public LbReverseNat pad(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + PAD, value);
        return this;
    }

    public long expiresNs() {
        return segment.get(JAVA_LONG_UNALIGNED, offset + EXPIRES_NS);
    }

    public LbReverseNat expiresNs(long value) {
        segment.set(JAVA_LONG_UNALIGNED, offset + EXPIRES_NS, value);
        return this;
    }
}
