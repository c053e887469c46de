package io.navstar.agent.lb.support;

import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * Builds Ethernet/IPv4/IPv6 + TCP/UDP packets with correct checksums (RFC 791, 793, 768, 8200) and checks
 * the checksums of any packet, for the PROG_TEST_RUN tables. Stateless.
 */
public final class TestPackets {
    public static final byte[] CLIENT_MAC = {0x02, 0, 0, 0, 0, 0x01};
    public static final byte[] HOST_MAC = {0x02, 0, 0, 0, 0, 0x02};
    public static final int SYN = 0x02;
    public static final int ACK = 0x10;
    public static final int FIN = 0x01;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;

    private TestPackets() {
    }

    /** A TCP segment from src:sport to dst:dport, with the family of the addresses. */
    public static byte[] tcp(String src, int sport, String dst, int dport, int flags, int seq, int ack, byte[] payload) {
        return tcp(CLIENT_MAC, HOST_MAC, src, sport, dst, dport, flags, seq, ack, payload);
    }

    public static byte[] tcp(byte[] srcMac, byte[] dstMac, String src, int sport, String dst, int dport, int flags,
                             int seq, int ack, byte[] payload) {
        ByteBuffer l4 = ByteBuffer.allocate(20 + payload.length);
        l4.putShort((short) sport).putShort((short) dport).putInt(seq).putInt(ack)
                .put((byte) (5 << 4)).put((byte) flags).putShort((short) 65535).putShort((short) 0).putShort((short) 0)
                .put(payload);
        return ip(srcMac, dstMac, src, dst, 6, l4.array(), 16);
    }

    /** A UDP datagram from src:sport to dst:dport. */
    public static byte[] udp(String src, int sport, String dst, int dport, byte[] payload) {
        return udp(CLIENT_MAC, HOST_MAC, src, sport, dst, dport, payload);
    }

    public static byte[] udp(byte[] srcMac, byte[] dstMac, String src, int sport, String dst, int dport, byte[] payload) {
        ByteBuffer l4 = ByteBuffer.allocate(8 + payload.length);
        l4.putShort((short) sport).putShort((short) dport).putShort((short) (8 + payload.length)).putShort((short) 0)
                .put(payload);
        return ip(srcMac, dstMac, src, dst, 17, l4.array(), 6);
    }

    /** An ICMP echo request (RFC 792) from src to dst, IPv4. */
    public static byte[] icmpEcho(String src, String dst) {
        byte[] echo = {8, 0, 0, 0, 0x12, 0x34, 0, 1};
        byte[] pkt = ip(CLIENT_MAC, HOST_MAC, src, dst, 1, echo, 2);
        put16(pkt, 14 + 20 + 2, 0);
        put16(pkt, 14 + 20 + 2, fold(sum(pkt, 14 + 20, echo.length, 0))); // ICMP sums no pseudo header
        return pkt;
    }

    /** The same IPv4 frame with {@code words} 32-bit words of options (NOPs) after its fixed header, checksum fixed. */
    public static byte[] withIpv4Options(byte[] pkt, int words) {
        int ihl = (pkt[14] & 0x0f) * 4;
        byte[] longer = new byte[pkt.length + 4 * words];
        System.arraycopy(pkt, 0, longer, 0, 14 + ihl);
        java.util.Arrays.fill(longer, 14 + ihl, 14 + ihl + 4 * words, (byte) 1); // NOP (RFC 791)
        System.arraycopy(pkt, 14 + ihl, longer, 14 + ihl + 4 * words, pkt.length - 14 - ihl);
        longer[14] = (byte) (0x40 | (ihl / 4 + words));
        put16(longer, 16, get16(pkt, 16) + 4 * words);
        put16(longer, 24, 0);
        put16(longer, 24, fold(sum(longer, 14, ihl + 4 * words, 0)));
        return longer;
    }

