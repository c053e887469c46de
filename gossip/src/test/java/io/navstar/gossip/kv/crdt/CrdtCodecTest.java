package io.navstar.gossip.kv.crdt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.kv.wire.CorruptDataException;
import io.navstar.gossip.kv.wire.WireWriter;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class CrdtCodecTest {

    @Property(tries = 200)
    void decodingAnEncodingGivesTheSameValue(
            @ForAll CrdtType type, @ForAll long seed, @ForAll @IntRange(min = 0, max = 40) int steps) {
        final CrdtHistory h = CrdtHistory.run(type, seed, steps);
        final Crdt<?> value = h.pick();
        final byte[] bytes = CrdtCodec.encode(value);
        assertEquals(value, CrdtCodec.decode(bytes));
    }

    @Property(tries = 300)
    void randomBytesAreRejectedWithACorruptDataError(@ForAll @Size(max = 200) byte[] bytes) {
        decodeStrictly(bytes);
    }

    /**
     * Random bodies behind the version and a type code: random bytes alone pass the version byte once in 256,
     * so the body decoders would hardly be fuzzed.
     */
    @Property(tries = 1000)
    void randomBodiesOfEveryTypeFailCleanlyOrDecodeCanonically(@ForAll CrdtType type,
                                                                @ForAll @Size(max = 40) byte[] body) {
        final byte[] bytes = new byte[2 + body.length];
        bytes[0] = (byte) CrdtCodec.VERSION;
        bytes[1] = (byte) type.code();
        System.arraycopy(body, 0, bytes, 2, body.length);
        decodeStrictly(bytes);
    }

    @Property(tries = 500)
    void mutatedEncodingsEitherFailCleanlyOrDecodeCanonically(
            @ForAll CrdtType type, @ForAll long seed, @ForAll @IntRange(min = 1, max = 30) int steps) {
        final CrdtHistory h = CrdtHistory.run(type, seed, steps);
        final byte[] valid = CrdtCodec.encode(h.pick());
        final Random random = new Random(seed);
        final byte[] mutated = switch (random.nextInt(3)) {
            case 0 -> {
                final byte[] b = valid.clone();
                for (int i = 0; i <= random.nextInt(3); i++) {
                    b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
                }
                yield b;
            }
            case 1 -> Arrays.copyOf(valid, random.nextInt(valid.length));
            default -> {
                final byte[] b = Arrays.copyOf(valid, valid.length + 1 + random.nextInt(4));
                b[b.length - 1] = (byte) random.nextInt(256);
                yield b;
            }
        };
        decodeStrictly(mutated);
    }

    /** Decoding fails with CorruptDataException, or succeeds with a value whose encoding is the input. */
    private static void decodeStrictly(byte[] bytes) {
        final Crdt<?> decoded;
        try {
            decoded = CrdtCodec.decode(bytes);
        } catch (CorruptDataException expected) {
            assertTrue(expected.getMessage() != null && !expected.getMessage().isBlank());
            return;
        }
        assertArrayEquals(bytes, CrdtCodec.encode(decoded), "a decoded value has exactly one encoding");
    }

    @Test
    void shouldRejectUnknownVersion() {
        final byte[] bytes = CrdtCodec.encode(GCounter.empty());
        bytes[0] = 9;
        final CorruptDataException e = assertThrows(CorruptDataException.class, () -> CrdtCodec.decode(bytes));
        assertTrue(e.getMessage().contains("version 9"), e.getMessage());
    }

    @Test
    void shouldRejectHugeCountWithoutAllocating() {
        final WireWriter out = new WireWriter().u8(CrdtCodec.VERSION).u8(CrdtType.GCOUNTER.code()).varuint(1L << 40);
        final CorruptDataException e = assertThrows(CorruptDataException.class, () -> CrdtCodec.decode(out.toByteArray()));
        assertTrue(e.getMessage().contains("exceeds the limit"), e.getMessage());
    }

    @Test
    void shouldRejectMapsNestedTooDeep() {
        final WireWriter out = new WireWriter().u8(CrdtCodec.VERSION).u8(CrdtType.ORMAP.code());
        for (int i = 0; i <= CrdtCodec.MAX_DEPTH + 1; i++) {
            // empty context (vector 0, cloud 0), one field "m" of type ORMAP with no presence dots
            out.varuint(0).varuint(0).varuint(1).string("m").u8(CrdtType.ORMAP.code()).varuint(0);
        }
        final CorruptDataException e = assertThrows(CorruptDataException.class, () -> CrdtCodec.decode(out.toByteArray()));
        assertTrue(e.getMessage().contains("nested deeper"), e.getMessage());
    }

    @Test
    void shouldRejectDotOutsideItsContext() {
        final WireWriter out = new WireWriter().u8(CrdtCodec.VERSION).u8(CrdtType.ENABLE_WINS_FLAG.code());
        out.varuint(0).varuint(0); // empty context
        out.varuint(1).string("a").varuint(3); // a dot the context has not seen
        final CorruptDataException e = assertThrows(CorruptDataException.class, () -> CrdtCodec.decode(out.toByteArray()));
        assertTrue(e.getMessage().contains("not in the causal context"), e.getMessage());
    }

    @Test
    void versionVectorsRoundTrip() {
        final VersionVector v = VersionVector.empty().increment("a").increment("a").increment("zz");
        assertEquals(v, CrdtCodec.decodeVector(CrdtCodec.encodeVector(v)));
    }
}
