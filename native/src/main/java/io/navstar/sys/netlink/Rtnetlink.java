package io.navstar.sys.netlink;

import io.navstar.sys.Errno;
import io.navstar.sys.NetworkNamespace;
import io.navstar.sys.socket.Sockets;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.navstar.sys.netlink.Netlink.NLM_F_ACK;
import static io.navstar.sys.netlink.Netlink.NLM_F_CREATE;
import static io.navstar.sys.netlink.Netlink.NLM_F_DUMP;
import static io.navstar.sys.netlink.Netlink.NLM_F_DUMP_INTR;
import static io.navstar.sys.netlink.Netlink.NLM_F_EXCL;

/**
 * Links and addresses through NETLINK_ROUTE (rtnetlink(7); include/uapi/linux/rtnetlink.h, if_link.h,
 * if_addr.h): list links and addresses, create a dummy interface, set a link up, add an address, delete a link.
 * Every change is acknowledged (NLM_F_ACK) and a refusal throws a {@link NetlinkException} naming the request,
 * the errno, the operation and the kernel's extended-ack text; "already there" answers (EEXIST, ENODEV on delete)
 * come back as {@code false} so callers can be idempotent.
 *
 * <p>Acts in the network namespace the socket was opened in ({@link #open(NetworkNamespace)}), from whatever
 * thread. Threading: one thread at a time.
 */
public final class Rtnetlink implements AutoCloseable {
    /** Message types (enum in rtnetlink.h). */
    public static final int RTM_NEWLINK = 16;
    public static final int RTM_DELLINK = 17;
    public static final int RTM_GETLINK = 18;
    public static final int RTM_NEWADDR = 20;
    public static final int RTM_DELADDR = 21;
    public static final int RTM_GETADDR = 22;
    /** Multicast group of link changes (enum rtnetlink_groups; a group number, not the RTMGRP_LINK mask). */
    public static final int RTNLGRP_LINK = 1;
    /** Link attributes (if_link.h). */
    public static final int IFLA_ADDRESS = 1;
    public static final int IFLA_IFNAME = 3;
    public static final int IFLA_LINKINFO = 18;
    public static final int IFLA_INFO_KIND = 1;
    /** Address attributes and flags (if_addr.h). */
    public static final int IFA_ADDRESS = 1;
    public static final int IFA_LOCAL = 2;
    public static final int IFA_FLAGS = 8;
    public static final int IFA_F_NODAD = 0x02;
    /** Interface flags (if.h). */
    public static final int IFF_UP = 0x1;
    /** IFNAMSIZ less the NUL. */
    public static final int MAX_INTERFACE_NAME = 15;
    /** How many times a dump the kernel marked inconsistent (NLM_F_DUMP_INTR) is redone before giving up. */
    private static final int DUMP_ATTEMPTS = 5;

    private final NetlinkSocket socket;

    private Rtnetlink(NetlinkSocket socket) {
        this.socket = socket;
    }

    /** A NETLINK_ROUTE socket in the calling thread's network namespace. */
    public static Rtnetlink open() {
        return new Rtnetlink(NetlinkSocket.open(Netlink.NETLINK_ROUTE, false));
    }

    /** A NETLINK_ROUTE socket in {@code namespace} (opened on a thread inside it; usable from any thread). */
    public static Rtnetlink open(NetworkNamespace namespace) {
        return namespace.run(Rtnetlink::open);
    }

    /** The name of an rtnetlink message type, for errors. */
    public static String messageName(int type) {
        return switch (type) {
            case RTM_NEWLINK -> "RTM_NEWLINK";
            case RTM_DELLINK -> "RTM_DELLINK";
            case RTM_GETLINK -> "RTM_GETLINK";
            case RTM_NEWADDR -> "RTM_NEWADDR";
            case RTM_DELADDR -> "RTM_DELADDR";
            case RTM_GETADDR -> "RTM_GETADDR";
            default -> Netlink.typeName(type);
        };
    }

