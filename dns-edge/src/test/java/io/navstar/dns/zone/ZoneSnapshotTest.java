package io.navstar.dns.zone;

import io.navstar.dns.wire.DnsWire;
import io.navstar.dns.wire.DnsWriter;
import io.navstar.dns.wire.Names;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class ZoneSnapshotTest {
    @Test
    void findsDeepestZoneForName() {
        ZoneSnapshot s = ZoneSnapshot.builder().zone("thisdcos.directory").zone("l4lb.thisdcos.directory").build();
        byte[] name = Names.toWire("web.marathon.l4lb.thisdcos.directory");
        assertEquals("l4lb.thisdcos.directory", s.findZone(name, name.length).name());
        byte[] other = Names.toWire("agent.thisdcos.directory");
        assertEquals("thisdcos.directory", s.findZone(other, other.length).name());
        byte[] outside = Names.toWire("example.com");
        assertNull(s.findZone(outside, outside.length));
    }

    @Test
    void createsEmptyNonTerminalsUpToTheApex() {
        ZoneSnapshot s = ZoneSnapshot.builder().zone("thisdcos.directory")
                .address("web.marathon.l4lb.thisdcos.directory", "11.0.0.1", 5).build();
        NameNode ent = s.findNode("marathon.l4lb.thisdcos.directory");
        assertNotNull(ent);
        assertEquals(0, ent.typeCount());
        assertNull(s.findNode("other.l4lb.thisdcos.directory"));
        assertEquals(1, s.findNode("web.marathon.l4lb.thisdcos.directory").rrset(DnsWire.TYPE_A).length);
    }

    @Test
    void precompiledAnswerIsTheRrsetAsTheWriterWritesIt() {
        ZoneSnapshot s = ZoneSnapshot.builder().zone("thisdcos.directory").zone("11.in-addr.arpa")
                .addressWithPtr("web.thisdcos.directory", "11.0.0.1", 5).address("web.thisdcos.directory", "11.0.0.2", 5)
                .address("web.thisdcos.directory", "fd01:c::1", 9).build();
        NameNode web = s.findNode("web.thisdcos.directory");
        for (int type : new int[] {DnsWire.TYPE_A, DnsWire.TYPE_AAAA}) {
            RecordData[] set = web.rrset(type);
            DnsWriter writer = new DnsWriter().begin(Unpooled.buffer());
            for (RecordData rr : set) {
                writer.writePointer(DnsWire.HEADER_SIZE);
                rr.writeTo(writer, rr.ttl());
            }
            byte[] expected = ByteBufUtil.getBytes(writer.buffer());
            byte[] wire = web.answerWire(type);
            assertEquals(set.length, (wire[0] & 0xFF) << 8 | wire[1] & 0xFF, "record count");
            assertArrayEquals(expected, Arrays.copyOfRange(wire, NameNode.WIRE_RECORDS, wire.length));
        }
        assertEquals(2, web.rrset(DnsWire.TYPE_A).length);
        assertNull(web.answerWire(DnsWire.TYPE_TXT), "no such RRset");
        assertNull(s.findNode("1.0.0.11.in-addr.arpa").answerWire(DnsWire.TYPE_PTR), "RDATA with a name is not precompiled");
    }

    @Test
    void shouldRejectRecordOutsideEveryLocalZone() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ZoneSnapshot.builder().zone("thisdcos.directory").address("web.example.com", "1.2.3.4", 5).build());
        assertTrue(e.getMessage().contains("web.example.com"));
    }

    @Test
    void buildsReverseNamesForIpv4AndIpv6() {
        assertEquals("1.0.0.11.in-addr.arpa", ZoneSnapshot.reverseName("11.0.0.1"));
        assertTrue(ZoneSnapshot.reverseName("fd01:c::1").startsWith("1.0.0.0."));
        assertTrue(ZoneSnapshot.reverseName("fd01:c::1").endsWith("c.0.0.0.1.0.d.f.ip6.arpa"));
        ZoneSnapshot s = ZoneSnapshot.builder().zone("thisdcos.directory").zone("11.in-addr.arpa")
                .addressWithPtr("web.marathon.l4lb.thisdcos.directory", "11.0.0.1", 5).build();
        assertEquals(1, s.findNode("1.0.0.11.in-addr.arpa").rrset(DnsWire.TYPE_PTR).length);
    }

    @Test
    void negativeTtlIsLesserOfSoaTtlAndMinimum() {
        ZoneSnapshot s = ZoneSnapshot.builder().zone("a.test",
                RecordData.soa("ns.a.test", "h.a.test", 1, 60, 60, 600, 7, 100)).build();
        assertEquals(7, s.zones().getFirst().negativeTtl());
    }

    @Test
    void lookupsScaleToManyNames() {
        ZoneSnapshot.Builder b = ZoneSnapshot.builder().zone("thisdcos.directory");
        for (int i = 0; i < 20_000; i++) {
            b.address("vip" + i + ".marathon.l4lb.thisdcos.directory", "11." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255), 5);
        }
        ZoneSnapshot s = b.build();
        for (int i = 0; i < 20_000; i += 997) {
            assertNotNull(s.findNode("vip" + i + ".marathon.l4lb.thisdcos.directory"));
        }
        assertEquals(20_002, s.recordCount(), "the 20,000 records plus the apex SOA and NS");
    }
}
