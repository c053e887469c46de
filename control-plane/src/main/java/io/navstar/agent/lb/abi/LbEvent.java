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
 * A record of the lb_events ring buffer. The Java mirror of {@code struct lb_event} in bpf/include/lb_structs.h
 * (LbAbiLayoutTest checks it against the built objects' BTF):
 * <pre>
 * struct lb_event {
 * 	__u64 timestamp_ns;     &#47;* CLOCK_MONOTONIC ns, tick resolution (lb_now) *&#47;
 * 	__u32 type;             &#47;* LB_EVENT_* *&#47;
 * 	__u32 vip_id;
 * 	__u32 backend_id;       &#47;* ~0 when none *&#47;
 * 	__u8  family;
 * 	__u8  proto;
 * 	__u16 client_port;      &#47;* network byte order *&#47;
 * 	__u16 vip_port;         &#47;* network byte order *&#47;
 * 	__u16 pad0;
 * 	__u32 client_addr[4];   &#47;* network byte order *&#47;
 * 	__u32 vip_addr[4];      &#47;* network byte order *&#47;
 * 	__u32 pad1;
 * };
 * </pre>
 * A flyweight: {@link #wrap} it over memory; confine each instance to one thread.
 */
public final class LbEvent extends Flyweight {
    /** The C struct's layout. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_LONG.withName("timestamp_ns"),
            JAVA_INT.withName("type"),
            JAVA_INT.withName("vip_id"),
            JAVA_INT.withName("backend_id"),
            JAVA_BYTE.withName("family"),
            JAVA_BYTE.withName("proto"),
            JAVA_SHORT.withName("client_port"),
            JAVA_SHORT.withName("vip_port"),
            JAVA_SHORT.withName("pad0"),
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("client_addr"),
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("vip_addr"),
            JAVA_INT.withName("pad1")).withName("lb_event");

    /** Codec for typed maps. */
    public static final Codec<LbEvent> CODEC = new Codec<>() {
        @Override
        public long byteSize() {
            return LAYOUT.byteSize();
        }

        @Override
        public LbEvent newFlyweight() {
            return new LbEvent();
        }
    };

    private static final long TIMESTAMP_NS = LAYOUT.byteOffset(PathElement.groupElement("timestamp_ns"));
    private static final long TYPE = LAYOUT.byteOffset(PathElement.groupElement("type"));
    private static final long VIP_ID = LAYOUT.byteOffset(PathElement.groupElement("vip_id"));
    private static final long BACKEND_ID = LAYOUT.byteOffset(PathElement.groupElement("backend_id"));
    private static final long FAMILY = LAYOUT.byteOffset(PathElement.groupElement("family"));
    private static final long PROTO = LAYOUT.byteOffset(PathElement.groupElement("proto"));
    private static final long CLIENT_PORT = LAYOUT.byteOffset(PathElement.groupElement("client_port"));
    private static final long VIP_PORT = LAYOUT.byteOffset(PathElement.groupElement("vip_port"));
    private static final long PAD0 = LAYOUT.byteOffset(PathElement.groupElement("pad0"));
    private static final long CLIENT_ADDR = LAYOUT.byteOffset(PathElement.groupElement("client_addr"));
    private static final long VIP_ADDR = LAYOUT.byteOffset(PathElement.groupElement("vip_addr"));
    private static final long PAD1 = LAYOUT.byteOffset(PathElement.groupElement("pad1"));

    @Override
    public long byteSize() {
        return LAYOUT.byteSize();
    }

    /** Zeroes the whole struct (padding included, as map keys need); returns this. */
    public LbEvent clear() {
        segment.asSlice(offset, LAYOUT.byteSize()).fill((byte) 0);
        return this;
    }

    public long timestampNs() {
        return segment.get(JAVA_LONG_UNALIGNED, offset + TIMESTAMP_NS);
    }

    public LbEvent timestampNs(long value) {
        segment.set(JAVA_LONG_UNALIGNED, offset + TIMESTAMP_NS, value);
        return this;
    }

    public int type() {
        return segment.get(JAVA_INT_UNALIGNED, offset + TYPE);
    }

    public LbEvent type(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + TYPE, value);
        return this;
    }

    public int vipId() {
        return segment.get(JAVA_INT_UNALIGNED, offset + VIP_ID);
    }

    public LbEvent vipId(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + VIP_ID, value);
        return this;
    }

    public int backendId() {
        return segment.get(JAVA_INT_UNALIGNED, offset + BACKEND_ID);
    }

    public LbEvent backendId(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + BACKEND_ID, value);
        return this;
    }

    public int family() {
        return Byte.toUnsignedInt(segment.get(JAVA_BYTE, offset + FAMILY));
    }

    public LbEvent family(int value) {
        segment.set(JAVA_BYTE, offset + FAMILY, (byte) value);
        return this;
    }

    public int proto() {
        return Byte.toUnsignedInt(segment.get(JAVA_BYTE, offset + PROTO));
    }

    public LbEvent proto(int value) {
        segment.set(JAVA_BYTE, offset + PROTO, (byte) value);
        return this;
    }

    /** client_port, a port kept in network byte order; read as a host number. */
    public int clientPort() {
        return Short.toUnsignedInt(segment.get(Abi.NET_SHORT, offset + CLIENT_PORT));
    }

    public LbEvent clientPort(int port) {
        segment.set(Abi.NET_SHORT, offset + CLIENT_PORT, (short) port);
        return this;
    }

    /** vip_port, a port kept in network byte order; read as a host number. */
    public int vipPort() {
        return Short.toUnsignedInt(segment.get(Abi.NET_SHORT, offset + VIP_PORT));
    }

    public LbEvent vipPort(int port) {
        segment.set(Abi.NET_SHORT, offset + VIP_PORT, (short) port);
        return this;
    }

    public int pad0() {
        return Short.toUnsignedInt(segment.get(JAVA_SHORT_UNALIGNED, offset + PAD0));
    }

    public LbEvent pad0(int value) {
        segment.set(JAVA_SHORT_UNALIGNED, offset + PAD0, (short) value);
        return this;
    }

    /** client_addr: an address in network byte order (IPv4 in the first 4 bytes), as an InetAddress of {@code family}. */
    public InetAddress clientAddr(int family) {
        return Abi.readAddress(segment, offset + CLIENT_ADDR, family);
    }

    /** Sets client_addr from an address (IPv4 fills the first 4 bytes, the rest zero); returns this. */
    public LbEvent clientAddr(InetAddress address) {
        Abi.writeAddress(segment, offset + CLIENT_ADDR, address);
        return this;
    }

    /** vip_addr: an address in network byte order (IPv4 in the first 4 bytes), as an InetAddress of {@code family}. */
    public InetAddress vipAddr(int family) {
        return Abi.readAddress(segment, offset + VIP_ADDR, family);
    }

    /** Sets vip_addr from an address (IPv4 fills the first 4 bytes, the rest zero); returns this. */
    public LbEvent vipAddr(InetAddress address) {
        Abi.writeAddress(segment, offset + VIP_ADDR, address);
        return this;
    }

    public int pad1() {
        return segment.get(JAVA_INT_UNALIGNED, offset + PAD1);
    }

    public LbEvent pad1(int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + PAD1, value);
        return this;
    }
}
