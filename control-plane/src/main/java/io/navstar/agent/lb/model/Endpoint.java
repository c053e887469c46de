package io.navstar.agent.lb.model;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An IP address and a port: a VIP's front or a backend. Written {@code 10.0.0.1:80} or
 * {@code [fd00::1]:80}; parsed without any DNS lookup. Immutable.
 *
 * @param address the address (IPv4 or IPv6)
 * @param port    1..65535
 */
public record Endpoint(InetAddress address, int port) implements Comparable<Endpoint> {

    /** AF_INET, as the kernel numbers it. */
    public static final int AF_INET = 2;
    /** AF_INET6, as the kernel numbers it. */
    public static final int AF_INET6 = 10;
    /** Four decimal octets, no leading zeros; compiled once, since every KV read parses every backend. */
    private static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");

    public Endpoint {
        Objects.requireNonNull(address, "address");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " out of range 1..65535");
        }
    }

    /**
     * An IP address literal, strictly: IPv6 in any RFC 4291 §2.2 form, IPv4 as four decimal octets only (the JDK
     * also reads {@code 10.0.1} and {@code 10} as IPv4 addresses, which a config or API should refuse).
     */
    public static InetAddress literal(String text) {
        if (text.indexOf(':') < 0 && !IPV4.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address");
        }
        return InetAddress.ofLiteral(text);
    }

    /** Parses {@code a.b.c.d:port} or {@code [v6]:port}; throws with the text and the reason. */
    public static Endpoint parse(String text) {
        Objects.requireNonNull(text, "endpoint");
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("endpoint '" + text + "': expected [ipv6]:port");
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon <= 0 || text.indexOf(':') != colon) {
                throw new IllegalArgumentException("endpoint '" + text + "': expected ip:port (IPv6 as [ip]:port)");
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
        }
        InetAddress address;
        try {
            address = literal(host);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("endpoint '" + text + "': '" + host + "' is not an IP address", e);
        }
        int portNumber;
        try {
            portNumber = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("endpoint '" + text + "': port '" + port + "' is not a number", e);
        }
        if (portNumber < 1 || portNumber > 65535) {
            throw new IllegalArgumentException("endpoint '" + text + "': port " + portNumber + " out of range 1..65535");
        }
        return new Endpoint(address, portNumber);
    }

    /** AF_INET or AF_INET6. */
    public int family() {
        return address instanceof Inet6Address ? AF_INET6 : AF_INET;
    }

    /** True for IPv4. */
    public boolean ipv4() {
        return address instanceof Inet4Address;
    }

    @Override
    public String toString() {
        return ipv4() ? address.getHostAddress() + ":" + port : "[" + AddressText.of(address) + "]:" + port;
    }

    @Override
    public int compareTo(Endpoint other) {
        if (address instanceof Inet4Address && other.address instanceof Inet4Address) {
            // an Inet4Address's hash code is its address: no array copies on this hot comparison
            int c = Integer.compareUnsigned(address.hashCode(), other.address.hashCode());
            return c != 0 ? c : Integer.compare(port, other.port);
        }
        byte[] a = address.getAddress();
        byte[] b = other.address.getAddress();
        if (a.length != b.length) {
            return Integer.compare(a.length, b.length);
        }
        int c = java.util.Arrays.compareUnsigned(a, b);
        return c != 0 ? c : Integer.compare(port, other.port);
    }
}
