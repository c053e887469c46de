package io.navstar.dns.testing;

import io.navstar.dns.wire.Names;

import java.io.ByteArrayOutputStream;

/** Builds raw DNS messages for tests, including deliberately broken ones. */
public final class Messages {
    private Messages() {
    }

    /** A standard query for {@code name}/{@code type} with RD, optionally with an OPT record. */
    public static byte[] query(int id, String name, int type, boolean edns, int payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        short16(out, id);
        short16(out, 0x0100);
        short16(out, 1);
        short16(out, 0);
        short16(out, 0);
        short16(out, edns ? 1 : 0);
        out.writeBytes(wireKeepingCase(name));
        short16(out, type);
        short16(out, 1);
        if (edns) {
            out.write(0);
            short16(out, 41);
            short16(out, payload);
            out.write(0);
            out.write(0);
            short16(out, 0);
            short16(out, 0);
        }
        return out.toByteArray();
    }

    /** A {@link #query} with an OPT record of this EDNS version (RFC 6891 §6.1.3). */
    public static byte[] queryWithEdnsVersion(int id, String name, int type, int version) {
        byte[] query = query(id, name, type, true, 4096);
        query[query.length - 5] = (byte) version; // OPT TTL: extended rcode, version, flags; then rdlength
        return query;
    }

    /** Wire form of {@code name} without lowercasing (to test 0x20 case preservation). */
    public static byte[] wireKeepingCase(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String label : name.split("\\.")) {
            if (label.isEmpty()) {
                continue;
            }
            out.write(label.length());
            out.writeBytes(label.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        out.write(0);
        return out.toByteArray();
    }

    /** A header with the given counts followed by {@code body}. */
    public static byte[] withHeader(int id, int flags, int qd, int an, int ns, int ar, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        short16(out, id);
        short16(out, flags);
        short16(out, qd);
        short16(out, an);
        short16(out, ns);
        short16(out, ar);
        out.writeBytes(body);
        return out.toByteArray();
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    public static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    public static void short16(ByteArrayOutputStream out, int v) {
        out.write(v >>> 8);
        out.write(v);
    }

    /** Lowercase wire name. */
    public static byte[] wire(String name) {
        return Names.toWire(name);
    }
}
