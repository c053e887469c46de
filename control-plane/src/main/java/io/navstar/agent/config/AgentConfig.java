package io.navstar.agent.config;

import io.navstar.agent.lb.model.Endpoint;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.navstar.agent.lb.LbMode;
import io.navstar.agent.lb.kernel.LbSettings;
import io.navstar.dns.server.DnsConfig;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.security.ClusterAuthenticator;
import io.navstar.gossip.security.TlsFiles;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Everything one node agent runs with, validated: {@link #defaults()} are a production node's (pins under
 * /sys/fs/bpf/navstar, sock mode on the cgroup v2 root, DNS on 198.51.100.1-3:53 on a dummy interface
 * {@code spartan}, the API on 127.0.0.1:62080, data in /var/lib/navstar), so one node needs no file; {@link #load}
 * lays a YAML file ({@link ConfigFile}, every key documented there and in the README) over them. An unknown key, a
 * bad value or a missing file is a {@link ConfigException} naming the file and key, thrown before anything is
 * created. Immutable.
 *
 * @param self          this node's gossip identity (its private address and gossip port)
 * @param hostname      this node's DNS name
 * @param publicIps     its public addresses, as published in {@code [navstar, nodes]}
 * @param contacts      nodes to join through
 * @param clusterSecret the cluster secret, or null for none (any peer accepted: tests and single nodes only)
 * @param tls           TLS files between nodes, or null
 * @param dataDir       KV store and epoch
 * @param tasksDir      task files
 * @param lbMode        data plane mode
 * @param lbSettings    pins, map sizes, timeouts
 * @param cgroup        sock mode's cgroup
 * @param netns         tc/xdp mode's namespace, or null for the agent's own
 * @param interfaces    tc/xdp mode's interface names or globs
 * @param dnsListen     Spartan's addresses
 * @param dnsInterface  the dummy interface holding them, or null to create none
 * @param dnsUpstreams  resolvers for other names
 * @param domain        the cluster domain
 * @param dnsEventLoops Spartan's event loops
 * @param vipRange4     named VIPs' IPv4 range
 * @param vipRange6     named VIPs' IPv6 range
 * @param defaultFramework the framework of tasks that give none
 * @param api           the API's address
 * @param logLevel      the log level (slf4j-simple's names)
 */
public record AgentConfig(
        NodeId self,
        String hostname,
        List<InetAddress> publicIps,
        List<NodeId> contacts,
        byte[] clusterSecret,
        TlsFiles tls,
        Path dataDir,
        Path tasksDir,
        LbMode lbMode,
        LbSettings lbSettings,
        Path cgroup,
        String netns,
        List<String> interfaces,
        List<InetSocketAddress> dnsListen,
        String dnsInterface,
        List<InetSocketAddress> dnsUpstreams,
        String domain,
        int dnsEventLoops,
        Cidr vipRange4,
        Cidr vipRange6,
        String defaultFramework,
        InetSocketAddress api,
        String logLevel) {

    /** Lashup's gossip port default. */
    public static final int DEFAULT_GOSSIP_PORT = 62501;
    public static final int DEFAULT_API_PORT = 62080;
    public static final Path DEFAULT_DATA_DIR = Path.of("/var/lib/navstar");
    public static final String DEFAULT_DNS_INTERFACE = "spartan";
    public static final String DEFAULT_FRAMEWORK = "marathon";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    public AgentConfig {
        publicIps = List.copyOf(publicIps);
        contacts = List.copyOf(contacts);
        interfaces = List.copyOf(interfaces);
        dnsListen = List.copyOf(dnsListen);
        dnsUpstreams = List.copyOf(dnsUpstreams);
        clusterSecret = clusterSecret == null ? null : clusterSecret.clone();
    }

    @Override
    public byte[] clusterSecret() {
        return clusterSecret == null ? null : clusterSecret.clone();
    }

    /** A production node's config: what the agent runs with when given no file. */
    public static AgentConfig defaults() {
        return resolve(null, new ConfigFile(null, null, null, null, null, null, null, null, null));
    }

    /**
     * Reads a YAML config file and lays it over {@link #defaults()}.
     *
     * @throws ConfigException naming the file and the key (with its line when known) and why
     */
    public static AgentConfig load(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        ConfigFile parsed;
        try {
            parsed = bytes.length == 0 ? null : YAML.readValue(bytes, ConfigFile.class);
        } catch (UnrecognizedPropertyException e) {
            throw new ConfigException(file + where(e.getLocation()) + ": " + JsonErrors.path(e) + ": unknown key (known here: "
                    + String.join(", ", e.getKnownPropertyIds().stream().map(Object::toString).sorted().toList()) + ")");
        } catch (MismatchedInputException e) {
            throw new ConfigException(file + where(e.getLocation()) + ": " + JsonErrors.path(e) + ": expected "
                    + expected(e.getTargetType()));
        } catch (JsonMappingException e) {
            if (e.getCause() instanceof JsonProcessingException syntax) { // the YAML parser's, wrapped
                throw new ConfigException(file + where(syntax.getLocation()) + ": not valid YAML: " + yamlProblem(syntax));
            }
            throw new ConfigException(file + where(e.getLocation()) + ": " + JsonErrors.path(e) + ": " + JsonErrors.firstLine(e.getOriginalMessage()));
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + where(e.getLocation()) + ": not valid YAML: " + yamlProblem(e));
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        return resolve(file, parsed == null ? new ConfigFile(null, null, null, null, null, null, null, null, null) : parsed);
    }

    /** SnakeYAML's problem in one line: its context and what it expected ("while parsing ...; expected ..."). */
    private static String yamlProblem(JsonProcessingException e) {
        List<String> lines = (e.getOriginalMessage() == null ? "" : e.getOriginalMessage()).lines()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("in '") && !l.startsWith("^")).toList();
        if (lines.isEmpty()) {
            return "syntax error";
        }
        String problem = lines.stream().filter(l -> l.startsWith("expected") || l.startsWith("found")
                || l.startsWith("mapping values")).findFirst().orElse("");
        return problem.isEmpty() || problem.equals(lines.get(0)) ? lines.get(0) : lines.get(0) + "; " + problem;
    }

    /** What a key takes, in the file's words. */
    private static String expected(Class<?> type) {
        if (type == null) {
            return "another kind of value";
        }
        if (List.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (type.isRecord()) {
            return "a mapping of keys";
        }
        return "a single value";
    }

    private static String where(JsonLocation location) {
        return location == null || location.getLineNr() < 1 ? "" : ":" + location.getLineNr();
    }



    /** Defaults, overridden by what the file sets, every value checked. {@code file} is null for the defaults. */
    private static AgentConfig resolve(Path file, ConfigFile f) {
        Values v = new Values(file);
        ConfigFile.Node node = f.node() == null ? new ConfigFile.Node(null, null, null, null) : f.node();
        ConfigFile.Cluster cluster = f.cluster() == null ? new ConfigFile.Cluster(null, null, null) : f.cluster();
        ConfigFile.Lb lb = f.lb() == null ? new ConfigFile.Lb(null, null, null, null, null, null, null, null, null) : f.lb();
        ConfigFile.Dns dns = f.dns() == null ? new ConfigFile.Dns(null, null, null, null, null) : f.dns();
        ConfigFile.Vips vips = f.vips() == null ? new ConfigFile.Vips(null, null, null) : f.vips();
        ConfigFile.Api api = f.api() == null ? new ConfigFile.Api(null) : f.api();

        InetAddress address = node.address() == null ? primaryAddress()
                : v.parse("node.address", node.address(), AgentConfig::ipv4, "an IPv4 address");
        int gossipPort = node.gossipPort() == null ? DEFAULT_GOSSIP_PORT
                : v.integer("node.gossip_port", node.gossipPort(), 1, 65535);
        NodeId self = NodeId.of(address.getHostAddress(), gossipPort);
        String hostname = node.hostname() == null ? systemHostname()
                : v.parse("node.hostname", node.hostname(), AgentConfig::hostname, "a DNS label or dotted name");
        List<InetAddress> publicIps = v.list("node.public_ips", node.publicIps(), AgentConfig::address, "an IP address");
        List<NodeId> contacts = v.list("cluster.contacts", cluster.contacts(), NodeId::parse, "a.b.c.d:port");
        byte[] secret = cluster.secretFile() == null ? null : v.secret("cluster.secret_file", cluster.secretFile());
        TlsFiles tls = null;
        if (cluster.tls() != null) {
            tls = new TlsFiles(v.file("cluster.tls.certificate", cluster.tls().certificate()),
                    v.file("cluster.tls.private_key", cluster.tls().privateKey()),
                    v.file("cluster.tls.trusted_certificates", cluster.tls().trustedCertificates()));
        }
        Path dataDir = f.dataDir() == null ? DEFAULT_DATA_DIR : v.absolutePath("data_dir", f.dataDir());
        Path tasksDir = f.tasksDir() == null ? dataDir.resolve("tasks") : v.absolutePath("tasks_dir", f.tasksDir());

        LbMode mode = lb.mode() == null ? LbMode.SOCK : v.parse("lb.mode", lb.mode(), LbMode::parse, "sock, tc or xdp");
        LbSettings settings = LbSettings.defaults();
        if (lb.pinDir() != null) {
            Path pins = v.absolutePath("lb.pin_dir", lb.pinDir());
            if (!pins.startsWith("/sys/fs/bpf")) {
                throw v.error("lb.pin_dir", "must be under /sys/fs/bpf (a bpffs), not " + pins);
            }
            settings = settings.withPinDirectory(pins);
        }
        settings = settings.withSizes(
                lb.maxVips() == null ? settings.maxVips() : v.integer("lb.max_vips", lb.maxVips(), 1, 1 << 24),
                lb.maxBackends() == null ? settings.maxBackends() : v.integer("lb.max_backends", lb.maxBackends(), 1, 1 << 24),
                lb.maxFlows() == null ? settings.maxFlows() : v.integer("lb.max_flows", lb.maxFlows(), 1, 1 << 28));
        if (lb.maglevCells() != null) {
            // retired: each VIP's Maglev table is sized to it (lb_maglev_tables); still checked, so a typo shows
            v.integer("lb.maglev_cells", lb.maglevCells(), 1, 1 << 28);
        }
        Path cgroup = null;
        List<String> interfaces = v.list("lb.interfaces", lb.interfaces(), AgentConfig::interfacePattern,
                "an interface name or glob (veth*)");
        String netns = lb.netns();
        if (mode == LbMode.SOCK) {
            Path mount = cgroup2Mount();
            if (mount == null) {
                throw v.error("lb.cgroup", "no cgroup v2 mount in /proc/mounts: sock mode needs one");
            }
            cgroup = lb.cgroup() == null ? mount : v.absolutePath("lb.cgroup", lb.cgroup());
            if (!cgroup.startsWith(mount)) {
                throw v.error("lb.cgroup", cgroup + " is not in the cgroup v2 hierarchy, which is mounted at " + mount);
            }
            if (!Files.isDirectory(cgroup)) {
                throw v.error("lb.cgroup", "no such cgroup directory " + cgroup);
            }
        } else {
            if (lb.cgroup() != null) {
                throw v.error("lb.cgroup", "applies to sock mode only (lb.mode is " + lb.mode() + ")");
            }
            if (interfaces.isEmpty()) {
                throw v.error("lb.interfaces", mode.name().toLowerCase(Locale.ROOT)
                        + " mode needs the interfaces that carry container traffic (names or globs)");
            }
        }
        if (mode == LbMode.SOCK && (netns != null || !interfaces.isEmpty())) {
            throw v.error(netns != null ? "lb.netns" : "lb.interfaces", "applies to tc and xdp mode only");
        }

        List<InetSocketAddress> listen = dns.listen() == null
                ? DnsConfig.PRODUCTION_LISTEN.stream().map(a -> new InetSocketAddress(InetAddress.ofLiteral(a), 53)).toList()
                : v.list("dns.listen", dns.listen(), s -> socketAddress(s, 53), "ip:port (port 53 when left out)");
        if (listen.isEmpty()) {
            throw v.error("dns.listen", "needs at least one address");
        }
        String dnsInterface = dns.iface() == null ? DEFAULT_DNS_INTERFACE
                : dns.iface().isEmpty() ? null : v.parse("dns.interface", dns.iface(), AgentConfig::interfaceName,
                        "an interface name of at most 15 characters");
        List<InetSocketAddress> upstreams = dns.upstreams() == null ? resolvConfNameservers(listen)
                : v.list("dns.upstreams", dns.upstreams(), s -> socketAddress(s, 53), "ip:port (port 53 when left out)");
        String domain = dns.domain() == null ? DnsConfig.DEFAULT_DOMAIN
                : v.parse("dns.domain", dns.domain(), AgentConfig::hostname, "a domain name");
        int loops = dns.eventLoops() == null ? Math.min(4, Runtime.getRuntime().availableProcessors())
                : v.integer("dns.event_loops", dns.eventLoops(), 1, 64);

        Cidr range4 = vips.ipv4Range() == null ? Cidr.parse("11.0.0.0/8")
                : v.parse("vips.ipv4_range", vips.ipv4Range(), Cidr::parse, "an IPv4 CIDR such as 11.0.0.0/8");
        Cidr range6 = vips.ipv6Range() == null ? Cidr.parse("fd01:c::/64")
                : v.parse("vips.ipv6_range", vips.ipv6Range(), Cidr::parse, "an IPv6 CIDR such as fd01:c::/64");
        if (!(range4.address() instanceof Inet4Address) || range4.prefixLength() > 30) {
            throw v.error("vips.ipv4_range", "needs an IPv4 range of at least 4 addresses, not " + vips.ipv4Range());
        }
        if (!(range6.address() instanceof Inet6Address) || range6.prefixLength() > 126) {
            throw v.error("vips.ipv6_range", "needs an IPv6 range of at least 4 addresses, not " + vips.ipv6Range());
        }
        String framework = vips.defaultFramework() == null ? DEFAULT_FRAMEWORK
                : v.parse("vips.default_framework", vips.defaultFramework(), AgentConfig::label, "a DNS label");
        InetSocketAddress apiAddress = api.listen() == null
                ? new InetSocketAddress(InetAddress.getLoopbackAddress(), DEFAULT_API_PORT)
                : v.parse("api.listen", api.listen(), s -> socketAddress(s, -1), "ip:port");
        String logLevel = f.logLevel() == null ? "info"
                : v.parse("log_level", f.logLevel(), AgentConfig::logLevel, "trace, debug, info, warn, error or off");
        return new AgentConfig(self, hostname, publicIps, contacts, secret, tls, dataDir, tasksDir, mode, settings, cgroup,
                netns, interfaces, listen, dnsInterface, upstreams, domain, loops, range4, range6, framework, apiAddress,
                logLevel);
    }

    /** Builds errors that name the file and key. */
    private record Values(Path file) {
        ConfigException error(String key, String why) {
            return new ConfigException((file == null ? "defaults" : file.toString()) + ": " + key + ": " + why);
        }

        <T> T parse(String key, String text, Function<String, T> parser, String expected) {
            try {
                return parser.apply(text.strip());
            } catch (RuntimeException e) {
                String detail = e.getMessage() == null ? "" : " (" + e.getMessage() + ")";
                throw error(key, "expected " + expected + ", got \"" + text + "\"" + detail);
            }
        }

        <T> List<T> list(String key, List<String> texts, Function<String, T> parser, String expected) {
            if (texts == null) {
                return List.of();
            }
            List<T> out = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                if (texts.get(i) == null) {
                    throw error(key + "[" + i + "]", "expected " + expected + ", got nothing");
                }
                out.add(parse(key + "[" + i + "]", texts.get(i), parser, expected));
            }
            return Collections.unmodifiableList(out);
        }

        int integer(String key, String text, int min, int max) {
            try {
                int n = Integer.parseInt(text.strip());
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw error(key, "expected a whole number from " + min + " to " + max + ", got \"" + text + "\"");
        }

        Path absolutePath(String key, String text) {
            Path path = Path.of(text.strip());
            if (!path.isAbsolute()) {
                throw error(key, "expected an absolute path, got \"" + text + "\"");
            }
            return path.normalize();
        }

        Path file(String key, String text) {
            if (text == null) {
                throw error(key, "is required with the other TLS files");
            }
            Path path = absolutePath(key, text);
            if (!Files.isReadable(path)) {
                throw error(key, "no readable file " + path);
            }
            return path;
        }

        byte[] secret(String key, String text) {
            Path path = file(key, text);
            byte[] secret;
            try {
                secret = Files.readString(path).strip().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw error(key, "cannot read " + path + ": " + e.getMessage());
            }
            if (secret.length < ClusterAuthenticator.MIN_SECRET_BYTES) {
                throw error(key, path + " holds " + secret.length + " bytes; a cluster secret needs at least "
                        + ClusterAuthenticator.MIN_SECRET_BYTES);
            }
            return secret;
        }
    }

    /** slf4j-simple's level names. */
    public static final List<String> LOG_LEVELS = List.of("trace", "debug", "info", "warn", "error", "off");

    private static String logLevel(String text) {
        String level = text.toLowerCase(Locale.ROOT);
        if (!LOG_LEVELS.contains(level)) {
            throw new IllegalArgumentException("unknown level");
        }
        return level;
    }

    private static InetAddress ipv4(String text) {
        InetAddress address = Endpoint.literal(text);
        if (!(address instanceof Inet4Address) || address.isAnyLocalAddress()) {
            throw new IllegalArgumentException("not a unicast IPv4 address");
        }
        return address;
    }

    private static InetAddress address(String text) {
        return Endpoint.literal(text);
    }

    /** {@code ip:port}, {@code [v6]:port}, or a bare address taking {@code defaultPort} (when not negative). */
    static InetSocketAddress socketAddress(String text, int defaultPort) {
        String host = text;
        int port = defaultPort;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("unclosed [");
            }
            host = text.substring(1, close);
            if (close + 1 < text.length()) {
                if (text.charAt(close + 1) != ':') {
                    throw new IllegalArgumentException("expected :port after ]");
                }
                port = Integer.parseInt(text.substring(close + 2));
            }
        } else if (text.indexOf(':') == text.lastIndexOf(':') && text.indexOf(':') > 0) {
            host = text.substring(0, text.indexOf(':'));
            port = Integer.parseInt(text.substring(text.indexOf(':') + 1));
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(port < 0 ? "no port" : "port out of range");
        }
        return new InetSocketAddress(Endpoint.literal(host), port);
    }

    private static String hostname(String text) {
        String name = text.toLowerCase(Locale.ROOT);
        if (name.isEmpty() || name.length() > 253) {
            throw new IllegalArgumentException("length");
        }
        for (String label : name.split("\\.", -1)) {
            label(label);
        }
        return name;
    }

    /** One DNS label: letters, digits and inner hyphens, 1-63 characters (RFC 1123 §2.1). */
    private static String label(String text) {
        if (!text.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
            throw new IllegalArgumentException("not a DNS label");
        }
        return text;
    }

    private static String interfaceName(String text) {
        if (text.isEmpty() || text.length() > 15 || text.contains("/") || text.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("IFNAMSIZ is 16 with the NUL");
        }
        return text;
    }

    private static String interfacePattern(String text) {
        if (text.isEmpty() || text.length() > 15 || text.contains("/") || text.contains(",")) {
            throw new IllegalArgumentException("bad interface pattern");
        }
        return text;
    }

    /** The first IPv4 address of an up, non-loopback interface; loopback when there is none. */
    static InetAddress primaryAddress() {
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp() || nic.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLinkLocalAddress()) {
                        return a;
                    }
                }
            }
        } catch (SocketException e) {
            // fall back to loopback
        }
        return InetAddress.getLoopbackAddress();
    }

    private static String systemHostname() {
        try {
            String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip().toLowerCase(Locale.ROOT);
            return hostname(name);
        } catch (IOException | RuntimeException e) {
            return "localhost";
        }
    }

    /** Where cgroup v2 is mounted (the root cgroup), or null. */
    static Path cgroup2Mount() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[2].equals("cgroup2")) {
                    return Path.of(f[1]);
                }
            }
        } catch (IOException e) {
            // none
        }
        return null;
    }

    /** The host's resolvers (/etc/resolv.conf), leaving out Spartan's own addresses. */
    static List<InetSocketAddress> resolvConfNameservers(List<InetSocketAddress> own) {
        List<InetSocketAddress> servers = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/etc/resolv.conf"))) {
                String[] f = line.strip().split("\\s+");
                if (f.length >= 2 && f[0].equals("nameserver")) {
                    try {
                        InetSocketAddress server = new InetSocketAddress(InetAddress.ofLiteral(f[1]), 53);
                        if (!own.contains(server)) {
                            servers.add(server);
                        }
                    } catch (IllegalArgumentException ignored) {
                        // a scoped or malformed entry: glibc would skip it too
                    }
                }
            }
        } catch (IOException e) {
            // no resolv.conf: no upstreams
        }
        return List.copyOf(servers);
    }
}
