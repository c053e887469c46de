package io.navstar.dns.testing;

import io.navstar.dns.wire.Names;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/** A parsed DNS response, for assertions in tests (the test resolver's decoder). */
public record Response(int id, int flags, String questionName, List<Rr> answers, List<Rr> authority,
                       List<Rr> additional, int size) {

    /** One record: owner name (as on the wire, case kept), type, TTL and RDATA in presentation form. */
    public record Rr(String name, int type, long ttl, String data) {
    }

    public int rcode() {
        return flags & 0xF;
    }

    public boolean authoritative() {
        return (flags & 0x0400) != 0;
    }

    public boolean truncated() {
        return (flags & 0x0200) != 0;
    }

    public boolean hasOpt() {
        return additional.stream().anyMatch(r -> r.type() == 41);
    }

    public static Response parse(byte[] msg) {
        ByteBuf buf = Unpooled.wrappedBuffer(msg);
        int id = buf.getUnsignedShort(0);
        int flags = buf.getUnsignedShort(2);
        int qd = buf.getUnsignedShort(4);
        int[] counts = {buf.getUnsignedShort(6), buf.getUnsignedShort(8), buf.getUnsignedShort(10)};
        int pos = 12;
        String qname = null;
        byte[] name = new byte[255];
        for (int i = 0; i < qd; i++) {
            int r = Names.read(buf, 0, msg.length, pos, null, name);
            qname = Names.toText(name, r >>> 16);
            pos = (r & 0xFFFF) + 4;
        }
        List<List<Rr>> sections = new ArrayList<>();
        for (int count : counts) {
            List<Rr> list = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int r = Names.read(buf, 0, msg.length, pos, null, name);
                if (r < 0) {
                    throw new IllegalStateException("bad name at " + pos + ": " + r);
                }
                String owner = Names.toText(name, r >>> 16);
                pos = r & 0xFFFF;
                int type = buf.getUnsignedShort(pos);
                long ttl = buf.getUnsignedInt(pos + 4);
                int rdLength = buf.getUnsignedShort(pos + 8);
                int rdata = pos + 10;
                list.add(new Rr(owner, type, ttl, data(buf, msg.length, type, rdata, rdLength)));
                pos = rdata + rdLength;
            }
            sections.add(list);
        }
        return new Response(id, flags, qname, sections.get(0), sections.get(1), sections.get(2), msg.length);
    }

    private static String data(ByteBuf buf, int length, int type, int at, int rdLength) {
        byte[] name = new byte[255];
        try {
            switch (type) {
                case 1, 28 -> {
                    byte[] a = new byte[rdLength];
                    buf.getBytes(at, a);
                    return InetAddress.getByAddress(a).getHostAddress();
                }
                case 2, 5, 12 -> {
                    int r = Names.read(buf, 0, length, at, name, null);
                    return Names.toText(name, r >>> 16);
                }
                case 33 -> {
                    int r = Names.read(buf, 0, length, at + 6, name, null);
                    return buf.getUnsignedShort(at) + " " + buf.getUnsignedShort(at + 2) + " "
                            + buf.getUnsignedShort(at + 4) + " " + Names.toText(name, r >>> 16);
                }
                case 6 -> {
                    int r = Names.read(buf, 0, length, at, name, null);
                    String m = Names.toText(name, r >>> 16);
                    int r2 = Names.read(buf, 0, length, r & 0xFFFF, name, null);
                    String rn = Names.toText(name, r2 >>> 16);
                    int tail = r2 & 0xFFFF;
                    return m + " " + rn + " " + buf.getUnsignedInt(tail) + " " + buf.getUnsignedInt(tail + 16);
                }
                case 41 -> {
                    return "payload=" + buf.getUnsignedShort(at - 8);
                }
                default -> {
                    return "len=" + rdLength;
                }
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
