package io.navstar.dns.wire;

/**
 * Numbers of the DNS wire format (RFC 1035 §4.1, RFC 6891 §6.1, RFC 3596, RFC 2782): header offsets,
 * flag bits, record types, classes and response codes. Pure constants; safe from any thread.
 */
public final class DnsWire {
    private DnsWire() {
    }

    /** Fixed header size (RFC 1035 §4.1.1). */
    public static final int HEADER_SIZE = 12;
    public static final int OFFSET_ID = 0;
    public static final int OFFSET_FLAGS = 2;
    public static final int OFFSET_QDCOUNT = 4;
    public static final int OFFSET_ANCOUNT = 6;
    public static final int OFFSET_NSCOUNT = 8;
    public static final int OFFSET_ARCOUNT = 10;

    // Flag bits within the 16-bit flags word (RFC 1035 §4.1.1, RFC 4035 §3.2 for AD/CD).
    public static final int FLAG_QR = 0x8000;
    public static final int OPCODE_MASK = 0x7800;
    public static final int OPCODE_SHIFT = 11;
    public static final int FLAG_AA = 0x0400;
    public static final int FLAG_TC = 0x0200;
    public static final int FLAG_RD = 0x0100;
    public static final int FLAG_RA = 0x0080;
    public static final int FLAG_AD = 0x0020;
    public static final int FLAG_CD = 0x0010;
    public static final int RCODE_MASK = 0x000F;

    public static final int OPCODE_QUERY = 0;

    // Response codes (RFC 1035 §4.1.1; BADVERS is an extended code, RFC 6891 §6.1.3).
    public static final int RCODE_NOERROR = 0;
    public static final int RCODE_FORMERR = 1;
    public static final int RCODE_SERVFAIL = 2;
    public static final int RCODE_NXDOMAIN = 3;
    public static final int RCODE_NOTIMP = 4;
    public static final int RCODE_REFUSED = 5;
    public static final int RCODE_BADVERS = 16;

    // Record types.
    public static final int TYPE_A = 1;
    public static final int TYPE_NS = 2;
    public static final int TYPE_CNAME = 5;
    public static final int TYPE_SOA = 6;
    public static final int TYPE_PTR = 12;
    public static final int TYPE_MX = 15;
    public static final int TYPE_TXT = 16;
    public static final int TYPE_AAAA = 28;
    public static final int TYPE_SRV = 33;
    public static final int TYPE_OPT = 41;
    public static final int TYPE_ANY = 255;

    public static final int CLASS_IN = 1;

    /** Largest message over UDP without EDNS (RFC 1035 §4.2.1). */
    public static final int CLASSIC_UDP_SIZE = 512;
    /** Largest message over TCP: the 2-byte length prefix (RFC 1035 §4.2.2, RFC 7766 §8). */
    public static final int MAX_TCP_MESSAGE = 65535;
    /** Fixed size of an RR after its owner name: type, class, ttl, rdlength (RFC 1035 §4.1.3). */
    public static final int RR_FIXED_SIZE = 10;
    /** Size of an OPT RR with empty RDATA: root name + fixed part (RFC 6891 §6.1.2). */
    public static final int OPT_RR_SIZE = 11;
}