    /** Wraps an L4 segment (checksum field at l4CsumOffset, zero) in IP and Ethernet and fills every checksum. */
    public static byte[] ip(byte[] srcMac, byte[] dstMac, String src, String dst, int proto, byte[] l4, int l4CsumOffset) {
        byte[] s = InetAddress.ofLiteral(src).getAddress();
        byte[] d = InetAddress.ofLiteral(dst).getAddress();
        boolean v4 = s.length == 4;
        int l3 = v4 ? 20 : 40;
        ByteBuffer p = ByteBuffer.allocate(14 + l3 + l4.length);
        p.put(dstMac).put(srcMac).putShort((short) (v4 ? 0x0800 : 0x86DD));
        if (v4) {
            p.put((byte) 0x45).put((byte) 0).putShort((short) (20 + l4.length)).putShort((short) 0x1234)
                    .putShort((short) 0x4000).put((byte) 64).put((byte) proto).putShort((short) 0).put(s).put(d);
        } else {
            p.putInt(0x60000000).putShort((short) l4.length).put((byte) proto).put((byte) 64).put(s).put(d);
        }
        p.put(l4);
        byte[] pkt = p.array();
        if (v4) {
            put16(pkt, 14 + 10, fold(sum(pkt, 14, 20, 0)));
        }
        int l4Off = 14 + l3;
        int csum = fold(sum(pkt, l4Off, l4.length, pseudo(s, d, proto, l4.length)));
        if (proto == 17 && csum == 0) {
            csum = 0xffff;
        }
        put16(pkt, l4Off + l4CsumOffset, csum);
        return pkt;
    }

    /** True when the IPv4 header checksum and the TCP/UDP/ICMP checksum of an Ethernet frame are right. */
    public static boolean checksumsValid(byte[] pkt) {
        int type = get16(pkt, 12);
        int l4Off;
        int proto;
        int l4Len;
        byte[] s;
        byte[] d;
        if (type == 0x0800) {
            int ihl = (pkt[14] & 0x0f) * 4;
            if (fold(sum(pkt, 14, ihl, 0)) != 0) {
                return false;
            }
            proto = pkt[14 + 9] & 0xff;
            l4Off = 14 + ihl;
            l4Len = get16(pkt, 16) - ihl;
            s = java.util.Arrays.copyOfRange(pkt, 26, 30);
            d = java.util.Arrays.copyOfRange(pkt, 30, 34);
        } else if (type == 0x86DD) {
            proto = pkt[14 + 6] & 0xff;
            l4Off = 54;
            l4Len = get16(pkt, 18);
            s = java.util.Arrays.copyOfRange(pkt, 22, 38);
            d = java.util.Arrays.copyOfRange(pkt, 38, 54);
        } else {
            return false;
        }
        if (proto == 1) {
            return fold(sum(pkt, l4Off, l4Len, 0)) == 0;
        }
        if (proto == 17 && s.length == 4 && get16(pkt, l4Off + 6) == 0) {
            return true;
        }
        return fold(sum(pkt, l4Off, l4Len, pseudo(s, d, proto, l4Len))) == 0;
    }

    private static long pseudo(byte[] s, byte[] d, int proto, int len) {
        long sum = sum(s, 0, s.length, 0);
        sum = sum(d, 0, d.length, sum);
        return sum + proto + len;
    }

    private static long sum(byte[] b, int off, int len, long sum) {
        for (int i = 0; i < len - 1; i += 2) {
            sum += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            sum += (b[off + len - 1] & 0xff) << 8;
        }
        return sum;
    }

    private static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    public static int get16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    public static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    /** The same frame with source and destination MAC swapped. */
    public static byte[] macsSwapped(byte[] pkt) {
        byte[] copy = pkt.clone();
        System.arraycopy(pkt, 0, copy, 6, 6);
        System.arraycopy(pkt, 6, copy, 0, 6);
        return copy;
    }

    /** A hex dump for assertion messages. */
    public static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < b.length; i++) {
            sb.append(String.format("%02x", b[i] & 0xff)).append(i % 16 == 15 ? "\n" : " ");
        }
        return sb.toString();
    }
}
