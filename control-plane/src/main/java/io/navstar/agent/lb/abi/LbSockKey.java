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
 * Key of lb_sock_nat (sock mode): socket cookie and backend. The Java mirror of {@code struct lb_sock_key} in bpf/include/lb_structs.h
 * (LbAbiLayoutTest checks it against the built objects' BTF):
 * <pre>
 * struct lb_sock_key {
 * 	__u64 cookie;
 * 	__u32 backend_addr[4];
 * 	__u16 backend_port;
 * 	__u16 family;
 * 	__u32 pad;
 * };
 * </pre>
 * A flyweight: {@link #wrap} it over memory; confine each instance to one thread.
 */
public final class LbSockKey extends Flyweight {
    /** The C struct's layout. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_LONG.withName("cookie"),
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("backend_addr"),
            JAVA_SHORT.withName("backend_port"),
            JAVA_SHORT.withName("family"),
            JAVA_INT.withName("pad")).withName("lb_sock_key");

    /** Codec for typed maps. */
    public static final Codec<LbSockKey> CODEC = new Codec<>() {
        @Override
        public long byteSize() {
            return LAYOUT.byteSize();
        }

        @Override
        public LbSockKey newFlyweight() {
            return new LbSockKey();
        }
    };

    private static final long COOKIE = LAYOUT.byteOffset(PathElement.groupElement("cookie"));
    private static final long BACKEND_ADDR = LAYOUT.byteOffset(PathElement.groupElement("backend_addr"));
    private static final long BACKEND_PORT = LAYOUT.byteOffset(PathElement.groupElement("backend_port"));
    private static final long FAMILY = LAYOUT.byteOffset(PathElement.groupElement("family"));
    private static final long PAD = LAYOUT.byteOffset(PathElement.groupElement("pad"));

    @Override
    public long byteSize() {
        return LAYOUT.byteSize();
    }

    /** Zeroes the whole struct (padding included, as map keys need); returns this. */
    public LbSockKey clear() {
        segment.asSlice(offset, LAYOUT.byteSize()).fill((byte) 0);
        return this;
    }

    public long cookie() {
        return segment.get(JAVA_LONG_UNALIGNED, offset + COOKIE);
    }

    public LbSockKey cookie(long value) {
        segment.set(JAVA_LONG_UNALIGNED, offset + COOKIE, value);
        return this;
    }

    /** backend_addr: an address in network byte order (IPv4 in the first 4 bytes), as an InetAddress of {@code family}. */
    public InetAddress backendAddr(int family) {
        return Abi.readAddress(segment, offset + BACKEND_ADDR, family);
    }

    /** Sets backend_addr from an address (IPv4 fills the first 4 bytes, the rest zero); returns this. */
    public LbSockKey backendAddr(InetAddress address) {
        Abi.writeAddress(segment, offset + BACKEND_ADDR, address);
        return this;
    }

    /** backend_port, a port kept in network byte order; read as a host number. */
    public int backendPort() {
        return Short.toUnsignedInt(segment.get(Abi.NET_SHORT, offset + BACKEND_PORT));
    }

    public LbSockKey backendPort(int port) {
        segment.set(Abi.NET_SHORT, offset + BACKEND_PORT, (short) port);
        return this;
    }

    public int family() {
        return Short.toUnsignedInt(segment.get(JAVA_SHORT_UNALIGNED, offset + FAMILY));
    }

    public LbSockKey family(int value) {
        segment.set(JAVA_SHORT_UNALIGNED, offset + FAMILY, (short) value);
        return this;
    }

    public int pad() {
        return segment.get(JAVA_INT_UNALIGNED, offset + PAD);
    }

    public LbSockKey pad(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + PAD, value);
        return this;
    }
}
