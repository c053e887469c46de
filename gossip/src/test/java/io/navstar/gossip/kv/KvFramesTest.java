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
                    final KvStore.Changes c = store.changesSince(0, 1 << 20);
                    yield KvFrames.push(random.nextInt(100), c.upToSeq(), random.nextLong(), c.more(), c.entries());
                }
                default -> KvFrames.ack(random.nextInt(100), random.nextInt(100), random.nextLong());
            };
        }
    }

    @Test
    void framesRoundTrip() {
        final OrMap delta = OrMap.empty().apply(Op.update("x", CrdtType.GCOUNTER, new Op.Increment(3)),
                new io.navstar.gossip.kv.crdt.MutationContext("a", 1)).delta();
        final KvFrames.Frame f = KvFrames.decode(KvFrames.delta("a", 7, KvKey.of("p", "q"), delta));
        assertEquals(new KvFrames.Delta("a", 7, KvKey.of("p", "q"), delta), f);
        assertEquals(new KvFrames.Ack(3, 9, -5), KvFrames.decode(KvFrames.ack(3, 9, -5)));
        assertEquals(new KvFrames.FullRequest(), KvFrames.decode(KvFrames.fullRequest()));
        final KvFrames.Push push = (KvFrames.Push) KvFrames.decode(sampleFrameOfType(1));
        assertTrue(!push.entries().isEmpty());
    }

    private static byte[] sampleFrameOfType(int type) {
        for (long seed = 0; ; seed++) {
            final byte[] f = sampleFrame(seed);
            if (f[1] == type + 1) {
                return f;
            }
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
