package io.navstar.gossip.transport;

import io.navstar.gossip.metrics.GossipMetrics;
import io.navstar.gossip.wire.Message;
import io.navstar.gossip.wire.MessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each {@link Message} as one frame and counts it; a frame over the size bound is dropped
 * (counted and logged) rather than sent to be rejected by the peer.
 *
 * <p>One instance per channel, on that channel's event loop.
 */
public final class FrameEncoder extends MessageToByteEncoder<Message> {

    private static final Logger LOG = LoggerFactory.getLogger(FrameEncoder.class);

    private final int maxFrameBytes;
    private final GossipMetrics metrics;

    public FrameEncoder(int maxFrameBytes, GossipMetrics metrics) {
        super(Message.class);
        this.maxFrameBytes = maxFrameBytes;
        this.metrics = metrics;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Message message, ByteBuf out) {
        int start = out.writerIndex();
        MessageCodec.encodeFrame(message, out);
        int length = out.writerIndex() - start;
        if (length > maxFrameBytes) {
            out.writerIndex(start);
            metrics.frameDropped();
            LOG.warn("dropped a {} frame of {} bytes to {}: over the {} byte bound", message.type(), length,
                    ctx.channel().remoteAddress(), maxFrameBytes);
            return;
        }
        metrics.messageOut(message.type(), length);
    }
}
