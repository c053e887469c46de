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
 * Key of the connection table (in its ways, {@link LbFlowWay}) and of lb_reverse: a 5-tuple as the packet carries it. The Java mirror of {@code struct lb_flow_key} in bpf/include/lb_structs.h
 * (LbAbiLayoutTest checks it against the built objects' BTF):
 * <pre>
 * struct lb_flow_key {
 * 	__u32 src[4];
 * 	__u32 dst[4];
 * 	__u16 sport;    &#47;* network byte order *&#47;
 * 	__u16 dport;    &#47;* network byte order *&#47;
 * 	__u8  proto;
 * 	__u8  family;
 * 	__u16 pad;      &#47;* always zero *&#47;
 * };
 * </pre>
 * A flyweight: {@link #wrap} it over memory; confine each instance to one thread.
 */
public final class LbFlowKey extends Flyweight {
    /** The C struct's layout. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("src"),
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("dst"),
            JAVA_SHORT.withName("sport"),
            JAVA_SHORT.withName("dport"),
            JAVA_BYTE.withName("proto"),
            JAVA_BYTE.withName("family"),
            JAVA_SHORT.withName("pad")).withName("lb_flow_key");

    /** Codec for typed maps. */
    public static final Codec<LbFlowKey> CODEC = new Codec<>() {
        @Override
        public long byteSize() {
            return LAYOUT.byteSize();
        }

        @Override
        public LbFlowKey newFlyweight() {
            return new LbFlowKey();
        }
    };

    private static final long SRC = LAYOUT.byteOffset(PathElement.groupElement("src"));
    private static final long DST = LAYOUT.byteOffset(PathElement.groupElement("dst"));
    private static final long SPORT = LAYOUT.byteOffset(PathElement.groupElement("sport"));
    private static final long DPORT = LAYOUT.byteOffset(PathElement.groupElement("dport"));
    private static final long PROTO = LAYOUT.byteOffset(PathElement.groupElement("proto"));
    private static final long FAMILY = LAYOUT.byteOffset(PathElement.groupElement("family"));
    private static final long PAD = LAYOUT.byteOffset(PathElement.groupElement("pad"));

    @Override
    public long byteSize() {
        return LAYOUT.byteSize();
    }

    /** Zeroes the whole struct (padding included, as map keys need); returns this. */
    public LbFlowKey clear() {
        segment.asSlice(offset, LAYOUT.byteSize()).fill((byte) 0);
        return this;
    }

    /** src: an address in network byte order (IPv4 in the first 4 bytes), as an InetAddress of {@code family}. */
    public InetAddress src(int family) {
        return Abi.readAddress(segment, offset + SRC, family);
    }

    /** Sets src from an address (IPv4 fills the first 4 bytes, the rest zero); returns this. */
    public LbFlowKey src(InetAddress address) {
        Abi.writeAddress(segment, offset + SRC, address);
        return this;
    }

    /** dst: an address in network byte order (IPv4 in the first 4 bytes), as an InetAddress of {@code family}. */
    public InetAddress dst(int family) {
        return Abi.readAddress(segment, offset + DST, family);
    }

    /** Sets dst from an address (IPv4 fills the first 4 bytes, the rest zero); returns this. */
    public LbFlowKey dst(InetAddress address) {
        Abi.writeAddress(segment, offset + DST, address);
        return this;
    }

    /** sport, a port kept in network byte order; read as a host number. */
    public int sport() {
        return Short.toUnsignedInt(segment.get(Abi.NET_SHORT, offset + SPORT));
    }

    public LbFlowKey sport(int port) {
        segment.set(Abi.NET_SHORT, offset + SPORT, (short) port);
        return this;
    }

    /** dport, a port kept in network byte order; read as a host number. */
    public int dport() {
        return Short.toUnsignedInt(segment.get(Abi.NET_SHORT, offset + DPORT));
    }

    public LbFlowKey dport(int port) {
        segment.set(Abi.NET_SHORT, offset + DPORT, (short) port);
        return this;
    }

    public int proto() {
        return Byte.toUnsignedInt(segment.get(JAVA_BYTE, offset + PROTO));
    }

    public LbFlowKey proto(int value) {
        segment.set(JAVA_BYTE, offset + PROTO, (byte) value);
        return this;
    }

    public int family() {
        return Byte.toUnsignedInt(segment.get(JAVA_BYTE, offset + FAMILY));
    }

    public LbFlowKey family(int value) {
        segment.set(JAVA_BYTE, offset + FAMILY, (byte) value);
        return this;
    }

    public int pad() {
        return Short.toUnsignedInt(segment.get(JAVA_SHORT_UNALIGNED, offset + PAD));
    }

    public LbFlowKey pad(int value) {
        segment.set(JAVA_SHORT_UNALIGNED, offset + PAD, (short) value);
        return this;
    }
}
