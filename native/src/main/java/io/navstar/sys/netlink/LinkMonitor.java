package io.navstar.sys.netlink;

import io.navstar.sys.Errno;
import io.navstar.sys.Fd;
import io.navstar.sys.Libc;
import io.navstar.sys.NativeException;
import io.navstar.sys.NetworkNamespace;
import io.navstar.sys.socket.Sockets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Follows the links of one network namespace as the kernel changes them: a non-blocking NETLINK_ROUTE socket
 * joined to RTNLGRP_LINK receives every RTM_NEWLINK and RTM_DELLINK (rtnetlink(7)), and a second, blocking one
 * dumps the current links (RTM_GETLINK, NLM_F_DUMP) at the start ({@link #resync}) and whenever notifications
 * were lost: when they overrun the socket's receive buffer the kernel drops some and reports ENOBUFS, so the
 * monitor reads what is still queued and then dumps, reporting links that went away meanwhile as removed.
 * Only messages about the interfaces themselves (ifi_family AF_UNSPEC) count; a bridge port leaving its bridge
 * is an AF_BRIDGE RTM_DELLINK and is ignored.
 *
 * <p>Two ways to run it: register {@link #fd()} on an event loop and call {@link #readAvailable} when it is
 * readable (after one {@link #resync}), or {@link #start} a thread of its own that polls the socket and an eventfd
 * that {@link #close} signals. Both sockets stay in the namespace they were opened in ({@link #open(NetworkNamespace,
 * LinkListener)}), whichever thread reads them.
 *
 * <p>Threading: {@link #resync} and {@link #readAvailable} from one thread at a time (the started thread, when
 * there is one); the listener is called on that thread. {@link #links()} and {@link #close()} from any thread.
 */
public final class LinkMonitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LinkMonitor.class);

    private final NetlinkSocket notifications;
    private final Rtnetlink dumps;
    private final LinkListener listener;
    private final Fd wakeup;
    private final Map<Integer, Link> links = new ConcurrentHashMap<>();
    private final AtomicLong resyncs = new AtomicLong();
    private volatile Thread thread;
    private volatile boolean closed;

    private LinkMonitor(NetlinkSocket notifications, Rtnetlink dumps, LinkListener listener) {
        this.notifications = notifications;
        this.dumps = dumps;
        this.listener = listener;
        this.wakeup = new Fd(Libc.eventfd(0, Libc.EFD_NONBLOCK, "creating the wake-up eventfd of a link monitor"));
    }

    /** A monitor of the calling thread's network namespace; nothing is reported before {@link #resync}. */
    public static LinkMonitor open(LinkListener listener) {
        return open(listener, 0);
    }

    /** A monitor of {@code namespace}: its sockets are opened on a thread inside it. */
    public static LinkMonitor open(NetworkNamespace namespace, LinkListener listener) {
        return namespace.run(() -> open(listener, 0));
    }

    /** As {@link #open(LinkListener)}, with SO_RCVBUF set to {@code receiveBufferBytes} unless 0 (tests of overruns). */
    static LinkMonitor open(LinkListener listener, int receiveBufferBytes) {
        NetlinkSocket notifications = NetlinkSocket.open(Netlink.NETLINK_ROUTE, true);
        try {
            if (receiveBufferBytes > 0) {
                notifications.receiveBufferSize(receiveBufferBytes, "sizing the link notification socket");
            }
            notifications.joinGroup(Rtnetlink.RTNLGRP_LINK, "subscribing to link notifications (RTNLGRP_LINK)");
            return new LinkMonitor(notifications, Rtnetlink.open(), listener);
        } catch (RuntimeException e) {
            notifications.close();
            throw e;
        }
    }

    /** The notification socket's descriptor, for an event loop to watch for readability. */
    public int fd() {
        return notifications.fd();
    }

    /** The links as last reported, by index. */
    public Map<Integer, Link> links() {
        return Map.copyOf(links);
    }

    /** How many dumps replaced lost notifications (the first {@link #resync} included). */
    public long resyncs() {
        return resyncs.get();
    }

    /**
     * Dumps every link: reports links that are gone as removed (first), then every present link as updated.
     * Subscribed before the dump, nothing that changes during it is missed.
     */
    public void resync() {
        List<Link> current = dumps.links();
        Set<Integer> present = new HashSet<>();
        for (Link link : current) {
            present.add(link.index());
        }
        for (Link known : List.copyOf(links.values())) {
            if (!present.contains(known.index())) {
                links.remove(known.index());
                deliver(known, false);
            }
        }
        for (Link link : current) {
            links.put(link.index(), link);
            deliver(link, true);
        }
        resyncs.incrementAndGet();
    }

    /**
     * Reads and reports every queued notification without blocking; after an overrun (ENOBUFS) reads on to the
     * end of the queue, then {@link #resync}s, so no notification older than the dump is applied after it.
     * Returns how many link messages were reported.
     *
     * @throws NativeException when the socket fails otherwise
     */
    public int readAvailable() {
        int reported = 0;
        boolean lost = false;
        while (true) {
            int length = notifications.receive();
            if (length == -Errno.EAGAIN) {
                if (!lost) {
                    return reported;
                }
                lost = false;
                resync();
                continue; // what changed during the dump is queued behind it
            }
            if (length == -Errno.ENOBUFS) {
                LOG.info("link notifications overran the socket buffer; dumping the links once the queue is read");
                lost = true;
                continue;
            }
            if (length < 0) {
                throw new NativeException("recvfrom", -length, "reading link notifications");
            }
            try {
                for (NetlinkMessage message : NetlinkMessage.split(notifications.received())) {
                    int type = message.type();
                    if ((type == Rtnetlink.RTM_NEWLINK || type == Rtnetlink.RTM_DELLINK)
                            && Link.family(message) == Sockets.AF_UNSPEC) {
                        apply(Link.parse(message), type == Rtnetlink.RTM_NEWLINK);
                        reported++;
                    }
                }
            } catch (NetlinkFormatException e) {
                LOG.warn("a link notification did not parse ({}); dumping the links instead", e.getMessage());
                lost = true;
            }
        }
    }

    private void apply(Link link, boolean present) {
        if (present) {
            links.put(link.index(), link);
        } else {
            links.remove(link.index());
        }
        deliver(link, present);
    }

    private void deliver(Link link, boolean present) {
        try {
            if (present) {
                listener.linkUpdated(link);
            } else {
                listener.linkRemoved(link);
            }
        } catch (RuntimeException e) {
            LOG.warn("link listener failed on {} {}", present ? "update of" : "removal of", link, e);
        }
    }

    /**
     * Starts a platform thread that {@link #resync}s (unless the caller already did), then waits in poll(2) for
     * notifications (or the wake-up of {@link #close}) and reads them; returns this monitor.
     */
    public LinkMonitor start(String threadName) {
        if (thread != null) {
            throw new IllegalStateException("link monitor already started");
        }
        thread = Thread.ofPlatform().name(threadName).daemon().start(this::pollUntilClosed);
        return this;
    }

    private void pollUntilClosed() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfds = arena.allocate(2 * Libc.POLLFD_SIZE, 4);
            pollfds.set(ValueLayout.JAVA_INT, 0, notifications.fd());
            pollfds.set(ValueLayout.JAVA_SHORT, 4, Libc.POLLIN);
            pollfds.set(ValueLayout.JAVA_INT, Libc.POLLFD_SIZE, wakeup.value());
            pollfds.set(ValueLayout.JAVA_SHORT, Libc.POLLFD_SIZE + 4, Libc.POLLIN);
            if (resyncs.get() == 0) {
                resync();
            }
            while (!closed) {
                int ready = Libc.poll(pollfds, 2, -1);
                if (ready == -Errno.EINTR) {
                    continue;
                }
                if (ready < 0) {
                    throw new NativeException("poll", -ready, "waiting for link notifications");
                }
                if (pollfds.get(ValueLayout.JAVA_SHORT, Libc.POLLFD_SIZE + 6) != 0 || closed) {
                    return;
                }
                if (pollfds.get(ValueLayout.JAVA_SHORT, 6) != 0) { // POLLIN, or POLLERR for an overrun
                    readAvailable();
                }
            }
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.error("link monitor stopped", e);
            }
        }
    }

    /** Stops the thread (if started) and closes the sockets. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Thread reader = thread;
        if (reader != null) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
                one.set(ValueLayout.JAVA_LONG, 0, 1L);
                Libc.write(wakeup.value(), one, 8);
            }
            if (reader != Thread.currentThread()) {
                try {
                    reader.join(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        notifications.close();
        dumps.close();
        wakeup.close();
    }
}
