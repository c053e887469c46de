package io.navstar.sys.netlink;

/**
 * What a {@link LinkMonitor} tells about the links of its namespace. Called on the monitor's reading thread, one
 * call at a time, in the order the kernel sent the changes; an exception is logged and the monitor goes on.
 */
public interface LinkListener {
    /**
     * A link appeared or changed (RTM_NEWLINK: flags, name, master), or is present in a dump of every link (at
     * the start, and after notifications were lost). Called again for a link already seen: act idempotently.
     */
    void linkUpdated(Link link);

    /** A link went away (RTM_DELLINK, or absent from a dump after notifications were lost). */
    void linkRemoved(Link link);
}
