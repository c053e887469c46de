package io.navstar.agent.lb;

import io.navstar.sys.NetworkNamespace;
import io.navstar.sys.netlink.Link;
import io.navstar.sys.netlink.LinkListener;
import io.navstar.sys.netlink.LinkMonitor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Reports the interfaces of one network namespace whose names match the configured names or globs
 * ({@code veth*}, {@code eth?}) as they appear and disappear, from the kernel's link notifications
 * ({@link LinkMonitor}, RTNLGRP_LINK): a container's interface is reported as soon as its RTM_NEWLINK arrives,
 * so its programs are attached before its first packet, and nothing polls. {@link #start} reports the matching
 * interfaces present before returning. A renamed interface is the old name disappearing and the new one
 * appearing; one whose attach failed is tried again at its next notification (it gets several as it is set up).
 *
 * <p>Threading: {@link #start} from one thread; the callbacks then run on the watcher's own thread
 * ("lb-interfaces"), one at a time. {@link #close} from any thread.
 */
public final class InterfaceWatcher implements LinkListener, AutoCloseable {
    private final NetworkNamespace namespace;
    private final List<Pattern> patterns = new ArrayList<>();
    /** Names reported as appeared, by ifindex; touched by the thread that reads notifications. */
    private final Map<Integer, String> reported = new HashMap<>();
    private final Predicate<String> appeared;
    private final Consumer<String> disappeared;
    private volatile LinkMonitor monitor;

    /**
     * @param namespace   the namespace to watch, null for this process's
     * @param appeared    called with a matching interface's name; returns false when it could not act on it
     * @param disappeared called with the name of an interface {@code appeared} accepted, once it is gone
     */
    public InterfaceWatcher(NetworkNamespace namespace, List<String> globs, Predicate<String> appeared,
                            Consumer<String> disappeared) {
        this.namespace = namespace;
        this.appeared = appeared;
        this.disappeared = disappeared;
        for (String glob : globs) {
            patterns.add(Pattern.compile(globToRegex(glob.strip())));
        }
    }

    static String globToRegex(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return re.toString();
    }

    /** True when a name matches a pattern. */
    public boolean matches(String name) {
        for (Pattern p : patterns) {
            if (p.matcher(name).matches()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Subscribes to the namespace's link notifications (the socket is opened inside it), reports the matching
     * interfaces present now, then follows changes on a thread of its own.
     */
    public void start() {
        if (monitor != null) {
            throw new IllegalStateException("interface watcher already started");
        }
        monitor = namespace == null ? LinkMonitor.open(this) : LinkMonitor.open(namespace, this);
        try {
            monitor.resync();
            monitor.start("lb-interfaces");
        } catch (RuntimeException e) {
            monitor.close();
            throw e;
        }
    }

    @Override
    public void linkUpdated(Link link) {
        String before = reported.get(link.index());
        if (before != null && !before.equals(link.name())) {
            linkRemoved(new Link(link.index(), before, link.flags(), link.kind())); // renamed
        }
        if (!reported.containsKey(link.index()) && matches(link.name()) && appeared.test(link.name())) {
            reported.put(link.index(), link.name());
        }
    }

    @Override
    public void linkRemoved(Link link) {
        String name = reported.remove(link.index());
        if (name != null) {
            disappeared.accept(name);
        }
    }

    /** Stops following the namespace; reports nothing more. */
    @Override
    public void close() {
        if (monitor != null) {
            monitor.close();
        }
    }
}
