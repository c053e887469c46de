package io.navstar.gossip.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.kv.crdt.CrdtType;
import io.navstar.gossip.kv.crdt.Op;
import io.navstar.gossip.kv.crdt.OrMap;
import io.navstar.gossip.kv.wire.CorruptDataException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;
import org.junit.jupiter.api.Test;

@StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
class KvFramesTest {

    /** Version, type and CRC32C: the header of every KvFrames frame. */
    private static final int FRAME_HEADER = 6;

    private static byte[] sampleFrame(long seed) {
        final Random random = new Random(seed);
        try (KvStore store = KvStore.open(KvConfig.inMemory("a"))) {
            for (int i = 0; i < 1 + random.nextInt(5); i++) {
                store.requestOp(KvKey.of("k", Integer.toString(random.nextInt(3))), List.of(
                        Op.update("s", CrdtType.ORSWOT, new Op.Add("e" + random.nextInt(4))),
                        Op.update("n", CrdtType.PNCOUNTER, new Op.Increment(random.nextInt(9) - 4))));
            }
            return switch (random.nextInt(3)) {
                case 0 -> KvFrames.delta("a", 1 + random.nextInt(9), KvKey.of("k", "0"), store.value(KvKey.of("k", "0")));
                case 1 -> {
                    final KvStore.Changes c = store.changesSince(0, 100);
                    yield random.nextBoolean()
                            ? KvFrames.summary(random.nextInt(100), c.upToSeq(), random.nextLong(), c.more(), c.entries())
                            : KvFrames.values(random.nextInt(100), c.entries());
                }
                default -> KvFrames.ack(random.nextInt(100), random.nextLong(), List.of(KvKey.of("k", "1"), KvKey.of("x")));
            };
        }
    }

    @Test
    void framesRoundTrip() {
        final OrMap delta = OrMap.empty().apply(Op.update("x", CrdtType.GCOUNTER, new Op.Increment(3)),
                new io.navstar.gossip.kv.crdt.MutationContext("a", 1)).delta();
        final KvFrames.Frame f = KvFrames.decode(KvFrames.delta("a", 7, KvKey.of("p", "q"), delta));
        assertEquals(new KvFrames.Delta("a", 7, KvKey.of("p", "q"), delta), f);
        assertEquals(new KvFrames.Ack(3, -5, List.of(KvKey.of("a", "b"))), KvFrames.decode(KvFrames.ack(3, -5, List.of(KvKey.of("a", "b")))));
        assertEquals(new KvFrames.FullRequest(), KvFrames.decode(KvFrames.fullRequest()));
        assertEquals(new KvFrames.ValuesAck(12), KvFrames.decode(KvFrames.valuesAck(12)));
        try (KvStore store = KvStore.open(KvConfig.inMemory("a"))) {
            store.requestOp(KvKey.of("k"), List.of(Op.update("n", CrdtType.GCOUNTER, new Op.Increment(2))));
            final KvStore.Changes c = store.changesSince(0, 10);
            final KvFrames.Summary s = (KvFrames.Summary) KvFrames.decode(KvFrames.summary(1, c.upToSeq(), 77, false, c.entries()));
            assertEquals(List.of(new KvFrames.KeyClock(KvKey.of("k"), store.valueWithClock(KvKey.of("k")).clock())), s.entries());
            final KvFrames.Values v = (KvFrames.Values) KvFrames.decode(KvFrames.values(1, c.entries()));
            assertEquals(store.value(KvKey.of("k")), v.entries().get(0).value());
        }
    }

    @Property(tries = 300)
    void randomBytesNeverDecode(@ForAll @Size(max = 300) byte[] bytes) {
        // Past the version byte, random bytes carry a matching CRC32C with probability 2^-32.
        if (bytes.length > 0) {
            bytes[0] = (byte) KvFrames.VERSION;
        }
        assertThrows(CorruptDataException.class, () -> KvFrames.decode(bytes));
    }

