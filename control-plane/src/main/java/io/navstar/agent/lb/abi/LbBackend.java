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
 * Element of lb_backends: a backend's address and port. The Java mirror of {@code struct lb_backend} in bpf/include/lb_structs.h
 * (LbAbiLayoutTest checks it against the built objects' BTF):
 * <pre>
 * struct lb_backend {
 * 	__u32 addr[4];  &#47;* network byte order *&#47;
 * 	__u16 port;     &#47;* network byte order *&#47;
 * 	__u8  family;   &#47;* LB_AF_INET or LB_AF_INET6 *&#47;
 * 	__u8  flags;    &#47;* LB_BACKEND_F_* *&#47;
 * };
 * </pre>
 * A flyweight: {@link #wrap} it over memory; confine each instance to one thread.
 */
public final class LbBackend extends Flyweight {
    /** The C struct's layout. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("addr"),
            JAVA_SHORT.withName("port"),
            JAVA_BYTE.withName("family"),
            JAVA_BYTE.withName("flags")).withName("lb_backend");

    /** Codec for typed maps. */
    public static final Codec<LbBackend> CODEC = new Codec<>() {
        @Override
        public long byteSize() {
            return LAYOUT.byteSize();
        }

        @Override
        public LbBackend newFlyweight() {
            return new LbBackend();
        }
    };

    private static final long ADDR = LAYOUT.byteOffset(PathElement.groupElement("addr"));
    private static final long PORT = LAYOUT.byteOffset(PathElement.groupElement("port"));
    private static final long FAMILY = LAYOUT.byteOffset(PathElement.groupElement("family"));
    private static final long FLAGS = LAYOUT.byteOffset(PathElement.groupElement("flags"));

    @Override
    public long byteSize() {
        return LAYOUT.byteSize();
    }

    /** Zeroes the whole struct (padding included, as map keys need); returns this. */
    public LbBackend clear() {
        segment.asSlice(offset, LAYOUT.byteSize()).fill((byte) 0);
        return this;
    }

    /** addr: an address in network byte order (IPv4 in the first 4 bytes), as an InetAddress of {@code family}. */
    public InetAddress addr(int family) {
        return Abi.readAddress(segment, offset + ADDR, family);
    }

    /** Sets addr from an address (IPv4 fills the first 4 bytes, the rest zero); returns this. */
    public LbBackend addr(InetAddress address) {
        Abi.writeAddress(segment, offset + ADDR, address);
        return this;
    }

    /** port, a port kept in network byte order; read as a host number. */
    public int port() {
        return Short.toUnsignedInt(segment.get(Abi.NET_SHORT, offset + PORT));
    }

    public LbBackend port(int port) {
        segment.set(Abi.NET_SHORT, offset + PORT, (short) port);
        return this;
    }

    public int family() {
        return Byte.toUnsignedInt(segment.get(JAVA_BYTE, offset + FAMILY));
    }

    public LbBackend family(int value) {
        segment.set(JAVA_BYTE, offset + FAMILY, (byte) value);
        return this;
    }

    public int flags() {
        return Byte.toUnsignedInt(segment.get(JAVA_BYTE, offset + FLAGS));
    }

    public LbBackend flags(int value) {
        segment.set(JAVA_BYTE, offset + FLAGS, (byte) value);
        return this;
    }
}
