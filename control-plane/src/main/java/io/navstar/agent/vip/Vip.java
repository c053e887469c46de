package io.navstar.agent.vip;

import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.Protocol;

import java.net.InetAddress;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a task asks to be reachable at: a named VIP ({@code /web:80} of framework {@code marathon}, whose address
 * every node derives from the set of names, see {@link NamedVipAddresses}) or a VIP with a fixed address
 * ({@code 11.0.0.1:80}), with a protocol. It is the field of {@code [minuteman, vips]} in the KV store, written as
 * {@link #field()}: {@code tcp:/web:80@marathon} or {@code tcp:11.0.0.1:80} ({@code tcp:[fd01:c::1]:80}).
 *
 * <p>Immutable. Its order is that of its fields as strings, the order of the KV map's fields; the field is made
 * once, with the VIP, since sorting and looking up ten thousand VIPs compares them hundreds of thousands of times.
 */
public final class Vip implements Comparable<Vip> {

    /** Path segments of DNS-label characters, as DC/OS app ids ({@code /group/app}). */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(/[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private final Protocol protocol;
    private final String name;
    private final String framework;
    private final InetAddress address;
    private final int port;
    private final String field;

    /**
     * @param protocol  TCP or UDP
     * @param name      the name without its leading slash ({@code web}, {@code group/web}), or null for a fixed address
     * @param framework the framework that names it ({@code marathon}), or null for a fixed address
     * @param address   the fixed address, or null for a named VIP
     * @param port      the port clients connect to
     */
    public Vip(Protocol protocol, String name, String framework, InetAddress address, int port) {
        Objects.requireNonNull(protocol, "protocol");
        if ((name == null) == (address == null)) {
            throw new IllegalArgumentException("a VIP has either a name or an address");
        }
        if (name != null) {
            if (!NAME.matcher(name).matches() || dnsLabel(name).length() > 63) {
                throw new IllegalArgumentException("VIP name /" + name
                        + " must be /-separated segments of a-z, 0-9 and inner '-' (at most 63 characters)");
            }
            if (framework == null || !LABEL.matcher(framework).matches()) {
                throw new IllegalArgumentException("framework '" + framework + "' is not a DNS label");
            }
        } else if (framework != null) {
            throw new IllegalArgumentException("a VIP with a fixed address has no framework");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("VIP port " + port + " out of range 1..65535");
        }
        this.protocol = protocol;
        this.name = name;
        this.framework = framework;
        this.address = address;
        this.port = port;
        String proto = protocol.name().toLowerCase(Locale.ROOT);
        this.field = name != null ? proto + ":/" + name + ":" + port + "@" + framework
                : proto + ":" + new Endpoint(address, port);
    }

    /** TCP or UDP. */
    public Protocol protocol() {
        return protocol;
    }

    /** The name without its leading slash ({@code web}, {@code group/web}), or null for a fixed address. */
    public String name() {
        return name;
    }

    /** The framework that names it ({@code marathon}), or null for a fixed address. */
    public String framework() {
        return framework;
    }

    /** The fixed address, or null for a named VIP. */
    public InetAddress address() {
        return address;
    }

    /** The port clients connect to. */
    public int port() {
        return port;
    }

    public static Vip named(Protocol protocol, String name, String framework, int port) {
        return new Vip(protocol, name, framework, null, port);
    }

    public static Vip fixed(Protocol protocol, InetAddress address, int port) {
        return new Vip(protocol, null, null, address, port);
    }

    /**
     * Reads a DC/OS VIP label value: {@code /web:80} (named) or {@code 11.0.0.1:80}, {@code [fd01:c::1]:80}.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static Vip fromLabel(String value, Protocol protocol, String framework) {
        if (value.startsWith("/")) {
            int colon = value.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("expected /name:port, got " + value);
            }
            return named(protocol, value.substring(1, colon).toLowerCase(Locale.ROOT), framework,
                    port(value.substring(colon + 1)));
        }
        Endpoint endpoint;
        try {
            endpoint = Endpoint.parse(value);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("expected /name:port or address:port, got " + value);
        }
        return fixed(protocol, endpoint.address(), endpoint.port());
    }

    /** Reads {@link #field()}. */
    public static Vip parseField(String field) {
        int colon = field.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("VIP field without protocol: " + field);
        }
        Protocol protocol = Protocol.parse(field.substring(0, colon));
        String rest = field.substring(colon + 1);
        if (rest.startsWith("/")) {
            int at = rest.lastIndexOf('@');
            int portColon = rest.lastIndexOf(':', at < 0 ? rest.length() : at);
            if (at < 0 || portColon < 0) {
                throw new IllegalArgumentException("named VIP field needs /name:port@framework: " + field);
            }
            return named(protocol, rest.substring(1, portColon), rest.substring(at + 1),
                    port(rest.substring(portColon + 1, at)));
        }
        Endpoint endpoint = Endpoint.parse(rest);
        return fixed(protocol, endpoint.address(), endpoint.port());
    }

    private static int port(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port '" + text + "' is not a number");
        }
    }

    public boolean isNamed() {
        return name != null;
    }

    /** The KV field: {@code tcp:/web:80@marathon} or {@code tcp:11.0.0.1:80}. */
    public String field() {
        return field;
    }

    /** The name and framework, which share one address over every port and protocol ({@code web@marathon}). */
    public String nameKey() {
        return name + "@" + framework;
    }

    /** How dcos-net's API shows it: {@code /web:80} or {@code 11.0.0.1:80}. */
    public String display() {
        return isNamed() ? "/" + name + ":" + port : new Endpoint(address, port).toString();
    }

    /**
     * The DNS label of a name: its path segments in order, joined by '-' ({@code group/web} is
     * {@code group-web}), so the name becomes one label under {@code <framework>.l4lb.<domain>}.
     */
    public static String dnsLabel(String name) {
        return name.replace('/', '-');
    }

    @Override
    public int compareTo(Vip other) {
        return field.compareTo(other.field);
    }

    /** Equal VIPs have equal fields, and the field names every part of a VIP. */
    @Override
    public boolean equals(Object other) {
        return other instanceof Vip vip && field.equals(vip.field);
    }

    @Override
    public int hashCode() {
        return field.hashCode();
    }

    @Override
    public String toString() {
        return field;
    }
}
