package io.navstar.dns.wire;

import io.navstar.dns.testing.Messages;
import io.netty.buffer.Unpooled;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Decoders must classify any input (never throw, never loop) and stay within the message bounds. */
class DecoderFuzzTest {
    private final DnsQuery query = new DnsQuery();
    private final ResponseScan scan = new ResponseScan();

    @Property(tries = 3000)
    void queryDecoderClassifiesRandomBytesWithoutThrowing(@ForAll @Size(max = 600) byte[] input) {
        int outcome = query.decode(Unpooled.wrappedBuffer(input), 0, input.length);
        assertTrue(outcome >= DnsQuery.OUTCOME_QUERY && outcome <= DnsQuery.OUTCOME_DROP);
        if (outcome == DnsQuery.OUTCOME_QUERY) {
            assertTrue(query.questionEnd() <= input.length);
            assertTrue(query.nameLength() >= 1 && query.nameLength() <= Names.MAX_NAME_LENGTH);
        }
    }

    @Property(tries = 3000)
    void queryDecoderSurvivesMutationsOfValidQueries(@ForAll("mutatedQueries") byte[] input) {
        int outcome = query.decode(Unpooled.wrappedBuffer(input), 0, input.length);
        assertTrue(outcome >= DnsQuery.OUTCOME_QUERY && outcome <= DnsQuery.OUTCOME_DROP);
        if (outcome == DnsQuery.OUTCOME_FORMERR) {
            assertNotNull(query.error());
        }
    }

    @Property(tries = 3000)
    void responseScanClassifiesRandomResponsesWithoutThrowing(@ForAll("mutatedQueries") byte[] input) {
        if (input.length > 2) {
            input[2] |= (byte) 0x80;
        }
        byte[] qname = Names.toWire("web.marathon.l4lb.thisdcos.directory");
        boolean ok = scan.scan(Unpooled.wrappedBuffer(input), 0, input.length, qname, qname.length, 1, 1);
        if (!ok) {
            assertNotNull(scan.error());
        } else {
            for (int i = 0; i < scan.ttlCount(); i++) {
                assertTrue(scan.ttlOffsets()[i] + 4 <= input.length);
            }
        }
    }

    @Property(tries = 2000)
    void nameReaderTerminatesOnArbitraryPointerSoup(@ForAll @Size(min = 1, max = 64) List<@net.jqwik.api.constraints.IntRange(min = 0, max = 255) Integer> soup) {
        byte[] msg = new byte[soup.size()];
        for (int i = 0; i < msg.length; i++) {
            msg[i] = (byte) (int) soup.get(i);
        }
        for (int start = 0; start < msg.length; start++) {
            int r = Names.read(Unpooled.wrappedBuffer(msg), 0, msg.length, start, new byte[255], new byte[255]);
            if (r >= 0) {
                assertTrue((r & 0xFFFF) <= msg.length);
                assertTrue((r >>> 16) <= Names.MAX_NAME_LENGTH);
            } else {
                assertNotNull(DecodeError.of(r));
            }
        }
    }

    @Provide
    Arbitrary<byte[]> mutatedQueries() {
        Arbitrary<byte[]> seeds = Arbitraries.of(
                Messages.query(7, "web.marathon.l4lb.thisdcos.directory", 1, true, 1232),
                Messages.query(8, "a.b", 33, false, 0),
                Messages.concat(Messages.query(9, "web.marathon.l4lb.thisdcos.directory", 1, false, 0),
                        Messages.bytes(0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 11, 0, 0, 1)));
        return seeds.flatMap(seed -> Arbitraries.integers().between(0, seed.length - 1).list().ofMaxSize(6)
                .flatMap(positions -> Arbitraries.bytes().list().ofSize(positions.size()).flatMap(values ->
                        Arbitraries.integers().between(0, seed.length).map(cut -> {
                            byte[] copy = java.util.Arrays.copyOf(seed, seed.length);
                            for (int i = 0; i < positions.size(); i++) {
                                copy[positions.get(i)] = values.get(i);
                            }
                            return java.util.Arrays.copyOf(copy, Math.max(cut, 0));
                        }))));
    }
}
