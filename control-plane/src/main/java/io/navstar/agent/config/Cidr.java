package io.navstar.agent.config;

import io.navstar.agent.lb.model.Endpoint;
import java.math.BigInteger;
import java.net.InetAddress;

/**
 * An address range in CIDR notation (RFC 4632 §3.1), IPv4 or IPv6; the address is the first of the range.
 *
 * @param address      the range's first address (host bits zero)
 * @param prefixLength bits fixed by the range
 */
public record Cidr(InetAddress address, int prefixLength) {

    /** Parses {@code 11.0.0.0/8}; host bits must be zero. */
    public static Cidr parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("no /prefix");
        }
        InetAddress address = Endpoint.literal(text.substring(0, slash));
        int bits = address.getAddress().length * 8;
        int prefix = Integer.parseInt(text.substring(slash + 1));
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("prefix out of range");
        }
        BigInteger value = new BigInteger(1, address.getAddress());
        if (!value.shiftRight(bits - prefix).shiftLeft(bits - prefix).equals(value)) {
            throw new IllegalArgumentException("host bits set");
        }
        return new Cidr(address, prefix);
    }

    /** Address bits (32 or 128). */
    public int bits() {
        return address.getAddress().length * 8;
    }

    /** How many addresses the range holds, capped at 2^62 (an IPv6 /64 is far more than any cluster names). */
    public long size() {
        int hostBits = bits() - prefixLength;
        return hostBits >= 62 ? 1L << 62 : 1L << hostBits;
    }

    /** The {@code offset}-th address of the range. */
    public InetAddress at(long offset) {
        byte[] bytes = address.getAddress();
        long carry = offset;
        for (int i = bytes.length - 1; i >= 0 && carry != 0; i--) {
            long sum = (bytes[i] & 0xFF) + (carry & 0xFF);
            bytes[i] = (byte) sum;
            carry = (carry >>> 8) + (sum >>> 8);
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code other} lies in this range. */
    public boolean contains(InetAddress other) {
        byte[] a = address.getAddress();
        byte[] b = other.getAddress();
        if (a.length != b.length) {
            return false;
        }
        int hostBits = bits() - prefixLength;
        return new BigInteger(1, a).shiftRight(hostBits).equals(new BigInteger(1, b).shiftRight(hostBits));
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + prefixLength;
    }
}
