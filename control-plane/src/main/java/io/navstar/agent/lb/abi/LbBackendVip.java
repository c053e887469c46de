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
 * Value of lb_backend_vips (tc and xdp modes), keyed by a backend endpoint in {@link LbVipKey}'s layout: the VIP the
 * data plane first sent a flow to that endpoint for, so a reply finds its forward entry without a reverse entry of
 * its own. Written by the data plane only. The Java mirror of {@code struct lb_backend_vip} in bpf/include/lb_structs.h
 * (LbAbiLayoutTest checks it against the built objects' BTF):
 * <pre>
 * struct lb_backend_vip {
 * 	__u32 vip_addr[4];
 * 	__u16 vip_port;
 * 	__u16 flags;
 * 	__u32 pad;
 * };
 * </pre>
 * A flyweight: {@link #wrap} it over memory; confine each instance to one thread.
 */
public final class LbBackendVip extends Flyweight {
    /** The C struct's layout. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("vip_addr"),
            JAVA_SHORT.withName("vip_port"),
            JAVA_SHORT.withName("flags"),
            JAVA_INT.withName("pad")).withName("lb_backend_vip");

    /** Codec for typed maps. */
    public static final Codec<LbBackendVip> CODEC = new Codec<>() {
        @Override
        public long byteSize() {
            return LAYOUT.byteSize();
        }

        @Override
        public LbBackendVip newFlyweight() {
            return new LbBackendVip();
        }
    };

    private static final long VIP_ADDR = LAYOUT.byteOffset(PathElement.groupElement("vip_addr"));
    private static final long VIP_PORT = LAYOUT.byteOffset(PathElement.groupElement("vip_port"));
    private static final long FLAGS = LAYOUT.byteOffset(PathElement.groupElement("flags"));
    private static final long PAD = LAYOUT.byteOffset(PathElement.groupElement("pad"));

    @Override
    public long byteSize() {
        return LAYOUT.byteSize();
    }

    /** Zeroes the whole struct (padding included, as map keys need); returns this. */
    public LbBackendVip clear() {
        segment.asSlice(offset, LAYOUT.byteSize()).fill((byte) 0);
        return this;
    }

    /** vip_addr: an address in network byte order (IPv4 in the first 4 bytes), as an InetAddress of {@code family}. */
    public InetAddress vipAddr(int family) {
        return Abi.readAddress(segment, offset + VIP_ADDR, family);
    }

    /** Sets vip_addr from an address (IPv4 fills the first 4 bytes, the rest zero); returns this. */
    public LbBackendVip vipAddr(InetAddress address) {
        Abi.writeAddress(segment, offset + VIP_ADDR, address);
        return this;
    }

    /** vip_port, a port kept in network byte order; read as a host number. */
    public int vipPort() {
        return Short.toUnsignedInt(segment.get(Abi.NET_SHORT, offset + VIP_PORT));
    }

    public LbBackendVip vipPort(int port) {
        segment.set(Abi.NET_SHORT, offset + VIP_PORT, (short) port);
        return this;
    }

    /** flags: {@link Abi#BACKEND_VIP_SHARED}. */
    public int flags() {
        return Short.toUnsignedInt(segment.get(JAVA_SHORT_UNALIGNED, offset + FLAGS));
    }

    public LbBackendVip flags(int value) {
        segment.set(JAVA_SHORT_UNALIGNED, offset + FLAGS, (short) value);
        return this;
    }

    public int pad() {
        return segment.get(JAVA_INT_UNALIGNED, offset + PAD);
    }

    public LbBackendVip pad(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + PAD, value);
        return this;
    }
}
