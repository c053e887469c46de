package io.navstar.dns.zone;

import io.navstar.dns.wire.DnsWire;
import io.navstar.dns.wire.DnsWriter;
import io.navstar.dns.wire.Names;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * One resource record's type, TTL and RDATA, pre-encoded for {@link DnsWriter}: fixed octets before
 * and after up to two embedded domain names, so that serving it copies bytes and compresses names
 * without allocating. Immutable; built by the static factories (configuration paths).
 *
 * @param type RR type ({@link DnsWire#TYPE_A} etc.)
 * @param ttl TTL in seconds
 * @param prefix RDATA octets before the first name (the address for A/AAAA, priority/weight/port for SRV)
 * @param name1 first embedded name (lowercase wire form) or null
 * @param name2 second embedded name or null (SOA RNAME)
 * @param suffix RDATA octets after the names (SOA serial..minimum) or an empty array
 * @param compressNames whether embedded names may be compressed (RFC 1035 §4.1.4 allows it for the
 *     RFC 1035 types NS, PTR, SOA; RFC 2782 forbids it for SRV targets)
 */
public record RecordData(int type, long ttl, byte[] prefix, byte[] name1, byte[] name2, byte[] suffix,
                         boolean compressNames) {
    private static final byte[] NONE = new byte[0];

    public static RecordData a(String address, long ttl) {
        InetAddress ip = parse(address);
        if (!(ip instanceof Inet4Address)) {
            throw new IllegalArgumentException("not an IPv4 address: " + address);
        }
        return new RecordData(DnsWire.TYPE_A, ttl, ip.getAddress(), null, null, NONE, false);
    }

    public static RecordData aaaa(String address, long ttl) {
        InetAddress ip = parse(address);
        if (!(ip instanceof Inet6Address)) {
            throw new IllegalArgumentException("not an IPv6 address: " + address);
        }
        return new RecordData(DnsWire.TYPE_AAAA, ttl, ip.getAddress(), null, null, NONE, false);
    }

    /** A or AAAA by the address family. */
    public static RecordData address(String address, long ttl) {
        return parse(address) instanceof Inet4Address ? a(address, ttl) : aaaa(address, ttl);
    }

    /** SRV (RFC 2782): target never compressed. */
    public static RecordData srv(int priority, int weight, int port, String target, long ttl) {
        byte[] fixed = ByteBuffer.allocate(6).putShort((short) priority).putShort((short) weight)
                .putShort((short) port).array();
        return new RecordData(DnsWire.TYPE_SRV, ttl, fixed, Names.toWire(target), null, NONE, false);
    }

    public static RecordData ptr(String target, long ttl) {
        return new RecordData(DnsWire.TYPE_PTR, ttl, NONE, Names.toWire(target), null, NONE, true);
    }

    public static RecordData ns(String host, long ttl) {
        return new RecordData(DnsWire.TYPE_NS, ttl, NONE, Names.toWire(host), null, NONE, true);
    }

    /** SOA (RFC 1035 §3.3.13); {@code minimum} also bounds negative-answer TTLs (RFC 2308 §4). */
    public static RecordData soa(String mname, String rname, long serial, long refresh, long retry, long expire,
                                 long minimum, long ttl) {
        byte[] tail = ByteBuffer.allocate(20).putInt((int) serial).putInt((int) refresh).putInt((int) retry)
                .putInt((int) expire).putInt((int) minimum).array();
        return new RecordData(DnsWire.TYPE_SOA, ttl, NONE, Names.toWire(mname), Names.toWire(rname), tail, true);
    }

    /** The SOA MINIMUM field; only meaningful for SOA records. */
    public long soaMinimum() {
        return ByteBuffer.wrap(suffix, 16, 4).getInt() & 0xFFFFFFFFL;
    }

    /** Writes TYPE, CLASS IN, the given TTL, RDLENGTH and RDATA after an owner name already written. */
    public void writeTo(DnsWriter writer, long ttlToWrite) {
        int rdLength = writer.rrFixed(type, DnsWire.CLASS_IN, ttlToWrite);
        writer.writeBytes(prefix);
        if (name1 != null) {
            writer.writeName(name1, name1.length, compressNames);
        }
        if (name2 != null) {
            writer.writeName(name2, name2.length, compressNames);
        }
        writer.writeBytes(suffix);
        writer.endRdata(rdLength);
    }

    private static InetAddress parse(String address) {
        // Literal addresses only: InetAddress.ofLiteral never consults a resolver.
        return InetAddress.ofLiteral(address);
    }
}
