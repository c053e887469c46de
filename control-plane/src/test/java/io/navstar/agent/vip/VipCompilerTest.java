package io.navstar.agent.vip;

import io.navstar.agent.config.Cidr;
import io.navstar.agent.lb.model.BackendSpec;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.Protocol;
import io.navstar.agent.lb.model.VipKey;
import io.navstar.agent.lb.model.VipSpec;
import io.navstar.gossip.NodeId;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VipCompilerTest {
    private static final NodeId A = NodeId.parse("10.0.0.1:62501");
    private static final NodeId B = NodeId.parse("10.0.0.2:62501");
    private final VipCompiler compiler = new VipCompiler(Cidr.parse("11.0.0.0/8"), Cidr.parse("fd01:c::/64"),
            "thisdcos.directory");

    private static NavigableMap<Vip, Set<BackendEntry>> registry(Object... vipThenEntries) {
        NavigableMap<Vip, Set<BackendEntry>> registry = new TreeMap<>();
        Vip current = null;
        for (Object o : vipThenEntries) {
            if (o instanceof Vip vip) {
                current = vip;
                registry.put(vip, new TreeSet<>());
            } else {
                registry.get(current).add((BackendEntry) o);
            }
        }
        return registry;
    }

    private static BackendEntry backend(NodeId node, String endpoint, int weight) {
        return new BackendEntry(node, Endpoint.parse(endpoint), weight);
    }

    private static final Vip WEB = Vip.named(Protocol.TCP, "web", "marathon", 80);

    @Test
    void backendsOnUnreachableNodesAreLeftOutUnlessAllAre() {
        var registry = registry(WEB, backend(A, "10.0.1.2:8080", 1), backend(B, "10.0.2.2:8080", 1));
        VipSpec both = only(compiler.compile(registry, n -> true));
        assertEquals(2, both.backends().size());

        VipSpec onlyA = only(compiler.compile(registry, n -> n.equals(A)));
        assertEquals(List.of(new BackendSpec(Endpoint.parse("10.0.1.2:8080"), 1)), onlyA.backends());

        VipSpec none = only(compiler.compile(registry, n -> false));
        assertEquals(2, none.backends().size(), "all unreachable: all kept, as Minuteman did");
    }

    @Test
    void aNamedVipGetsOneAddressPerFamilyForEveryPortAndItsDnsName() {
        Vip tls = Vip.named(Protocol.TCP, "web", "marathon", 443);
        var registry = registry(WEB, backend(A, "10.0.1.2:8080", 1), backend(A, "[fd00::2]:8080", 1),
                tls, backend(A, "10.0.1.2:8443", 1));
        VipCompiler.Compiled compiled = compiler.compile(registry, n -> true);
        assertEquals(3, compiled.desired().vips().size());
        List<InetAddress> addresses = compiled.vips().stream()
                .filter(v -> "web.marathon.l4lb.thisdcos.directory".equals(v.dnsName()))
                .map(v -> v.key().endpoint().address()).distinct().toList();
        assertNotNull(addresses);
        assertEquals(2, addresses.size(), "one IPv4 and one IPv6 address: " + addresses);
        for (VipKey key : compiled.desired().vips().keySet()) {
            assertTrue(addresses.contains(key.endpoint().address()), key + " uses the name's address");
        }
    }

    @Test
    void aFixedAddressVipKeepsItsAddressAndHasNoName() {
        Vip fixed = Vip.fromLabel("11.0.0.1:80", Protocol.TCP, "marathon");
        var compiled = compiler.compile(registry(fixed, backend(A, "10.0.1.2:8080", 0)), n -> true);
        VipSpec spec = only(compiled);
        assertEquals(VipKey.of("11.0.0.1:80", "tcp"), spec.key());
        assertEquals(0, spec.backends().get(0).weight(), "the published weight (draining) is kept");
        assertTrue(compiled.vips().stream().allMatch(v -> v.dnsName() == null));
    }

    @Test
    void theSameEndpointPublishedByTwoNodesIsOneBackend() {
        var compiled = compiler.compile(registry(WEB, backend(A, "10.0.1.2:8080", 1), backend(B, "10.0.1.2:8080", 1)),
                n -> true);
        assertEquals(1, only(compiled).backends().size());
    }

    @Test
    void theDnsNameOfAGroupedAppJoinsItsSegments() {
        assertEquals("db-pg.marathon.l4lb.thisdcos.directory",
                compiler.dnsName(Vip.fromLabel("/db/pg:5432", Protocol.TCP, "marathon")));
    }

    private static VipSpec only(VipCompiler.Compiled compiled) {
        assertEquals(1, compiled.desired().vips().size(), compiled.desired().toString());
        return compiled.desired().vips().values().iterator().next();
    }
}