    /** Short bodies of every type that would decode, but under a checksum that is off by {@code error}. */
    @Property(tries = 300)
    void framesWithAWrongChecksumNeverDecode(@ForAll @IntRange(min = 1, max = 6) int type,
                                             @ForAll @Size(max = 12) byte[] body, @ForAll int error) {
        Assume.that(error != 0);
        final byte[] frame = sealed(type, body);
        final int sum = ByteBuffer.wrap(frame, 2, 4).getInt() ^ error;
        ByteBuffer.wrap(frame, 2, 4).putInt(sum);
        assertThrows(CorruptDataException.class, () -> KvFrames.decode(frame));
    }

    /**
     * The checksum turns away every random or mutated frame before the body is read, so the properties above
     * never reach the body decoder. Here bodies sit behind a correct checksum: random bodies of every frame type
     * (and an unknown one), and valid frames whose bodies were overwritten or cut, then sealed again. Decoding
     * yields a frame or a {@link CorruptDataException} naming the fault, never another exception.
     */
    @Property(tries = 1000)
    void bodiesBehindAValidChecksumDecodeOrFailWithACorruptDataError(@ForAll("sealedBodies") byte[] frame) {
        String outcome;
        try {
            outcome = KvFrames.decode(frame).getClass().getSimpleName();
        } catch (CorruptDataException expected) {
            assertTrue(expected.getMessage() != null && !expected.getMessage().isBlank());
            outcome = "corrupt";
        }
        Statistics.label("outcome").collect(outcome);
        Statistics.label("outcome").coverage(coverage -> {
            coverage.check("corrupt").percentage(p -> p >= 10);
            for (String type : new String[] {"Delta", "Summary", "Ack", "Values", "ValuesAck"}) {
                coverage.check(type).count(n -> n > 0);
            }
        });
    }

    @Provide
    Arbitrary<byte[]> sealedBodies() {
        Arbitrary<byte[]> randomBodies = Combinators.combine(Arbitraries.integers().between(1, 7),
                        Arbitraries.bytes().array(byte[].class).ofMaxSize(48))
                .as((type, body) -> sealed(type, body));
        Arbitrary<byte[]> mutatedBodies = Arbitraries.longs().map(seed -> {
            final Random random = new Random(seed);
            final byte[] valid = sampleFrame(seed);
            byte[] body = Arrays.copyOfRange(valid, FRAME_HEADER, valid.length);
            for (int i = random.nextInt(4); i > 0 && body.length > 0; i--) {
                body[random.nextInt(body.length)] = (byte) random.nextInt(256);
            }
            if (random.nextInt(4) == 0) {
                body = Arrays.copyOf(body, random.nextInt(body.length + 1));
            }
            return sealed(valid[1], body);
        });
        return Arbitraries.oneOf(randomBodies, mutatedBodies);
    }

    /** A frame of this type and body with its checksum: CRC32C of version, type and body (KvFrames' layout). */
    private static byte[] sealed(int type, byte[] body) {
        final byte[] frame = new byte[FRAME_HEADER + body.length];
        frame[0] = (byte) KvFrames.VERSION;
        frame[1] = (byte) type;
        System.arraycopy(body, 0, frame, FRAME_HEADER, body.length);
        final CRC32C crc = new CRC32C();
        crc.update(frame, 0, 2);
        crc.update(frame, FRAME_HEADER, body.length);
        final int sum = (int) crc.getValue();
        for (int i = 0; i < 4; i++) {
            frame[2 + i] = (byte) (sum >>> (24 - 8 * i));
        }
        return frame;
    }

    @Property(tries = 300)
    void mutatedFramesAreRejected(@ForAll long seed) {
        final byte[] valid = sampleFrame(seed);
        final Random random = new Random(seed ^ 0x5DEECE66DL);
        final byte[] mutated;
        if (random.nextBoolean()) {
            mutated = valid.clone();
            mutated[random.nextInt(mutated.length)] ^= (byte) (1 << random.nextInt(8));
        } else {
            mutated = Arrays.copyOf(valid, random.nextInt(valid.length));
        }
        assertThrows(CorruptDataException.class, () -> KvFrames.decode(mutated),
                "a bit flip or truncation is always detected (checksum, version, type or length)");
    }
}
