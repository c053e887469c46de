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
 * Key of lb_vips: the address, port and protocol a client connects to. The Java mirror of {@code struct lb_vip_key} in bpf/include/lb_structs.h
 * (LbAbiLayoutTest checks it against the built objects' BTF):
 * <pre>
 * struct lb_vip_key {
 * 	__u32 addr[4];   &#47;* VIP address, network byte order *&#47;
 * 	__u16 port;      &#47;* VIP port, network byte order *&#47;
 * 	__u8  proto;     &#47;* IPPROTO_TCP or IPPROTO_UDP *&#47;
 * 	__u8  family;    &#47;* LB_AF_INET or LB_AF_INET6 *&#47;
 * };
 * </pre>
 * A flyweight: {@link #wrap} it over memory; confine each instance to one thread.
 */
public final class LbVipKey extends Flyweight {
    /** The C struct's layout. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("addr"),
            JAVA_SHORT.withName("port"),
            JAVA_BYTE.withName("proto"),
            JAVA_BYTE.withName("family")).withName("lb_vip_key");

    /** Codec for typed maps. */
    public static final Codec<LbVipKey> CODEC = new Codec<>() {
        @Override
        public long byteSize() {
            return LAYOUT.byteSize();
        }

        @Override
        public LbVipKey newFlyweight() {
            return new LbVipKey();
        }
    };

    private static final long ADDR = LAYOUT.byteOffset(PathElement.groupElement("addr"));
    private static final long PORT = LAYOUT.byteOffset(PathElement.groupElement("port"));
    private static final long PROTO = LAYOUT.byteOffset(PathElement.groupElement("proto"));
    private static final long FAMILY = LAYOUT.byteOffset(PathElement.groupElement("family"));

    @Override
    public long byteSize() {
        return LAYOUT.byteSize();
    }

    /** Zeroes the whole struct (padding included, as map keys need); returns this. */
    public LbVipKey clear() {
        segment.asSlice(offset, LAYOUT.byteSize()).fill((byte) 0);
        return this;
    }

    /** addr: an address in network byte order (IPv4 in the first 4 bytes), as an InetAddress of {@code family}. */
    public InetAddress addr(int family) {
        return Abi.readAddress(segment, offset + ADDR, family);
    }

    /** Sets addr from an address (IPv4 fills the first 4 bytes, the rest zero); returns this. */
    public LbVipKey addr(InetAddress address) {
        Abi.writeAddress(segment, offset + ADDR, address);
        return this;
    }

    /** port, a port kept in network byte order; read as a host number. */
    public int port() {
        return Short.toUnsignedInt(segment.get(Abi.NET_SHORT, offset + PORT));
    }

    public LbVipKey port(int port) {
        segment.set(Abi.NET_SHORT, offset + PORT, (short) port);
        return this;
    }

    public int proto() {
        return Byte.toUnsignedInt(segment.get(JAVA_BYTE, offset + PROTO));
    }

    public LbVipKey proto(int value) {
        segment.set(JAVA_BYTE, offset + PROTO, (byte) value);
        return this;
    }

    public int family() {
        return Byte.toUnsignedInt(segment.get(JAVA_BYTE, offset + FAMILY));
    }

    public LbVipKey family(int value) {
        segment.set(JAVA_BYTE, offset + FAMILY, (byte) value);
        return this;
    }
}
