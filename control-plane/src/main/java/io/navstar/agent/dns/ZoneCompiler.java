package io.navstar.agent.dns;

import io.navstar.agent.config.Cidr;
import io.navstar.agent.node.NodeRecord;
import io.navstar.dns.zone.RecordData;
import io.navstar.dns.zone.ZoneSnapshot;
import io.navstar.gossip.NodeId;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles cluster state into Spartan's local zones: under the cluster domain, each named VIP's A/AAAA at
 * {@code <name>.<framework>.l4lb.<domain>} and each node's address at {@code <hostname>.nodes.<domain>}; PTR
 * records for both (RFC 1035 §3.5, RFC 3596 §2.5) in the VIP ranges' reverse zones and in one reverse zone per
 * node address (so other reverse names of the node's network are still forwarded); and {@code ready.spartan},
 * dcos-dns's liveness name. TTLs are short ({@link #TTL} seconds), as dcos-dns's were, since VIPs and nodes
 * change. Stateless and thread-safe; the agent publishes the result through {@code LocalZones}.
 */
public final class ZoneCompiler {
    /** Seconds clients may cache a cluster answer. */
    public static final long TTL = 5;

    private final String domain;
    private final Cidr range4;
    private final Cidr range6;
    private final InetAddress readyAddress;

    /**
     * @param domain       the cluster domain
     * @param range4       named VIPs' IPv4 range (its reverse zone is local)
     * @param range6       named VIPs' IPv6 range (likewise)
     * @param readyAddress what {@code ready.spartan} answers (the first DNS listen address)
     */
    public ZoneCompiler(String domain, Cidr range4, Cidr range6, InetAddress readyAddress) {
        this.domain = domain;
        this.range4 = range4;
        this.range6 = range6;
        this.readyAddress = readyAddress;
    }

    /** The zones for these VIP names ({@code name -> addresses}) and nodes. */
    public ZoneSnapshot compile(Map<String, List<InetAddress>> vipNames, Map<NodeId, NodeRecord> nodes) {
        ZoneSnapshot.Builder zones = ZoneSnapshot.builder();
        zones.zone(domain);
        zones.zone("spartan");
        zones.address("ready.spartan", readyAddress.getHostAddress(), TTL);
        zones.zone(reverseZone(range4));
        zones.zone(reverseZone(range6));
        for (Map.Entry<String, List<InetAddress>> name : vipNames.entrySet()) {
            for (InetAddress address : name.getValue()) {
                zones.addressWithPtr(name.getKey(), address.getHostAddress(), TTL);
            }
        }
        Set<String> nodeNames = new HashSet<>();
        Set<String> reverse = new HashSet<>();
        for (NodeRecord node : nodes.values()) {
            String name = node.hostname() + ".nodes." + domain;
            InetAddress address;
            try {
                address = InetAddress.ofLiteral(node.privateIp());
            } catch (IllegalArgumentException e) {
                continue; // a record that does not parse was already left out of the VIPs
            }
            if (!nodeNames.add(name + "/" + address.getHostAddress())) {
                continue;
            }
            zones.address(name, address.getHostAddress(), TTL);
            String ptr = ZoneSnapshot.reverseName(address.getHostAddress());
            if (!inRange(address) && reverse.add(ptr)) {
                zones.zone(ptr);
                zones.add(ptr, RecordData.ptr(name, TTL));
            }
        }
        return zones.build();
    }

    private boolean inRange(InetAddress address) {
        return range4.contains(address) || range6.contains(address);
    }

    /**
     * The reverse zone of a range, at the longest label boundary that covers it: whole octets for IPv4
     * ({@code 11.in-addr.arpa} for 11.0.0.0/8), nibbles for IPv6.
     */
    static String reverseZone(Cidr range) {
        byte[] bytes = range.address().getAddress();
        StringBuilder zone = new StringBuilder();
        if (range.address() instanceof Inet4Address) {
            int octets = range.prefixLength() / 8;
            for (int i = octets - 1; i >= 0; i--) {
                zone.append(bytes[i] & 0xFF).append('.');
            }
            return zone.append("in-addr.arpa").toString();
        }
        int nibbles = range.prefixLength() / 4;
        for (int i = nibbles - 1; i >= 0; i--) {
            int b = bytes[i / 2] & 0xFF;
            zone.append(Character.forDigit(i % 2 == 0 ? b >> 4 : b & 0xF, 16)).append('.');
        }
        return zone.append("ip6.arpa").toString();
    }
}
