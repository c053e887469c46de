package io.navstar.sys.netlink;

import io.navstar.sys.Errno;
import io.navstar.sys.NetworkNamespace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes sure a dummy interface with given host addresses exists and is up, as Spartan's {@code spartan} interface
 * holds the addresses its DNS server listens on (dcos-net did {@code ip link add spartan type dummy} and added
 * 198.51.100.1-3/32). Idempotent: creates the interface if it is missing, adds only the missing addresses (/32 for
 * IPv4, /128 for IPv6), and sets it up; a second call changes nothing. Refuses an existing interface of that name
 * that is not a dummy, rather than add addresses to a real one.
 *
 * <p>A kernel built without the dummy driver (CONFIG_DUMMY) gets an ifb device instead (drivers/net/ifb.c), which
 * likewise holds addresses and drops whatever is sent to it: the addresses are served locally either way.
 *
 * <p>Stateless; each call opens its own NETLINK_ROUTE socket. Any thread.
 */
public final class DummyInterface {
    private static final Logger LOG = LoggerFactory.getLogger(DummyInterface.class);
    /** The kinds that make an address holder, in order of preference. */
    static final List<String> KINDS = List.of("dummy", "ifb");

    private DummyInterface() {
    }

    /** Ensures {@code name} in the calling thread's network namespace; returns the link as it now is. */
    public static Link ensure(String name, List<? extends InetAddress> addresses) {
        try (Rtnetlink rtnetlink = Rtnetlink.open()) {
            return ensure(rtnetlink, name, addresses);
        }
    }

    /** Ensures {@code name} in {@code namespace}. */
    public static Link ensure(NetworkNamespace namespace, String name, List<? extends InetAddress> addresses) {
        try (Rtnetlink rtnetlink = Rtnetlink.open(namespace)) {
            return ensure(rtnetlink, name, addresses);
        }
    }

    /**
     * Deletes the interface {@code name} of the calling thread's namespace (its addresses go with it); false when
     * there was none.
     */
    public static boolean remove(String name) {
        try (Rtnetlink rtnetlink = Rtnetlink.open()) {
            return rtnetlink.deleteLink(name);
        }
    }

    static Link ensure(Rtnetlink rtnetlink, String name, List<? extends InetAddress> addresses) {
        Rtnetlink.requireInterfaceName(name);
        Link link = rtnetlink.link(name).orElseGet(() -> create(rtnetlink, name));
        if (!KINDS.contains(link.kind())) {
            throw new IllegalStateException("interface \"" + name + "\" exists and is "
                    + (link.kind().isEmpty() ? "a physical device" : "a " + link.kind()) + ", not a dummy: "
                    + "refusing to add addresses to it");
        }
        List<InetAddress> held = new ArrayList<>();
        for (InterfaceAddress address : rtnetlink.addresses(link)) {
            held.add(address.address());
        }
        for (InetAddress address : addresses) {
            if (!held.contains(address)) {
                rtnetlink.addAddress(link, address, address instanceof Inet4Address ? 32 : 128);
            }
        }
        if (!link.up()) {
            rtnetlink.setUp(link, true);
        }
        return rtnetlink.link(name).orElseThrow(() -> new IllegalStateException(
                "interface \"" + name + "\" vanished while it was being set up"));
    }

    /** Creates {@code name} of the first kind the kernel has a driver for (another creator may win the race). */
    private static Link create(Rtnetlink rtnetlink, String name) {
        for (int i = 0; i < KINDS.size(); i++) {
            String kind = KINDS.get(i);
            try {
                rtnetlink.createLink(name, kind);
                break;
            } catch (NetlinkException e) {
                if (e.errno() != Errno.EOPNOTSUPP || i == KINDS.size() - 1) {
                    throw e;
                }
                LOG.info("this kernel has no {} driver ({}); making \"{}\" a {} instead", kind, e.getMessage(), name,
                        KINDS.get(i + 1));
            }
        }
        return rtnetlink.link(name).orElseThrow(() -> new IllegalStateException(
                "interface \"" + name + "\" vanished right after it was created"));
    }
}
