package io.navstar.dns.server;

import io.navstar.sys.socket.Sockets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Listening sockets the server was handed instead of opening its own: systemd's socket activation protocol
 * (sd_listen_fds(3): descriptors 3 to 3 + LISTEN_FDS - 1, for the process LISTEN_PID), as navstar.socket and
 * navstar-launch hand them. A socket held by a process that outlives the server keeps queueing queries while the
 * server restarts, so they are answered late instead of refused. Each descriptor is told apart by its type and
 * the address it is bound to. Immutable.
 *
 * @param udp bound datagram sockets by address (several when the holder opened a reuseport group)
 * @param tcp listening stream sockets by address
 */
public record ListenSockets(Map<InetSocketAddress, List<Integer>> udp, Map<InetSocketAddress, Integer> tcp) {
    private static final Logger LOG = LoggerFactory.getLogger(ListenSockets.class);
    /** SD_LISTEN_FDS_START */
    static final int FIRST_FD = 3;

    public ListenSockets {
        Map<InetSocketAddress, List<Integer>> copy = new LinkedHashMap<>();
        udp.forEach((address, fds) -> copy.put(address, List.copyOf(fds)));
        udp = Collections.unmodifiableMap(copy);
        tcp = Collections.unmodifiableMap(new LinkedHashMap<>(tcp));
    }

    /** No inherited socket: the server opens its own. */
    public static ListenSockets none() {
        return new ListenSockets(Map.of(), Map.of());
    }

    public boolean isEmpty() {
        return udp.isEmpty() && tcp.isEmpty();
    }

    /**
     * The sockets this process was started with, when LISTEN_PID names it; none otherwise. Descriptors that are
     * not bound inet datagram or stream sockets are logged and left alone.
     */
    public static ListenSockets fromEnvironment() {
        String pid = System.getenv("LISTEN_PID");
        String count = System.getenv("LISTEN_FDS");
        if (pid == null || count == null) {
            return none();
        }
        try {
            if (Long.parseLong(pid.strip()) != ProcessHandle.current().pid()) {
                return none(); // meant for another process (a parent that did not clear its environment)
            }
            int n = Integer.parseInt(count.strip());
            return of(java.util.stream.IntStream.range(FIRST_FD, FIRST_FD + n).toArray());
        } catch (NumberFormatException e) {
            LOG.warn("LISTEN_PID={} LISTEN_FDS={}: not numbers; opening our own sockets", pid, count);
            return none();
        }
    }

    /** These descriptors, sorted by type and address. */
    static ListenSockets of(int... descriptors) {
        Map<InetSocketAddress, List<Integer>> udp = new LinkedHashMap<>();
        Map<InetSocketAddress, Integer> tcp = new LinkedHashMap<>();
        for (int fd : descriptors) {
            UdpSockets.Identity identity = UdpSockets.identify(fd);
            if (identity.type() == Sockets.SOCK_DGRAM) {
                adopt(fd);
                udp.computeIfAbsent(identity.address(), address -> new ArrayList<>()).add(fd);
            } else if (identity.type() == Sockets.SOCK_STREAM && !tcp.containsKey(identity.address())) {
                adopt(fd);
                tcp.put(identity.address(), fd);
            } else {
                LOG.warn("inherited descriptor {} is not a bound UDP or TCP socket we can use; left alone", fd);
            }
        }
        return new ListenSockets(udp, tcp);
    }

    private static void adopt(int fd) {
        try {
            UdpSockets.adopt(fd);
        } catch (IOException e) {
            throw new IllegalStateException("inherited socket " + fd + ": " + e.getMessage(), e);
        }
    }

    /** What is not in {@code wanted}: sockets a config no longer names. */
    List<Integer> unusedBy(List<InetSocketAddress> wanted) {
        List<Integer> unused = new ArrayList<>();
        udp.forEach((address, fds) -> {
            if (!wanted.contains(address)) {
                unused.addAll(fds);
            }
        });
        tcp.forEach((address, fd) -> {
            if (!wanted.contains(address)) {
                unused.add(fd);
            }
        });
        return unused;
    }
}
