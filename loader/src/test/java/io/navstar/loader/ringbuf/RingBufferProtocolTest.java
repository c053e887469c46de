package io.navstar.loader.ringbuf;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The consumer protocol of Documentation/bpf/ringbuf.rst on synthetic memory laid out as the kernel lays it out:
 * 8-byte headers with BUSY and DISCARD bits, 8-byte aligned records, a data area mapped twice so a record that
 * crosses the end reads on contiguously.
 */
class RingBufferProtocolTest {
    private static final int SIZE = 256;           // data area; a power of two
    private static final int BUSY = 1 << 31;
    private static final int DISCARD = 1 << 30;

    /** A fake ring: consumer page, producer page, data mapped twice (writes go to both copies). */
    private static final class Ring {
        final MemorySegment consumer;
        final MemorySegment producer;
        final MemorySegment data;
        long producerPos;

        Ring(Arena arena, long start) {
            consumer = arena.allocate(8, 8);
            producer = arena.allocate(8, 8);
            data = arena.allocate(2L * SIZE, 8);
            consumer.set(JAVA_LONG, 0, start);
            producer.set(JAVA_LONG, 0, start);
            producerPos = start;
        }

        /** Writes a record of {@code length} bytes filled with {@code fill} and a header carrying {@code flags}. */
        void publish(int length, byte fill, int flags) {
            long at = producerPos & (SIZE - 1);
            writeInt(at, length | flags);
            for (int i = 0; i < length; i++) {
                writeByte(at + 8 + i, fill);
            }
            producerPos += (length + 8 + 7) & ~7L;
            producer.set(JAVA_LONG, 0, producerPos);
        }

        void writeInt(long at, int value) {
            data.set(JAVA_INT, at, value);
            data.set(JAVA_INT, (at + SIZE) % (2L * SIZE), value);
        }

        void writeByte(long at, byte value) {
            long first = at % SIZE;
            data.set(JAVA_BYTE, first, value);
            data.set(JAVA_BYTE, first + SIZE, value);
        }

        List<byte[]> consumeAll() {
            List<byte[]> records = new ArrayList<>();
            RingBuffer.consume(consumer, producer, data, SIZE - 1,
                    (segment, offset, length) -> records.add(segment.asSlice(offset, length).toArray(JAVA_BYTE)));
            return records;
        }
    }

    @Test
    void busyRecordStopsTheConsumerUntilCommitted() {
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = new Ring(arena, 0);
            ring.publish(5, (byte) 1, 0);
            ring.publish(7, (byte) 2, BUSY);
            ring.publish(3, (byte) 3, 0);
            assertEquals(1, ring.consumeAll().size(), "stops at the reserved record");
            assertEquals(16, ring.consumer.get(JAVA_LONG, 0), "5 bytes + 8-byte header, rounded to 16");
            ring.writeInt(16, 7);                        // commit: clear BUSY
            List<byte[]> rest = ring.consumeAll();
            assertEquals(2, rest.size());
            assertEquals(7, rest.get(0).length);
            assertEquals(2, rest.get(0)[0]);
            assertEquals(ring.producerPos, ring.consumer.get(JAVA_LONG, 0));
        }
    }

    @Test
    void discardedRecordIsSkippedButItsSpaceReturned() {
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = new Ring(arena, 0);
            ring.publish(9, (byte) 1, DISCARD);
            ring.publish(4, (byte) 2, 0);
            List<byte[]> records = ring.consumeAll();
            assertEquals(1, records.size());
            assertEquals(2, records.get(0)[0]);
            assertEquals(ring.producerPos, ring.consumer.get(JAVA_LONG, 0));
        }
    }

    @Property(tries = 200)
    void everyCommittedRecordArrivesWholeAndInOrderAcrossTheWrap(
            @ForAll @Size(min = 1, max = 30) List<@IntRange(min = 0, max = 40) Integer> lengths,
            @ForAll @IntRange(min = 0, max = 4096) int startSlot) {
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = new Ring(arena, startSlot * 8L);  // positions only grow; start anywhere, 8-aligned
            List<byte[]> received = new ArrayList<>();
            int expected = 0;
            for (int i = 0; i < lengths.size(); i++) {
                long used = ring.producerPos - ring.consumer.get(JAVA_LONG, 0);
                if (used + 8 + 48 > SIZE) {              // full: consume before publishing more, as a producer would wait
                    received.addAll(ring.consumeAll());
                }
                ring.publish(lengths.get(i), (byte) i, 0);
                expected++;
            }
            received.addAll(ring.consumeAll());
            assertEquals(expected, received.size());
            for (int i = 0; i < received.size(); i++) {
                assertEquals(lengths.get(i), received.get(i).length, "record " + i);
                for (byte b : received.get(i)) {
                    assertEquals((byte) i, b, "record " + i + " content");
                }
            }
        }
    }
}
