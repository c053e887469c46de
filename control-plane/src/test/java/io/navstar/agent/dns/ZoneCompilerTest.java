package io.navstar.agent.dns;

import io.navstar.agent.config.Cidr;
import io.navstar.agent.node.NodeRecord;
import io.navstar.dns.wire.DnsWire;
import io.navstar.dns.zone.NameNode;
import io.navstar.dns.zone.ZoneSnapshot;
import io.navstar.gossip.NodeId;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ZoneCompilerTest {
    private final ZoneCompiler compiler = new ZoneCompiler("thisdcos.directory", Cidr.parse("11.0.0.0/8"),
            Cidr.parse("fd01:c::/64"), InetAddress.ofLiteral("198.51.100.1"));

    @Test
    void namesVipsAndNodesWithReverseRecords() {
        ZoneCompiler.Zones compiled = compiler.compile(
                List.of(new ZoneCompiler.VipName("web.marathon.l4lb.thisdcos.directory",
                        List.of(InetAddress.ofLiteral("11.36.205.229"), InetAddress.ofLiteral("fd01:c::42")),
                        Map.of("_web._tcp.marathon.l4lb.thisdcos.directory", 80))),
                Map.of(NodeId.parse("10.0.0.5:62501"), new NodeRecord("10.0.0.5", List.of(), "node5", 1)));
        ZoneSnapshot zones = compiled.snapshot();
        assertRecord(zones, "web.marathon.l4lb.thisdcos.directory", DnsWire.TYPE_A);
        assertRecord(zones, "web.marathon.l4lb.thisdcos.directory", DnsWire.TYPE_AAAA);
        assertRecord(zones, "229.205.36.11.in-addr.arpa", DnsWire.TYPE_PTR);
        assertRecord(zones, ZoneSnapshot.reverseName("fd01:c::42"), DnsWire.TYPE_PTR);
        assertRecord(zones, "node5.nodes.thisdcos.directory", DnsWire.TYPE_A);
        assertRecord(zones, "5.0.0.10.in-addr.arpa", DnsWire.TYPE_PTR);
        assertRecord(zones, "ready.spartan", DnsWire.TYPE_A);
        assertRecord(zones, "_web._tcp.marathon.l4lb.thisdcos.directory", DnsWire.TYPE_SRV);
        assertTrue(compiled.records().contains(new ZoneCompiler.Record("_web._tcp.marathon.l4lb.thisdcos.directory",
                "SRV", "web.marathon.l4lb.thisdcos.directory:80")));
        assertTrue(compiled.records().contains(new ZoneCompiler.Record("web.marathon.l4lb.thisdcos.directory",
                "AAAA", "fd01:c::42")), "RFC 5952 text: " + compiled.records());
        assertNull(zones.findZone(wire("6.0.0.10.in-addr.arpa"), wire("6.0.0.10.in-addr.arpa").length),
                "other reverse names of the node network are forwarded, not answered here");
        assertNotNull(zones.findZone(wire("1.0.0.11.in-addr.arpa"), wire("1.0.0.11.in-addr.arpa").length),
                "the VIP range's reverse zone is ours");
    }

    @Test
    void reverseZonesCoverTheRangeAtLabelBoundaries() {
        assertEquals("11.in-addr.arpa", ZoneCompiler.reverseZone(Cidr.parse("11.0.0.0/8")));
        assertEquals("168.192.in-addr.arpa", ZoneCompiler.reverseZone(Cidr.parse("192.168.0.0/16")));
        assertEquals("0.0.0.0.0.0.0.0.c.0.0.0.1.0.d.f.ip6.arpa", ZoneCompiler.reverseZone(Cidr.parse("fd01:c::/64")));
    }

    private static void assertRecord(ZoneSnapshot zones, String name, int type) {
        NameNode node = zones.findNode(name);
        assertNotNull(node, name);
        assertNotNull(node.rrset(type), name + " type " + type);
    }

    private static byte[] wire(String name) {
        return io.navstar.dns.wire.Names.toWire(name);
    }
}
