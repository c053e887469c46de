package io.navstar.gossip.transport;

import io.navstar.gossip.metrics.GossipMetrics;
import io.navstar.gossip.wire.FrameException;
import io.navstar.gossip.wire.Message;
import io.navstar.gossip.wire.MessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splits the byte stream into frames ({@code u32 length | u8 version | u8 type | body}) and decodes
 * each with {@link MessageCodec}. The length is checked against {@link #maxFrameBytes} before any
 * body is buffered, so a hostile length cannot make us allocate; any bad frame is dropped with the
 * rest of the stream, counted, reported as a {@link FrameRejected} user event and the connection
 * closed; frames decoded before the bad one are passed on first. No exception leaves this handler.
 * Rejections are counted in metrics and logged at debug level only, so a hostile peer cannot flood
 * the log.
 *
 * <p>One instance per channel, on that channel's event loop.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    private static final Logger LOG = LoggerFactory.getLogger(FrameDecoder.class);

    /** Fired down the pipeline when a frame was rejected, just before the channel is closed. */
    public record FrameRejected(String reason) {
    }

    private final int maxFrameBytes;
    private final GossipMetrics metrics;
    private boolean failed;

    public FrameDecoder(int maxFrameBytes, GossipMetrics metrics) {
        this.maxFrameBytes = maxFrameBytes;
        this.metrics = metrics;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        try {
            while (in.readableBytes() >= MessageCodec.LENGTH_BYTES) {
                int length = in.getInt(in.readerIndex());
                if (length < MessageCodec.HEADER_BYTES || length > maxFrameBytes - MessageCodec.LENGTH_BYTES) {
                    throw new FrameException("frame length " + length + " out of bounds [" + MessageCodec.HEADER_BYTES
                            + ", " + (maxFrameBytes - MessageCodec.LENGTH_BYTES) + "]");
                }
                if (in.readableBytes() < MessageCodec.LENGTH_BYTES + length) {
                    return;
                }
                int version = in.getUnsignedByte(in.readerIndex() + MessageCodec.LENGTH_BYTES);
                if (version != MessageCodec.VERSION) {
                    throw new FrameException("frame version " + version + ", this node speaks " + MessageCodec.VERSION);
                }
                int type = in.getUnsignedByte(in.readerIndex() + MessageCodec.LENGTH_BYTES + 1);
                ByteBuf body = in.slice(in.readerIndex() + MessageCodec.LENGTH_BYTES + MessageCodec.HEADER_BYTES,
                        length - MessageCodec.HEADER_BYTES);
                Message message = MessageCodec.decodeBody(type, body);
                in.skipBytes(MessageCodec.LENGTH_BYTES + length);
                metrics.messageIn(message.type(), MessageCodec.LENGTH_BYTES + length);
                out.add(message);
            }
        } catch (FrameException e) {
            reject(ctx, in, out, e.getMessage());
        } catch (RuntimeException e) {
            reject(ctx, in, out, "decoder failure: " + e);
        }
    }

    /**
     * Passes on the frames decoded before the bad one first, so handlers see the stream in order and
     * nothing after the rejection; then drops the rest and closes.
     */
    private void reject(ChannelHandlerContext ctx, ByteBuf in, List<Object> out, String reason) {
        for (Object decoded : out) {
            ctx.fireChannelRead(decoded);
        }
        out.clear();
        failed = true;
        in.skipBytes(in.readableBytes());
        metrics.frameRejected();
        LOG.debug("closing {}: {}", ctx.channel().remoteAddress(), reason);
        ctx.fireUserEventTriggered(new FrameRejected(reason));
        ctx.close();
    }
}
