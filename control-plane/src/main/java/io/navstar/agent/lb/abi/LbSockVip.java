package io.navstar.agent.lb.abi;

import io.navstar.loader.map.Codec;
import io.navstar.loader.map.Flyweight;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;
import java.net.InetAddress;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * One slot of a socket's lb_sock_vips storage (sock mode): a backend the socket was sent to and the VIP it stands
 * for. The Java mirror of {@code struct lb_sock_vip} in bpf/include/lb_structs.h (LbAbiLayoutTest checks it against
 * the built objects' BTF):
 * <pre>
 * struct lb_sock_vip {
 * 	__u32 backend_addr[4];
 * 	__u32 vip_addr[4];
 * 	__u16 backend_port;
 * 	__u16 vip_port;
 * 	__u8  family;
 * 	__u8  pad0;
 * 	__u16 pad1;
 * };
 * </pre>
 * A flyweight: {@link #wrap} it over memory; confine each instance to one thread.
 */
public final class LbSockVip extends Flyweight {
    /** The C struct's layout. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("backend_addr"),
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("vip_addr"),
            JAVA_SHORT.withName("backend_port"),
            JAVA_SHORT.withName("vip_port"),
            JAVA_BYTE.withName("family"),
            JAVA_BYTE.withName("pad0"),
            JAVA_SHORT.withName("pad1")).withName("lb_sock_vip");

    /** Codec for typed maps. */
    public static final Codec<LbSockVip> CODEC = new Codec<>() {
        @Override
        public long byteSize() {
            return LAYOUT.byteSize();
        }

        @Override
        public LbSockVip newFlyweight() {
            return new LbSockVip();
        }
    };

    private static final long BACKEND_ADDR = LAYOUT.byteOffset(PathElement.groupElement("backend_addr"));
    private static final long VIP_ADDR = LAYOUT.byteOffset(PathElement.groupElement("vip_addr"));
    private static final long BACKEND_PORT = LAYOUT.byteOffset(PathElement.groupElement("backend_port"));
    private static final long VIP_PORT = LAYOUT.byteOffset(PathElement.groupElement("vip_port"));
    private static final long FAMILY = LAYOUT.byteOffset(PathElement.groupElement("family"));

    @Override
    public long byteSize() {
        return LAYOUT.byteSize();
    }

    /** family: LB_AF_INET or LB_AF_INET6, 0 while the slot is free. */
    public int family() {
        return Byte.toUnsignedInt(segment.get(JAVA_BYTE, offset + FAMILY));
    }

    /** backend_addr as an InetAddress of the slot's family. */
    public InetAddress backendAddr() {
        return Abi.readAddress(segment, offset + BACKEND_ADDR, family());
    }

    /** backend_port, kept in network byte order; read as a host number. */
    public int backendPort() {
        return Short.toUnsignedInt(segment.get(Abi.NET_SHORT, offset + BACKEND_PORT));
    }

    /** vip_addr as an InetAddress of the slot's family. */
    public InetAddress vipAddr() {
        return Abi.readAddress(segment, offset + VIP_ADDR, family());
    }

    /** vip_port, kept in network byte order; read as a host number. */
    public int vipPort() {
        return Short.toUnsignedInt(segment.get(Abi.NET_SHORT, offset + VIP_PORT));
    }
}