    /**
     * Checks a name the kernel would accept for an interface (net/core/dev.c, dev_valid_name): 1 to 15 bytes,
     * not "." or "..", no '/', ':' or white space.
     *
     * @throws IllegalArgumentException naming the name and what is wrong with it
     */
    public static String requireInterfaceName(String name) {
        String problem = null;
        if (name == null || name.isEmpty()) {
            problem = "it is empty";
        } else if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_INTERFACE_NAME) {
            problem = "it is longer than " + MAX_INTERFACE_NAME + " bytes";
        } else if (name.equals(".") || name.equals("..")) {
            problem = "it is a path component";
        } else if (name.chars().anyMatch(c -> c == '/' || c == ':' || Character.isWhitespace(c))) {
            problem = "it contains '/', ':' or white space";
        }
        if (problem != null) {
            throw new IllegalArgumentException("interface name \"" + name + "\" is not valid: " + problem);
        }
        return name;
    }

    // ------------------------------------------------------------------------------------------------- links

    /** Every link of the namespace (RTM_GETLINK dump), redone while the kernel marks the dump interrupted. */
    public List<Link> links() {
        for (int attempt = 1; ; attempt++) {
            List<Link> links = new ArrayList<>();
            boolean[] interrupted = {false};
            NetlinkRequest request = linkRequest(RTM_GETLINK, NLM_F_DUMP, 0, 0, 0);
            socket.transactOrThrow(request, message -> {
                interrupted[0] |= (message.flags() & NLM_F_DUMP_INTR) != 0;
                if (message.type() == RTM_NEWLINK && Link.family(message) == Sockets.AF_UNSPEC) {
                    links.add(Link.parse(message));
                }
            }, "RTM_GETLINK", "listing links");
            if (!interrupted[0] || attempt == DUMP_ATTEMPTS) {
                return links;
            }
        }
    }

    /** The link called {@code name}, or empty when there is none (ENODEV). */
    public Optional<Link> link(String name) {
        requireInterfaceName(name);
        NetlinkRequest request = linkRequest(RTM_GETLINK, NLM_F_ACK, 0, 0, 0).attribute(IFLA_IFNAME, name);
        Link[] found = {null};
        int errno = socket.transactOrThrow(request, message -> {
            if (message.type() == RTM_NEWLINK) {
                found[0] = Link.parse(message);
            }
        }, "RTM_GETLINK", "looking up interface \"" + name + "\"", Errno.ENODEV);
        return errno == 0 ? Optional.ofNullable(found[0]) : Optional.empty();
    }

    /**
     * Creates a virtual interface of {@code kind} ("dummy", "ifb", "bridge": a driver that needs no further
     * attributes) called {@code name}, down; returns false when an interface of that name exists (EEXIST),
     * whatever its kind. A kernel without the driver refuses with EOPNOTSUPP ("Unknown device type").
     */
    public boolean createLink(String name, String kind) {
        requireInterfaceName(name);
        NetlinkRequest request = linkRequest(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, 0, 0, 0)
                .attribute(IFLA_IFNAME, name)
                .beginNested(IFLA_LINKINFO).attribute(IFLA_INFO_KIND, kind).endNested();
        return socket.transactOrThrow(request, ignored -> {
        }, "RTM_NEWLINK", "creating " + kind + " interface \"" + name + "\"", Errno.EEXIST) == 0;
    }

    /** Sets {@code link} up or down (IFF_UP, as {@code ip link set up} does). */
    public void setUp(Link link, boolean up) {
        NetlinkRequest request = linkRequest(RTM_NEWLINK, NLM_F_ACK, link.index(), up ? IFF_UP : 0, IFF_UP);
        socket.transactOrThrow(request, ignored -> {
        }, "RTM_NEWLINK", "setting interface \"" + link.name() + "\" " + (up ? "up" : "down"));
    }

    /** Deletes the link called {@code name} (and a veth's peer with it); false when there is none (ENODEV). */
    public boolean deleteLink(String name) {
        requireInterfaceName(name);
        NetlinkRequest request = linkRequest(RTM_DELLINK, NLM_F_ACK, 0, 0, 0).attribute(IFLA_IFNAME, name);
        return socket.transactOrThrow(request, ignored -> {
        }, "RTM_DELLINK", "deleting interface \"" + name + "\"", Errno.ENODEV) == 0;
    }

    private static NetlinkRequest linkRequest(int type, int flags, int index, int ifiFlags, int ifiChange) {
        return new NetlinkRequest(type, flags)
                .u8(Sockets.AF_UNSPEC).u8(0).u16(0) // ifi_family, __ifi_pad, ifi_type
                .u32(index).u32(ifiFlags).u32(ifiChange);
    }

    // --------------------------------------------------------------------------------------------- addresses

    /**
     * Adds {@code address}/{@code prefixLength} to {@code link}; false when it already holds it (EEXIST). IPv6
     * addresses skip duplicate address detection (IFA_F_NODAD), so they are usable at once.
     */
    public boolean addAddress(Link link, InetAddress address, int prefixLength) {
        boolean v4 = address instanceof Inet4Address;
        int maxPrefix = v4 ? 32 : 128;
        if (prefixLength < 0 || prefixLength > maxPrefix) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " of " + address.getHostAddress()
                    + " is outside 0-" + maxPrefix);
        }
        int flags = v4 ? 0 : IFA_F_NODAD;
        byte[] bytes = address.getAddress();
        NetlinkRequest request = new NetlinkRequest(RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)
                .u8(v4 ? Sockets.AF_INET : Sockets.AF_INET6).u8(prefixLength).u8(flags).u8(0) // scope universe
                .u32(link.index())
                .attribute(IFA_LOCAL, bytes)
                .attribute(IFA_ADDRESS, bytes)
                .attributeU32(IFA_FLAGS, flags);
        return socket.transactOrThrow(request, ignored -> {
        }, "RTM_NEWADDR", "adding " + address.getHostAddress() + "/" + prefixLength + " to interface \""
                + link.name() + "\"", Errno.EEXIST) == 0;
    }

    /** The IPv4 and IPv6 addresses of {@code link} (RTM_GETADDR dump, filtered by index). */
    public List<InterfaceAddress> addresses(Link link) {
        for (int attempt = 1; ; attempt++) {
            List<InterfaceAddress> addresses = new ArrayList<>();
            boolean[] interrupted = {false};
            NetlinkRequest request = new NetlinkRequest(RTM_GETADDR, NLM_F_DUMP)
                    .u8(Sockets.AF_UNSPEC).u8(0).u8(0).u8(0).u32(0);
            socket.transactOrThrow(request, message -> {
                interrupted[0] |= (message.flags() & NLM_F_DUMP_INTR) != 0;
                if (message.type() == RTM_NEWADDR) {
                    InterfaceAddress address = InterfaceAddress.parse(message);
                    if (address.index() == link.index()) {
                        addresses.add(address);
                    }
                }
            }, "RTM_GETADDR", "listing the addresses of interface \"" + link.name() + "\"");
            if (!interrupted[0] || attempt == DUMP_ATTEMPTS) {
                return addresses;
            }
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
