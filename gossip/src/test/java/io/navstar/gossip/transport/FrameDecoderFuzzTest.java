package io.navstar.gossip.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.NodeId;
import io.navstar.gossip.membership.MemberEntry;
import io.navstar.gossip.metrics.GossipMetrics;
import io.navstar.gossip.wire.Message;
import io.navstar.gossip.wire.MessageCodec;
import io.navstar.gossip.wire.MessageType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * Random and mutated frames: the decoder either decodes them or names the fault, drops the rest
 * and closes the connection. No exception escapes, every input buffer is released, nothing is
 * buffered beyond one frame's bound, and what decodes re-encodes to the bytes it came from.
 */
class FrameDecoderFuzzTest {

    private static final int MAX_FRAME = 64 * 1024;
    /** Length (4 bytes), version and type: the least a frame takes. */
    private static final int FRAME_HEADER = 6;

    private static final Message[] SAMPLES = {
        new Message.Join(),
        new Message.ForwardJoin(new NodeId(0x7F000001, 7000), 5),
        new Message.Shuffle(new NodeId(1, 2), 3, new NodeId[] {new NodeId(3, 4), new NodeId(5, 6)}),
        new Message.Ping(7, 8, Message.ProbePurpose.HEALTH),
        new Message.MembershipUpdate(new MemberEntry[] {
            new MemberEntry(new NodeId(9, 10), 11, 12, new NodeId[] {new NodeId(13, 14)})}),
        new Message.Multicast(new NodeId(1, 1), 2, 3, 16, new NodeId[] {new NodeId(1, 1), new NodeId(2, 2)},
            new int[] {-1, 0}, new byte[] {1, 2, 3}),
        new Message.App(16, new byte[] {4, 5}),
        new Message.Hello(new NodeId(1, 1), new byte[32], new byte[32]),
    };

