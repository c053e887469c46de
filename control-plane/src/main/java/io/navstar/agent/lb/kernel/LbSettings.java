package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.maglev.Maglev;
import io.navstar.sys.bpf.PossibleCpus;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How the load balancer's data plane is sized and tuned. Start from {@link #defaults()} (sized from the
 * host's memory) or {@link #forTests(Path)}, and derive with the {@code with*} methods.
 *
 * @param pinDirectory     bpffs directory of the pinned maps and links (production: /sys/fs/bpf/navstar)
 * @param maxVips          capacity of lb_vips, the per-VIP counters and the Maglev table slots
 * @param maxBackends      capacity of lb_backends, the per-backend counters and lb_backend_vips
 * @param maxFlows         flows the connection table holds at least (its buckets: {@link FlowTable#bucketCount}), and the
 *                         reverse-NAT table (LRU) at most
 * @param minimumTableSize the smallest Maglev table M (see {@link Maglev#tableSize})
 * @param tcpTimeout       idle life of an established TCP flow
 * @param tcpClosing       life of a TCP flow after FIN or RST
 * @param udpTimeout       idle life of a UDP flow
 * @param hairpinV4        source address of hairpin flows (IPv4), or null for none
 * @param hairpinV6        source address of hairpin flows (IPv6), or null for none
 */
public record LbSettings(
        Path pinDirectory,
        int maxVips,
        int maxBackends,
        int maxFlows,
        int minimumTableSize,
        Duration tcpTimeout,
        Duration tcpClosing,
        Duration udpTimeout,
        InetAddress hairpinV4,
        InetAddress hairpinV6) {

    /** Where production pins. */
    public static final Path PRODUCTION_PIN_DIRECTORY = Path.of("/sys/fs/bpf/navstar");
    /** Link-local source for hairpin flows, as Cilium uses 169.254.42.1 for the same purpose. */
    public static final InetAddress DEFAULT_HAIRPIN_V4 = InetAddress.ofLiteral("169.254.42.1");
    /** The share of the host's memory the defaults give all of the data plane's maps together: 1 in 100. */
    public static final long MEMORY_SHARE_DIVISOR = 100;

    public LbSettings {
        Objects.requireNonNull(pinDirectory, "pinDirectory");
        if (maxVips < 1 || maxBackends < 1 || maxFlows < 1) {
            throw new IllegalArgumentException("map sizes must be positive");
        }
    }

    /** {@link #defaults(long, int)} for this host: its MemTotal and its possible CPUs. */
    public static LbSettings defaults() {
        return defaults(totalMemoryBytes(), PossibleCpus.count());
    }

    /**
     * Production defaults for a host of {@code hostMemoryBytes} with {@code possibleCpus} possible CPUs (per-CPU
     * counters take a copy per CPU): every map together within 1 % of the memory by {@link LbMapMemory}'s model.
     * The maps of fixed size (event ring, filters, drop counters, the objects' own) come off first; of the rest, an
     * eighth goes to VIPs (entries, counters, table slots; at most 65,536), an eighth to backends (at most 262,144),
     * an eighth stays free for the Maglev tables VIPs will get (about 8 KiB each at the minimum M), and the flow
     * tables take what is left (at most 16,777,216 flows, at least 4,096; a power of two when the connection table's
     * buckets, a power of two, would otherwise take more). VIP and backend counts are powers of two, at least 256.
     */
    public static LbSettings defaults(long hostMemoryBytes, int possibleCpus) {
        long budget = hostMemoryBytes / MEMORY_SHARE_DIVISOR;
        long rest = Math.max(0, budget - LbMapMemory.fixed(possibleCpus));
        long share = rest / 8;
        int vips = powerOfTwoWithin(share / LbMapMemory.perVip(possibleCpus), 256, 65_536);
        int backends = powerOfTwoWithin(share / LbMapMemory.perBackend(possibleCpus), 256, 262_144);
        long flowBytes = rest - (long) vips * LbMapMemory.perVip(possibleCpus)
                - (long) backends * LbMapMemory.perBackend(possibleCpus) - share;
        int flows = (int) Math.max(4096, Math.min(16_777_216, flowBytes / LbMapMemory.perFlow()));
        LbSettings settings = new LbSettings(PRODUCTION_PIN_DIRECTORY, vips, backends, flows,
                Maglev.DEFAULT_MINIMUM_SIZE, Duration.ofHours(1), Duration.ofSeconds(10), Duration.ofMinutes(1),
                DEFAULT_HAIRPIN_V4, null);
        if (LbMapMemory.modelTotal(settings, possibleCpus) > budget) {
            // the connection table's buckets, a power of two, rounded past the budget: as many flows as they hold
            settings = settings.withSizes(vips, backends, Math.max(4096, Integer.highestOneBit(flows)));
        }
        return settings;
    }

    /** The largest power of two at most {@code count}, kept within [min, max] (both powers of two). */
    private static int powerOfTwoWithin(long count, int min, int max) {
        return (int) Math.max(min, Math.min(max, Long.highestOneBit(Math.max(1, count))));
    }

    /** Small maps pinned under {@code pinDirectory}, for tests. */
    public static LbSettings forTests(Path pinDirectory) {
        return new LbSettings(pinDirectory, 1024, 4096, 65_536, Maglev.DEFAULT_MINIMUM_SIZE,
                Duration.ofHours(1), Duration.ofSeconds(10), Duration.ofMinutes(1), DEFAULT_HAIRPIN_V4, null);
    }

    public LbSettings withPinDirectory(Path directory) {
        return new LbSettings(directory, maxVips, maxBackends, maxFlows, minimumTableSize, tcpTimeout,
                tcpClosing, udpTimeout, hairpinV4, hairpinV6);
    }

    public LbSettings withSizes(int vips, int backends, int flows) {
        return new LbSettings(pinDirectory, vips, backends, flows, minimumTableSize, tcpTimeout, tcpClosing,
                udpTimeout, hairpinV4, hairpinV6);
    }

    public LbSettings withTimeouts(Duration tcp, Duration closing, Duration udp) {
        return new LbSettings(pinDirectory, maxVips, maxBackends, maxFlows, minimumTableSize, tcp, closing,
                udp, hairpinV4, hairpinV6);
    }

    /** MemTotal of /proc/meminfo in bytes (4 GiB when unreadable). */
    public static long totalMemoryBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through to a conservative guess
        }
        return 4L << 30;
    }
}
