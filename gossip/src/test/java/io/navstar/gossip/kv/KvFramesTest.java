package io.navstar.gossip.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.kv.crdt.CrdtType;
import io.navstar.gossip.kv.crdt.Op;
import io.navstar.gossip.kv.crdt.OrMap;
import io.navstar.gossip.kv.wire.CorruptDataException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class KvFramesTest {

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
        // Without the right CRC32C nothing random gets in; with it, the body is still checked.
        try {
            KvFrames.decode(bytes);
        } catch (CorruptDataException expected) {
            assertTrue(expected.getMessage() != null);
        }
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
