package io.navstar.dns.zone;

import io.navstar.dns.wire.DnsWire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The records file parser: every type and range limit accepted, and each bad line named with what it lacks. */
class RecordsFileTest {
    private static final Path FILE = Path.of("zone.records");

    @Test
    void readsEveryTypeWithAndWithoutTtlSkippingBlankAndCommentLines(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("zone.records");
        Files.writeString(file, """
                # cluster names
                web.marathon.l4lb.thisdcos.directory  A     11.0.0.1

                web.marathon.l4lb.thisdcos.directory  aaaa  fd01:c::1  30
                1.0.0.11.in-addr.arpa  PTR  web.marathon.l4lb.thisdcos.directory.  2147483647
                thisdcos.directory  NS  ns1.thisdcos.directory
                \t_web._tcp.marathon.thisdcos.directory SRV 0 65535 65535 web.marathon.l4lb.thisdcos.directory 0
                """);
        List<RecordsFile.Entry> entries = RecordsFile.read(file);
        assertEquals(List.of(2, 4, 5, 6, 7), entries.stream().map(RecordsFile.Entry::line).toList());
        assertEquals(List.of(DnsWire.TYPE_A, DnsWire.TYPE_AAAA, DnsWire.TYPE_PTR, DnsWire.TYPE_NS, DnsWire.TYPE_SRV),
                entries.stream().map(e -> e.data().type()).toList());
        assertEquals(List.of(RecordsFile.DEFAULT_TTL, 30L, 2147483647L, RecordsFile.DEFAULT_TTL, 0L),
                entries.stream().map(e -> e.data().ttl()).toList());
        ByteBuffer srv = ByteBuffer.wrap(entries.get(4).data().prefix());
        assertEquals(List.of(0, 65535, 65535), List.of(srv.getShort() & 0xFFFF, srv.getShort() & 0xFFFF,
                srv.getShort() & 0xFFFF), "priority, weight, port");
        assertEquals("_web._tcp.marathon.thisdcos.directory", entries.get(4).name());
    }

    /** {bad line, the message after "zone.records:2: "}; line 1 is always a good record. */
    private static final String[][] BAD_LINES = {
            {"x.thisdcos.directory A", "expected an IPv4 address, found end of line"},
            {"x.thisdcos.directory", "expected a record type A, AAAA, PTR, NS or SRV, found end of line"},
            {"x.thisdcos.directory MX 10 mail.thisdcos.directory", "expected a record type A, AAAA, PTR, NS or SRV, found 'MX'"},
            {"x.thisdcos.directory A 10.0.0.300", "expected an IPv4 address, found '10.0.0.300'"},
            {"x.thisdcos.directory A fd01::1", "expected an IPv4 address, found 'fd01::1'"},
            {"x.thisdcos.directory A web.example.com", "expected an IPv4 address, found 'web.example.com'"},
            {"x.thisdcos.directory AAAA 10.0.0.1", "expected an IPv6 address, found '10.0.0.1'"},
            {"x.thisdcos.directory A 10.0.0.1 -1", "expected a TTL of 0-2147483647 seconds, found '-1'"},
            {"x.thisdcos.directory A 10.0.0.1 2147483648", "expected a TTL of 0-2147483647 seconds, found '2147483648'"},
            {"x.thisdcos.directory A 10.0.0.1 1h", "expected a TTL of 0-2147483647 seconds, found '1h'"},
            {"x.thisdcos.directory A 10.0.0.1 60 extra", "expected end of line after the TTL, found 'extra'"},
            {"x.thisdcos.directory SRV 0 1 80", "expected the SRV target, a DNS name"},
            {"x.thisdcos.directory SRV 0 1", "expected the SRV port (0-65535), found end of line"},
            {"x.thisdcos.directory SRV 0 1 65536 t.thisdcos.directory", "expected the SRV port (0-65535), found '65536'"},
            {"x.thisdcos.directory SRV 65536 1 80 t.thisdcos.directory", "expected the SRV priority (0-65535), found '65536'"},
            {"x.thisdcos.directory SRV 0 -1 80 t.thisdcos.directory", "expected the SRV weight (0-65535), found '-1'"},
            {"x..thisdcos.directory A 10.0.0.1", "expected a DNS name"},
            {"x" + "a".repeat(63) + ".thisdcos.directory A 10.0.0.1", "expected a DNS name"},
            {"wéb.thisdcos.directory A 10.0.0.1", "found 'wéb.thisdcos.directory'"},
            {"x.thisdcos.directory PTR a..b", "expected the PTR target, a DNS name"},
            {"x.thisdcos.directory NS", "expected the NS host, a DNS name (dot-separated labels of 1-63 printable ASCII"
                    + " characters, at most 255 octets), found end of line"},
    };

    @Test
    void namesTheFileLineWhatWasExpectedAndWhatWasFoundForEveryBadLine() {
        for (String[] bad : BAD_LINES) {
            RecordsFileException e = assertThrows(RecordsFileException.class,
                    () -> RecordsFile.parse(FILE, List.of("ok.thisdcos.directory A 10.0.0.1", bad[0])), bad[0]);
            assertEquals(FILE, e.file());
            assertEquals(2, e.line());
            assertTrue(e.getMessage().startsWith("zone.records:2: ") && e.getMessage().contains(bad[1]),
                    bad[0] + " -> " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        }
    }

    @Test
    void namesTheFileWhenItCannotBeRead(@TempDir Path dir) {
        Path missing = dir.resolve("missing.records");
        RecordsFileException e = assertThrows(RecordsFileException.class, () -> RecordsFile.read(missing));
        assertEquals(missing + ": cannot be read: no such file", e.getMessage());
        assertEquals(0, e.line());
    }
}
