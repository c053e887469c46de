package io.navstar.agent.vip;

import io.navstar.agent.config.Cidr;
import io.navstar.agent.lb.model.BackendSpec;
import io.navstar.agent.lb.model.DesiredState;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.VipKey;
import io.navstar.agent.lb.model.VipSpec;
import io.navstar.gossip.NodeId;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Compiles the VIP registry and membership into what this node serves: the load balancer's {@link DesiredState}
 * and the list of VIPs with their addresses and DNS names. Step 4 of DESIGN.md's way of one VIP: backends on
 * nodes this node cannot reach are left out, unless every backend of a VIP is on such a node (then all are kept,
 * as Minuteman did: an unreachable node may still serve); named VIPs get their addresses from
 * {@link NamedVipAddresses}, one per name and family, for every port and protocol. The same inputs give the same
 * output on every node. Stateless and thread-safe.
 */
public final class VipCompiler {
    private final Cidr range4;
    private final Cidr range6;
    private final String domain;

    /**
     * @param range4 named VIPs' IPv4 range
     * @param range6 named VIPs' IPv6 range
     * @param domain the cluster domain ({@code thisdcos.directory})
     */
    public VipCompiler(Cidr range4, Cidr range6, String domain) {
        this.range4 = range4;
        this.range6 = range6;
        this.domain = domain;
    }

    /**
     * One VIP as served: the registry's VIP, the address clients use for one family, its DNS name (null for a
     * fixed-address VIP) and the backends that take part.
     */
    public record CompiledVip(Vip vip, VipKey key, String dnsName, List<BackendSpec> backends) {
    }

    /** What {@link #compile} produces: the load balancer's input and the VIPs for DNS and the API. */
    public record Compiled(DesiredState desired, List<CompiledVip> vips) {
    }

    /** The DNS name of a named VIP: {@code web.marathon.l4lb.thisdcos.directory}. */
    public String dnsName(Vip vip) {
        return Vip.dnsLabel(vip.name()) + "." + vip.framework() + ".l4lb." + domain;
    }

    /**
     * Compiles {@code registry} for a node that reaches the nodes {@code reachable} accepts.
     *
     * @throws IllegalStateException when the named VIPs do not fit in their range
     */
    public Compiled compile(NavigableMap<Vip, Set<BackendEntry>> registry, Predicate<NodeId> reachable) {
        Set<String> names4 = new HashSet<>();
        Set<String> names6 = new HashSet<>();
        Set<InetAddress> fixed = new HashSet<>();
        for (Map.Entry<Vip, Set<BackendEntry>> e : registry.entrySet()) {
            Vip vip = e.getKey();
            if (!vip.isNamed()) {
                fixed.add(vip.address());
                continue;
            }
            for (BackendEntry backend : e.getValue()) {
                (backend.endpoint().ipv4() ? names4 : names6).add(vip.nameKey());
            }
        }
        Map<String, InetAddress> addresses4 = NamedVipAddresses.allocate(names4, range4, fixed);
        Map<String, InetAddress> addresses6 = NamedVipAddresses.allocate(names6, range6, fixed);

        Map<VipKey, VipSpec> specs = new TreeMap<>();
        List<CompiledVip> compiled = new ArrayList<>();
        for (Map.Entry<Vip, Set<BackendEntry>> e : registry.entrySet()) {
            Vip vip = e.getKey();
            for (boolean ipv4 : new boolean[] {true, false}) {
                InetAddress address = vip.isNamed() ? (ipv4 ? addresses4 : addresses6).get(vip.nameKey())
                        : (vip.address() instanceof Inet4Address) == ipv4 ? vip.address() : null;
                if (address == null) {
                    continue;
                }
                List<BackendSpec> backends = serving(e.getValue(), ipv4, reachable);
                if (backends.isEmpty()) {
                    continue;
                }
                VipKey key = new VipKey(new Endpoint(address, vip.port()), vip.protocol());
                if (specs.containsKey(key)) {
                    continue; // a fixed address that a second VIP field names again: the first (sorted) wins
                }
                specs.put(key, new VipSpec(key, backends));
                compiled.add(new CompiledVip(vip, key, vip.isNamed() ? dnsName(vip) : null, backends));
            }
        }
        return new Compiled(new DesiredState(specs), List.copyOf(compiled));
    }

    /**
     * The backends of one family that take part: those on reachable nodes, or all of them when none is; one entry
     * per endpoint (two nodes publishing the same endpoint: the first node in order wins).
     */
    private static List<BackendSpec> serving(Set<BackendEntry> entries, boolean ipv4, Predicate<NodeId> reachable) {
        Map<Endpoint, BackendSpec> all = new LinkedHashMap<>();
        Map<Endpoint, BackendSpec> onReachable = new LinkedHashMap<>();
        for (BackendEntry entry : entries) {
            if (entry.endpoint().ipv4() != ipv4) {
                continue;
            }
            BackendSpec spec = new BackendSpec(entry.endpoint(), entry.weight());
            all.putIfAbsent(entry.endpoint(), spec);
            if (reachable.test(entry.node())) {
                onReachable.putIfAbsent(entry.endpoint(), spec);
            }
        }
        return List.copyOf((onReachable.isEmpty() ? all : onReachable).values());
    }
}
