package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.maglev.Maglev;

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
 * @param maxVips          capacity of lb_vips and the per-VIP counters (at least 65,536 in production)
 * @param maxBackends      capacity of lb_backends and the per-backend counters
 * @param maxFlows         capacity of the connection table and of the reverse-NAT table (LRU)
 * @param maglevCells      cells of all Maglev tables together (4 bytes each)
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
        int maglevCells,
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

    public LbSettings {
        Objects.requireNonNull(pinDirectory, "pinDirectory");
        if (maxVips < 1 || maxBackends < 1 || maxFlows < 1 || maglevCells < 1) {
            throw new IllegalArgumentException("map sizes must be positive");
        }
    }

    /**
     * Production defaults: 65,536 VIPs, 262,144 backends, and flows and Maglev cells from the host's memory
     * (about 1/64 of it for the two flow tables, at least 1,000,000 flows when memory allows; 1/128 for cells).
     */
    public static LbSettings defaults() {
        long memory = totalMemoryBytes();
        // an LRU hash element of these tables costs about 180 bytes with its overhead, times two tables
        int flows = (int) Math.max(65_536, Math.min(16_777_216, memory / 64 / 360));
        int cells = (int) Math.max(1 << 20, Math.min(1 << 27, memory / 128 / 4));
        return new LbSettings(PRODUCTION_PIN_DIRECTORY, 65_536, 262_144, flows, cells, Maglev.DEFAULT_MINIMUM_SIZE,
                Duration.ofHours(1), Duration.ofSeconds(10), Duration.ofMinutes(1), DEFAULT_HAIRPIN_V4, null);
    }

    /** Small maps pinned under {@code pinDirectory}, for tests. */
    public static LbSettings forTests(Path pinDirectory) {
        return new LbSettings(pinDirectory, 1024, 4096, 65_536, 1 << 20, Maglev.DEFAULT_MINIMUM_SIZE,
                Duration.ofHours(1), Duration.ofSeconds(10), Duration.ofMinutes(1), DEFAULT_HAIRPIN_V4, null);
    }

    public LbSettings withPinDirectory(Path directory) {
        return new LbSettings(directory, maxVips, maxBackends, maxFlows, maglevCells, minimumTableSize, tcpTimeout,
                tcpClosing, udpTimeout, hairpinV4, hairpinV6);
    }

    public LbSettings withSizes(int vips, int backends, int flows, int cells) {
        return new LbSettings(pinDirectory, vips, backends, flows, cells, minimumTableSize, tcpTimeout, tcpClosing,
                udpTimeout, hairpinV4, hairpinV6);
    }

    public LbSettings withTimeouts(Duration tcp, Duration closing, Duration udp) {
        return new LbSettings(pinDirectory, maxVips, maxBackends, maxFlows, maglevCells, minimumTableSize, tcp, closing,
                udp, hairpinV4, hairpinV6);
    }

    private static long totalMemoryBytes() {
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