    private static final class Recorder extends ChannelInboundHandlerAdapter {
        final List<Message> messages = new ArrayList<>();
        final List<String> rejections = new ArrayList<>();
        /** Messages passed on after the connection's one rejection: must stay 0. */
        int messagesAfterRejection;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!rejections.isEmpty()) {
                messagesAfterRejection++;
            }
            messages.add((Message) msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof FrameDecoder.FrameRejected rejected) {
                rejections.add(rejected.reason());
            }
        }
    }

    private static byte[] frame(Message message) {
        ByteBuf buf = Unpooled.buffer();
        MessageCodec.encodeFrame(message, buf);
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        buf.release();
        return bytes;
    }

    /** Feeds {@code input} in chunks; checks the invariants and returns the recorder. */
    private static Recorder feed(byte[] input, int chunk) {
        GossipMetrics metrics = new GossipMetrics();
        Recorder recorder = new Recorder();
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(MAX_FRAME, metrics), recorder);
        List<ByteBuf> fed = new ArrayList<>();
        for (int from = 0; from < input.length; from += chunk) {
            ByteBuf buf = Unpooled.copiedBuffer(input, from, Math.min(chunk, input.length - from));
            fed.add(buf);
            if (!channel.isOpen()) {
                buf.release(); // a closed socket reads nothing more
                continue;
            }
            channel.writeInbound(buf);
            channel.checkException();
        }
        channel.finishAndReleaseAll();
        for (ByteBuf buf : fed) {
            assertEquals(0, buf.refCnt(), "every input buffer released");
        }
        assertEquals(recorder.rejections.size(), metrics.framesRejected());
        // The codec is canonical: what decoded re-encodes to exactly the bytes it was decoded from, so a field
        // misread (a lost bit, a wrong width, bytes skipped) shows here even when the frame is accepted.
        ByteBuf reencoded = Unpooled.buffer();
        for (Message message : recorder.messages) {
            MessageCodec.encodeFrame(message, reencoded);
        }
        byte[] decodedFrom = Arrays.copyOf(input, Math.min(input.length, reencoded.readableBytes()));
        assertEquals(ByteBufUtil.hexDump(decodedFrom), ByteBufUtil.hexDump(reencoded),
                "decoded messages re-encode to the bytes they came from");
        reencoded.release();
        if (!recorder.rejections.isEmpty()) {
            assertFalse(channel.isOpen(), "a rejected frame closes the connection");
            assertEquals(1, recorder.rejections.size(), "one rejection, then the rest is dropped");
            assertFalse(recorder.rejections.get(0).isBlank());
            assertEquals(0, recorder.messagesAfterRejection, "nothing is decoded after a rejection");
        }
        return recorder;
    }

    @Provide
    Arbitrary<byte[]> mutatedFrames() {
        return Arbitraries.integers().between(0, SAMPLES.length - 1).flatMap(index -> {
            byte[] original = frame(SAMPLES[index]);
            // Uniform, without edge cases: jqwik's defaults favour small positions, so the 6-byte header.
            return Arbitraries.integers().between(0, original.length - 1)
                    .withDistribution(RandomDistribution.uniform()).withoutEdgeCases().list().ofMinSize(1).ofMaxSize(4)
                    .flatMap(positions -> Arbitraries.bytes().list().ofSize(positions.size()).map(values -> {
                        byte[] copy = original.clone();
                        for (int i = 0; i < positions.size(); i++) {
                            copy[positions.get(i)] = values.get(i);
                        }
                        return copy;
                    }));
        });
    }

    /**
     * A mutated frame decodes, is rejected, or waits for bytes that never come. A mutated length can
     * also split it into shorter frames: each decodes until the first that is rejected, and nothing
     * after that one (checked in {@link #feed}). Every decoded frame takes at least its header.
     */
    @Property(tries = 3000)
    void mutatedFramesDecodeOrAreRejectedWithAReason(@ForAll("mutatedFrames") byte[] input,
                                                     @ForAll("chunks") int chunk) {
        Recorder recorder = feed(input, chunk);
        assertTrue(recorder.messages.size() <= input.length / FRAME_HEADER, recorder.messages.size() + " messages");
    }

    @Test
    void shouldPassOnFrameDecodedBeforeTheRejectedOneFirst() {
        byte[] bytes = new byte[75];
        byte[] head = {0, 0, 0, 2, 1, 1, 0, 0, 0, 1}; // a Join of length 2, then a frame of length 1
        System.arraycopy(head, 0, bytes, 0, head.length);
        Recorder recorder = feed(bytes, bytes.length); // both frames in one read
        assertEquals(1, recorder.messages.size());
        assertEquals(MessageType.JOIN, recorder.messages.get(0).type());
        assertEquals(1, recorder.rejections.size());
        assertTrue(recorder.rejections.get(0).contains("frame length 1"), recorder.rejections.get(0));
        assertEquals(0, recorder.messagesAfterRejection);
    }

    @Property(tries = 3000)
    void randomBytesNeverEscapeTheDecoder(@ForAll @Size(max = 300) byte[] input, @ForAll("chunks") int chunk) {
        feed(input, chunk);
    }

    @Provide
    Arbitrary<Integer> chunks() {
        return Arbitraries.integers().between(1, 64);
    }

    @Test
    void everySampleRoundTripsThroughTheDecoder() {
        for (Message sample : SAMPLES) {
            Recorder recorder = feed(frame(sample), 3);
            assertEquals(1, recorder.messages.size(), sample.type() + " decoded");
            assertEquals(sample.type(), recorder.messages.get(0).type());
            assertEquals(frame(sample).length, frame(recorder.messages.get(0)).length);
        }
    }

    @Test
    void encodedLengthMatchesTheEncodedFrame() {
        for (Message sample : SAMPLES) {
            assertEquals(frame(sample).length, MessageCodec.encodedLength(sample), sample.type().toString());
        }
    }

    @Test
    void shouldRejectHugeLengthBeforeBufferingAnything() {
        byte[] header = {0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1, 1};
        Recorder recorder = feed(header, 6);
        assertEquals(1, recorder.rejections.size());
        assertTrue(recorder.rejections.get(0).contains("frame length"), recorder.rejections.get(0));
    }

    @Test
    void shouldRejectUnknownVersionAndType() {
        byte[] wrongVersion = frame(new Message.Join());
        wrongVersion[4] = 9;
        assertTrue(feed(wrongVersion, 64).rejections.get(0).contains("version"));
        byte[] wrongType = frame(new Message.Join());
        wrongType[5] = (byte) 200;
        assertTrue(feed(wrongType, 64).rejections.get(0).contains("unknown message type"));
    }

    @Test
    void shouldRejectMulticastTreeWithLoop() {
        byte[] bytes = frame(new Message.Multicast(new NodeId(1, 1), 2, 3, 16,
                new NodeId[] {new NodeId(1, 1), new NodeId(2, 2)}, new int[] {-1, 1}, new byte[0]));
        Recorder recorder = feed(bytes, 64);
        assertNotNull(recorder.rejections.isEmpty() ? null : recorder.rejections.get(0));
        assertTrue(recorder.rejections.get(0).contains("not an earlier node"), recorder.rejections.get(0));
    }

    @Test
    void heapDoesNotGrowOverManyRejectedFrames() {
        byte[] garbage = new byte[200];
        new java.util.Random(1).nextBytes(garbage);
        for (int i = 0; i < 2_000; i++) {
            feed(garbage, 50);
        }
        System.gc();
        long before = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        for (int i = 0; i < 20_000; i++) {
            garbage[i % garbage.length] ^= (byte) i;
            feed(garbage, 50);
        }
        System.gc();
        long after = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        assertTrue(after - before < 16L << 20, "heap grew by " + (after - before) + " bytes");
    }
}
