package io.navstar.bench.lb;

import java.net.InetAddress;
import java.nio.ByteBuffer;

/** Ethernet + IPv4 + TCP frames with valid checksums for the load balancer benchmarks. */
final class Packets {
    private Packets() {
    }

    static byte[] tcp4(String src, int sport, String dst, int dport, int flags, int payload) {
        byte[] s = InetAddress.ofLiteral(src).getAddress();
        byte[] d = InetAddress.ofLiteral(dst).getAddress();
        int l4 = 20 + payload;
        ByteBuffer p = ByteBuffer.allocate(14 + 20 + l4);
        p.put(new byte[] {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}).putShort((short) 0x0800);
        p.put((byte) 0x45).put((byte) 0).putShort((short) (20 + l4)).putShort((short) 1).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 6).putShort((short) 0).put(s).put(d);
        p.putShort((short) sport).putShort((short) dport).putInt(1).putInt(flags == 0x02 ? 0 : 1)
                .put((byte) 0x50).put((byte) flags).putShort((short) 65535).putShort((short) 0).putShort((short) 0);
        byte[] pkt = p.array();
        put16(pkt, 24, fold(sum(pkt, 14, 20, 0)));
        long pseudo = sum(s, 0, 4, 0) + sum(d, 0, 4, 0) + 6 + l4;
        put16(pkt, 50, fold(sum(pkt, 34, l4, pseudo)));
        return pkt;
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

    private static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }
}
