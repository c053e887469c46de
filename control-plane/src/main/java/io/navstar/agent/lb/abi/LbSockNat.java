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
 * Value of lb_sock_nat (sock mode): the VIP the socket asked for. The Java mirror of {@code struct lb_sock_nat} in bpf/include/lb_structs.h
 * (LbAbiLayoutTest checks it against the built objects' BTF):
 * <pre>
 * struct lb_sock_nat {
 * 	__u32 vip_addr[4];
 * 	__u16 vip_port;
 * 	__u16 pad0;
 * 	__u32 pad1;
 * };
 * </pre>
 * A flyweight: {@link #wrap} it over memory; confine each instance to one thread.
 */
public final class LbSockNat extends Flyweight {
    /** The C struct's layout. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("vip_addr"),
            JAVA_SHORT.withName("vip_port"),
            JAVA_SHORT.withName("pad0"),
            JAVA_INT.withName("pad1")).withName("lb_sock_nat");

    /** Codec for typed maps. */
    public static final Codec<LbSockNat> CODEC = new Codec<>() {
        @Override
        public long byteSize() {
            return LAYOUT.byteSize();
        }

        @Override
        public LbSockNat newFlyweight() {
            return new LbSockNat();
        }
    };

    private static final long VIP_ADDR = LAYOUT.byteOffset(PathElement.groupElement("vip_addr"));
    private static final long VIP_PORT = LAYOUT.byteOffset(PathElement.groupElement("vip_port"));
    private static final long PAD0 = LAYOUT.byteOffset(PathElement.groupElement("pad0"));
    private static final long PAD1 = LAYOUT.byteOffset(PathElement.groupElement("pad1"));

    @Override
    public long byteSize() {
        return LAYOUT.byteSize();
    }

    /** Zeroes the whole struct (padding included, as map keys need); returns this. */
    public LbSockNat clear() {
        segment.asSlice(offset, LAYOUT.byteSize()).fill((byte) 0);
        return this;
    }

    /** vip_addr: an address in network byte order (IPv4 in the first 4 bytes), as an InetAddress of {@code family}. */
    public InetAddress vipAddr(int family) {
        return Abi.readAddress(segment, offset + VIP_ADDR, family);
    }

    /** Sets vip_addr from an address (IPv4 fills the first 4 bytes, the rest zero); returns this. */
    public LbSockNat vipAddr(InetAddress address) {
        Abi.writeAddress(segment, offset + VIP_ADDR, address);
        return this;
    }

    /** vip_port, a port kept in network byte order; read as a host number. */
    public int vipPort() {
        return Short.toUnsignedInt(segment.get(Abi.NET_SHORT, offset + VIP_PORT));
    }

    public LbSockNat vipPort(int port) {
        segment.set(Abi.NET_SHORT, offset + VIP_PORT, (short) port);
        return this;
    }

    public int pad0() {
        return Short.toUnsignedInt(segment.get(JAVA_SHORT_UNALIGNED, offset + PAD0));
    }

    public LbSockNat pad0(int value) {
        segment.set(JAVA_SHORT_UNALIGNED, offset + PAD0, (short) value);
        return this;
    }

    public int pad1() {
        return segment.get(JAVA_INT_UNALIGNED, offset + PAD1);
    }

    public LbSockNat pad1(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + PAD1, value);
        return this;
    }
}
