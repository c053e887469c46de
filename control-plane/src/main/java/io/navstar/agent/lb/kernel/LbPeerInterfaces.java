package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.abi.LbPeerIface;
import io.navstar.loader.BpfMap;
import io.navstar.sys.NetworkNamespace;
import io.navstar.sys.netlink.Link;
import io.navstar.sys.netlink.Rtnetlink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The control plane's side of {@code lb_peer_ifaces} (struct lb_peer_iface in bpf/include/lb_structs.h): the
 * container-facing interfaces tc or xdp mode is attached to that their tcx ingress programs may hand a packet to
 * directly, by bpf_redirect_peer into the namespace of the interface's peer, instead of letting the node route it. Only veth and
 * netkit devices have a peer to hand a packet to (the kernel drops one redirected so to any other device), so only
 * those are registered, each with its hardware address, which the program compares with the route lookup's source
 * address: an index reused by another device after the veth is gone, or the same index in another namespace, no
 * longer matches. An interface that is not registered still works: its packets take the node's forwarding path.
 * Entries are keyed by index alone, as the programs see them: interfaces of one node's namespace, where the agent
 * attaches.
 *
 * <p>Threading: call from one thread (as {@link LbAttachments}, which owns it).
 */
final class LbPeerInterfaces {
    private static final Logger LOG = LoggerFactory.getLogger(LbPeerInterfaces.class);
    /** Link kinds with a peer device in another namespace (drivers/net/veth.c, drivers/net/netkit.c). */
    private static final Set<String> PEER_KINDS = Set.of("veth", "netkit");

    private final BpfMap map;
    /** Registered interface indices by namespace and name, so that one can be removed after its device is gone. */
    private final Map<String, Integer> registered = new HashMap<>();

    LbPeerInterfaces(BpfMap map) {
        this.map = map;
    }

    /**
     * Registers {@code ifname} of {@code namespace} (null: the agent's own) when it is a veth or netkit device with an
     * Ethernet address.
     */
    void register(NetworkNamespace namespace, String ifname) {
        Optional<Link> found;
        try (Rtnetlink rtnetlink = namespace == null ? Rtnetlink.open() : Rtnetlink.open(namespace)) {
            found = rtnetlink.link(ifname);
        }
        if (found.isEmpty()) {
            return;
        }
        Link link = found.get();
        byte[] mac = link.addressBytes();
        if (!PEER_KINDS.contains(link.kind()) || mac.length != LbPeerIface.MAC_BYTES) {
            LOG.info("{} ({}) has no peer to deliver to: its balanced packets take the node's forwarding path",
                    ifname, link.kind().isEmpty() ? "a device" : link.kind());
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            key.set(JAVA_INT, 0, link.index());
            MemorySegment value = arena.allocate(LbPeerIface.LAYOUT);
            MemorySegment.copy(mac, 0, value, JAVA_BYTE, LbPeerIface.MAC, LbPeerIface.MAC_BYTES);
            map.put(key, value);
        }
        registered.put(key(namespace, ifname), link.index());
    }

    /** Removes {@code ifname}'s entry, if this instance registered it. */
    void forget(NetworkNamespace namespace, String ifname) {
        Integer index = registered.remove(key(namespace, ifname));
        if (index != null) {
            remove(index);
        }
    }

    /** Removes every entry this instance registered. */
    void forgetAll() {
        for (int index : registered.values()) {
            remove(index);
        }
        registered.clear();
    }

    private void remove(int index) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            key.set(JAVA_INT, 0, index);
            map.remove(key);
        }
    }

    private static String key(NetworkNamespace namespace, String ifname) {
        return (namespace == null ? "" : namespace.path().toString()) + "\0" + ifname;
    }
}
