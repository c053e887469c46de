package io.navstar.agent.dns;

import io.navstar.agent.config.Cidr;
import io.navstar.agent.lb.model.AddressText;
import io.navstar.agent.node.NodeRecord;
import io.navstar.agent.vip.Vip;
import io.navstar.agent.vip.VipCompiler;
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
 * {@code <name>.<framework>.l4lb.<domain>} with an SRV record per port and protocol
 * ({@code _<name>._tcp.<framework>.l4lb.<domain>}, RFC 2782), each node's address at {@code <hostname>.nodes.<domain>}; PTR
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

    /**
     * One record served, as the API lists it.
     *
     * @param name  the owner name
     * @param type  A, AAAA, PTR or SRV
     * @param value the address, the PTR's target, or the SRV's {@code target:port}
     */
    public record Record(String name, String type, String value) {
    }

    /** What a compile produces: the snapshot Spartan answers from, and its records for the API. */
    public record Zones(ZoneSnapshot snapshot, List<Record> records) {
        public static final Zones EMPTY = new Zones(ZoneSnapshot.empty(), List.of());
    }

    /**
     * A named VIP as DNS serves it: its name, addresses, and the SRV records of its ports
     * ({@code _web._tcp.marathon.l4lb.thisdcos.directory}, RFC 2782).
     *
     * @param name      {@code web.marathon.l4lb.thisdcos.directory}
     * @param addresses its IPv4 and IPv6 addresses
     * @param services  SRV owner name ({@code _web._tcp.marathon.l4lb.<domain>}) to the VIP's port
     */
    public record VipName(String name, List<InetAddress> addresses, Map<String, Integer> services) {
    }

    /** The named VIPs of a compile, grouped by DNS name, with their addresses and SRV records. */
    public static List<VipName> vipNames(VipCompiler.Compiled compiled) {
        Map<String, List<InetAddress>> addresses = new java.util.TreeMap<>();
        Map<String, Map<String, Integer>> services = new java.util.HashMap<>();
        for (VipCompiler.CompiledVip vip : compiled.vips()) {
            if (vip.dnsName() == null) {
                continue;
            }
            List<InetAddress> list = addresses.computeIfAbsent(vip.dnsName(), n -> new java.util.ArrayList<>());
            if (!list.contains(vip.key().endpoint().address())) {
                list.add(vip.key().endpoint().address());
            }
            String label = "_" + Vip.dnsLabel(vip.vip().name());
            if (label.length() <= 63) { // one more character than the name's own label
                String service = label + "._" + vip.vip().protocol().name().toLowerCase(java.util.Locale.ROOT) + "."
                        + vip.dnsName().substring(vip.dnsName().indexOf('.') + 1);
                services.computeIfAbsent(vip.dnsName(), n -> new java.util.TreeMap<>()).put(service, vip.vip().port());
            }
        }
        List<VipName> names = new java.util.ArrayList<>();
        addresses.forEach((name, list) -> names.add(new VipName(name, List.copyOf(list), services.getOrDefault(name, Map.of()))));
        return names;
    }

    /** The zones for these named VIPs and nodes. */
    public Zones compile(List<VipName> vipNames, Map<NodeId, NodeRecord> nodes) {
        List<Record> records = new java.util.ArrayList<>();
        ZoneSnapshot.Builder zones = ZoneSnapshot.builder();
        zones.zone(domain);
        zones.zone("spartan");
        zones.address("ready.spartan", readyAddress.getHostAddress(), TTL);
        records.add(addressRecord("ready.spartan", readyAddress));
        zones.zone(reverseZone(range4));
        zones.zone(reverseZone(range6));
        for (VipName vip : vipNames) {
            for (InetAddress address : vip.addresses()) {
                zones.addressWithPtr(vip.name(), address.getHostAddress(), TTL);
                records.add(addressRecord(vip.name(), address));
                records.add(new Record(ZoneSnapshot.reverseName(address.getHostAddress()), "PTR", vip.name()));
            }
            for (Map.Entry<String, Integer> service : vip.services().entrySet()) {
                zones.add(service.getKey(), RecordData.srv(0, 0, service.getValue(), vip.name(), TTL));
                records.add(new Record(service.getKey(), "SRV", vip.name() + ":" + service.getValue()));
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
            records.add(addressRecord(name, address));
            String ptr = ZoneSnapshot.reverseName(address.getHostAddress());
            if (!inRange(address) && reverse.add(ptr)) {
                zones.zone(ptr);
                zones.add(ptr, RecordData.ptr(name, TTL));
                records.add(new Record(ptr, "PTR", name));
            }
        }
        return new Zones(zones.build(), List.copyOf(records));
    }

    private static Record addressRecord(String name, InetAddress address) {
        return new Record(name, address instanceof Inet4Address ? "A" : "AAAA", AddressText.of(address));
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
