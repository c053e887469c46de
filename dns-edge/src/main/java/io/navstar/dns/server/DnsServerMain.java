package io.navstar.dns.server;

import io.navstar.dns.zone.LocalZones;
import io.navstar.dns.zone.RecordData;
import io.navstar.dns.zone.ZoneSnapshot;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the DNS server alone, for benchmarks and manual tests (the agent embeds {@link DnsServer}
 * instead). Arguments:
 * <pre>
 *   --listen ip:port       (repeatable; default 127.0.0.1:5353)
 *   --upstream ip:port     (repeatable)
 *   --zone name            local zone (repeatable; default thisdcos.directory)
 *   --records file         lines "name TYPE value [ttl]": A, AAAA, PTR, NS, SRV "prio weight port target"
 *   --loops n              event loops and reuseport sockets per address
 *   --batch n              datagrams per recvmmsg
 *   --stats-seconds n      print metrics every n seconds (0: never)
 * </pre>
 * Runs until killed; prints "READY" on stdout once bound.
 */
public final class DnsServerMain {
    private DnsServerMain() {
    }

    public static void main(String[] args) throws Exception {
        DnsConfig.Builder config = DnsConfig.builder();
        List<InetSocketAddress> listen = new ArrayList<>();
        List<InetSocketAddress> upstreams = new ArrayList<>();
        List<String> zoneNames = new ArrayList<>();
        String records = null;
        int statsSeconds = 0;
        for (int i = 0; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--listen" -> { listen.add(endpoint(v)); i++; }
                case "--upstream" -> { upstreams.add(endpoint(v)); i++; }
                case "--zone" -> { zoneNames.add(v); i++; }
                case "--records" -> { records = v; i++; }
                case "--loops" -> { config.eventLoops(Integer.parseInt(v)); i++; }
                case "--batch" -> { config.udpReceiveBatch(Integer.parseInt(v)); i++; }
                case "--stats-seconds" -> { statsSeconds = Integer.parseInt(v); i++; }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (listen.isEmpty()) {
            listen.add(new InetSocketAddress("127.0.0.1", 5353));
        }
        if (zoneNames.isEmpty()) {
            zoneNames.add(DnsConfig.DEFAULT_DOMAIN);
        }
        ZoneSnapshot.Builder zones = ZoneSnapshot.builder();
        zoneNames.forEach(zones::zone);
        if (records != null) {
            readRecords(Path.of(records), zones);
        }
        LocalZones local = new LocalZones(zones.build());
        DnsServer server = new DnsServer(config.listen(listen).upstreams(upstreams).build(), local).start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        System.out.println("READY " + server.boundAddresses());
        System.out.flush();
        long lastQueries = 0;
        long lastAllocated = 0;
        while (true) {
            Thread.sleep(statsSeconds > 0 ? statsSeconds * 1000L : 3_600_000L);
            if (statsSeconds > 0) {
                long queries = server.metrics().snapshot().queriesByZone().values().stream()
                        .flatMap(m -> m.values().stream()).mapToLong(Long::longValue).sum();
                long allocated = loopAllocatedBytes(server.loopThreadIds());
                long dq = queries - lastQueries;
                System.out.printf("stats queries %d (+%d)  event-loop heap allocation %d bytes (+%d)  %.1f bytes/query in this interval%n",
                        queries, dq, allocated, allocated - lastAllocated,
                        dq == 0 ? 0.0 : (double) (allocated - lastAllocated) / dq);
                System.out.flush();
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

    private static void readRecords(Path file, ZoneSnapshot.Builder zones) throws IOException {
        for (String line : Files.readAllLines(file)) {
            String t = line.trim();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String[] f = t.split("\\s+");
            long ttl = 60;
            switch (f[1].toUpperCase(java.util.Locale.ROOT)) {
                case "A", "AAAA" -> zones.address(f[0], f[2], f.length > 3 ? Long.parseLong(f[3]) : ttl);
                case "PTR" -> zones.add(f[0], RecordData.ptr(f[2], f.length > 3 ? Long.parseLong(f[3]) : ttl));
                case "NS" -> zones.add(f[0], RecordData.ns(f[2], ttl));
                case "SRV" -> zones.add(f[0], RecordData.srv(Integer.parseInt(f[2]), Integer.parseInt(f[3]),
                        Integer.parseInt(f[4]), f[5], ttl));
                default -> throw new IllegalArgumentException("unsupported record line: " + line);
            }
        }
    }

    private static InetSocketAddress endpoint(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
        return new InetSocketAddress(java.net.InetAddress.ofLiteral(host), Integer.parseInt(hostPort.substring(colon + 1)));
    }
}
