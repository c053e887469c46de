package io.navstar.dns.server;

import io.navstar.dns.wire.Names;
import io.navstar.dns.zone.LocalZones;
import io.navstar.dns.zone.RecordsFile;
import io.navstar.dns.zone.RecordsFileException;
import io.navstar.dns.zone.ZoneSnapshot;

import java.io.PrintStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the DNS server alone, for benchmarks and manual tests (the agent embeds {@link DnsServer}
 * instead); the arguments are in {@link #USAGE}. Runs until killed; prints "READY" and the bound
 * addresses on stdout once every socket is bound and registered. Bad arguments or a bad records file
 * end it with one line on stderr and exit code 2, a failed start (an address in use) with one line and
 * exit code 1; {@code --help} prints the usage and exits 0.
 */
public final class DnsServerMain {
    /** The flags, one a line, as {@link #USAGE} and {@code navstar dns --help} list them. */
    public static final String FLAGS = """
              --listen ip:port       address to serve UDP and TCP on (repeatable; default 127.0.0.1:5353;
                                     IPv6 as [addr]:port; port 0 picks a free port)
              --upstream ip:port     upstream resolver for other names (repeatable)
              --zone name            local zone (repeatable; default thisdcos.directory)
              --records file         local records, one a line: "name TYPE value [ttl]" for A, AAAA, PTR, NS,
                                     "name SRV priority weight port target [ttl]" for SRV
              --loops n              event loops, and reuseport sockets per address, 1-1024 (default: processors)
              --batch n              datagrams per recvmmsg, 1-1024 (default 16)
              --stats-seconds n      print metrics every n seconds, 0-86400 (default 0: never)
              --help                 this text
            """;
    static final String USAGE = "usage: navstar dns [options]\n" + FLAGS;
    /** Exit code of bad arguments or a bad records file. */
    static final int EXIT_USAGE = 2;
    /** Exit code of a start that failed, such as an address in use. */
    static final int EXIT_START_FAILED = 1;

    private DnsServerMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Parses {@code args}, starts the server and serves until the process ends. Returns only when it
     * cannot serve: {@link #EXIT_USAGE} or {@link #EXIT_START_FAILED} after one line on {@code err},
     * or 0 after the usage for {@code --help}.
     */
    public static int run(String[] args, PrintStream out, PrintStream err) throws InterruptedException {
        Options options;
        try {
            options = Options.parse(args);
        } catch (UsageException e) {
            err.println(e.getMessage());
            return EXIT_USAGE;
        }
        if (options.help) {
            out.print(USAGE);
            return 0;
        }
        ZoneSnapshot zones;
        try {
            zones = zones(options);
        } catch (RecordsFileException e) {
            err.println(e.getMessage());
            return EXIT_USAGE;
        }
        DnsConfig config = options.config.listen(options.listen).upstreams(options.upstreams).build();
        DnsServer server;
        try {
            server = new DnsServer(config, new LocalZones(zones)).start();
        } catch (IllegalStateException e) { // bind failures, explained (DnsServer closed what it had opened)
            err.println(e.getMessage());
            return EXIT_START_FAILED;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        out.println("READY " + server.boundAddresses());
        out.flush();
        serve(server, options.statsSeconds, out);
        return 0;
    }

    /** The declared zones with the records file's records, each of which must lie under one of them. */
    private static ZoneSnapshot zones(Options options) throws RecordsFileException {
        ZoneSnapshot.Builder zones = ZoneSnapshot.builder();
        options.zones.forEach(zones::zone);
        if (options.records != null) {
            List<byte[]> zoneNames = options.zones.stream().map(Names::toWire).toList();
            for (RecordsFile.Entry entry : RecordsFile.read(options.records)) {
                byte[] name = Names.toWire(entry.name());
                if (zoneNames.stream().noneMatch(zone -> Names.isUnder(name, name.length, zone))) {
                    throw RecordsFileException.expected(options.records, entry.line(),
                            "a name under a local zone " + options.zones, "'" + entry.name() + "'");
                }
                zones.add(entry.name(), entry.data());
            }
        }
        return zones.build();
    }

    private static void serve(DnsServer server, int statsSeconds, PrintStream out) throws InterruptedException {
        long lastQueries = 0;
        long lastAllocated = 0;
        while (true) {
            Thread.sleep(statsSeconds > 0 ? statsSeconds * 1000L : 3_600_000L);
            if (statsSeconds > 0) {
                long queries = server.metrics().queries();
                long allocated = loopAllocatedBytes(server.loopThreadIds());
                long dq = queries - lastQueries;
                out.printf("stats queries %d (+%d)  event-loop heap allocation %d bytes (+%d)  %.1f bytes/query in this interval%n",
                        queries, dq, allocated, allocated - lastAllocated,
                        dq == 0 ? 0.0 : (double) (allocated - lastAllocated) / dq);
                out.flush();
                lastQueries = queries;
                lastAllocated = allocated;
            }
        }
    }

    /**
     * Heap bytes allocated so far by the server's event-loop threads (everything netty and navstar do
     * per packet). Reads each thread's allocation counter by id: no safepoint, so printing statistics
     * does not pause the loops (enumerating threads with {@code Thread.getAllStackTraces()} did: a
     * "ThreadDump" safepoint every interval, 0.1 ms typically and about 1 ms on a loaded machine).
     */
    private static long loopAllocatedBytes(long[] loopThreadIds) {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long allocated : threads.getThreadAllocatedBytes(loopThreadIds)) {
            sum += Math.max(0, allocated); // -1 for a thread that has ended
        }
        return sum;
    }

    /** An argument that does not say what it should; the message is the one line shown. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }

        static UsageException expected(String flag, String expected, String found) {
            return new UsageException(flag + ": expected " + expected + ", found " + found);
        }
    }

    /** The command line, checked flag by flag. */
    private static final class Options {
        /** More event loops than any machine this serves has cores. */
        private static final int MAX_LOOPS = 1024;
        /** recvmmsg(2) takes at most UIO_MAXIOV (1024) messages a call. */
        private static final int MAX_BATCH = 1024;

        final DnsConfig.Builder config = DnsConfig.builder();
        final List<InetSocketAddress> listen = new ArrayList<>();
        final List<InetSocketAddress> upstreams = new ArrayList<>();
        final List<String> zones = new ArrayList<>();
        Path records;
        int statsSeconds;
        boolean help;

        static Options parse(String[] args) throws UsageException {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                switch (flag) {
                    case "-h", "--help" -> o.help = true;
                    case "--listen" -> o.listen.add(endpoint(flag, value(args, i++), 0));
                    case "--upstream" -> o.upstreams.add(endpoint(flag, value(args, i++), 1));
                    case "--zone" -> o.zones.add(zone(flag, value(args, i++)));
                    case "--records" -> o.records = Path.of(value(args, i++));
                    case "--loops" -> o.config.eventLoops(number(flag, value(args, i++), 1, MAX_LOOPS));
                    case "--batch" -> o.config.udpReceiveBatch(number(flag, value(args, i++), 1, MAX_BATCH));
                    case "--stats-seconds" -> o.statsSeconds = number(flag, value(args, i++), 0, 86_400);
                    default -> throw new UsageException(flag + ": unknown flag; expected one of --listen, --upstream,"
                            + " --zone, --records, --loops, --batch, --stats-seconds, --help");
                }
            }
            if (o.listen.isEmpty()) {
                o.listen.add(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 5353));
            }
            if (o.zones.isEmpty()) {
                o.zones.add(DnsConfig.DEFAULT_DOMAIN);
            }
            return o;
        }

        /** The value after flag {@code args[i]}. */
        private static String value(String[] args, int i) throws UsageException {
            if (i + 1 >= args.length) {
                throw UsageException.expected(args[i], "a value after it", "the end of the arguments");
            }
            return args[i + 1];
        }

        /** {@code ip:port} or {@code [ipv6]:port}, a literal address (never resolved), port from {@code minPort}. */
        private static InetSocketAddress endpoint(String flag, String text, int minPort) throws UsageException {
            String expected = "ip:port (a literal address, IPv6 as [addr]:port; port " + minPort + "-65535)";
            int colon = text.lastIndexOf(':');
            if (colon <= 0) {
                throw UsageException.expected(flag, expected, "'" + text + "'");
            }
            String host = text.substring(0, colon);
            boolean bracketed = host.startsWith("[") && host.endsWith("]");
            if (bracketed) {
                host = host.substring(1, host.length() - 1);
            }
            InetAddress address;
            try {
                address = InetAddress.ofLiteral(host);
            } catch (IllegalArgumentException e) {
                throw UsageException.expected(flag, expected, "'" + text + "'");
            }
            if (address instanceof Inet6Address != bracketed) { // "::1:53" is ambiguous: the port must be set apart
                throw UsageException.expected(flag, expected, "'" + text + "'");
            }
            int port = parseNumber(text.substring(colon + 1));
            if (port < minPort || port > 65535) {
                throw UsageException.expected(flag, expected, "'" + text + "'");
            }
            return new InetSocketAddress(address, port);
        }

        private static String zone(String flag, String text) throws UsageException {
            try {
                Names.toWire(text);
            } catch (IllegalArgumentException e) {
                throw UsageException.expected(flag, "a DNS name (dot-separated labels of 1-63 characters)",
                        "'" + text + "'");
            }
            return text;
        }

        private static int number(String flag, String text, int min, int max) throws UsageException {
            int value = parseNumber(text);
            if (value < min || value > max) {
                throw UsageException.expected(flag, "a whole number " + min + "-" + max, "'" + text + "'");
            }
            return value;
        }

        /** A decimal number of at most 9 digits, or -1. */
        private static int parseNumber(String text) {
            if (text.isEmpty() || text.length() > 9 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return -1;
            }
            return Integer.parseInt(text);
        }
    }
}
