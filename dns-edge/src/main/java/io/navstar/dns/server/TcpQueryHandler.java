package io.navstar.dns.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.timeout.IdleStateEvent;

import java.util.List;

/**
 * DNS over TCP (RFC 1035 §4.2.2, RFC 7766): 2-byte length-prefixed queries, several per connection
 * and pipelined; answers to local names go back in order, forwarded ones when they arrive (§7 allows
 * out-of-order). A length below a header or above {@code maxQuerySize} closes the connection; an
 * idle connection (including one stuck mid-frame) is closed by the idle timer; a client that stops
 * reading answers stops being read until its answers drain (netty's write-buffer water marks).
 * Confined to the connection's event loop.
 */
final class TcpQueryHandler extends ByteToMessageDecoder {
    private final QueryEngine engine;
    private final int maxQuerySize;
    private final io.navstar.dns.metrics.DnsMetrics metrics;

    TcpQueryHandler(QueryEngine engine, int maxQuerySize, io.navstar.dns.metrics.DnsMetrics metrics) {
        this.engine = engine;
        this.maxQuerySize = maxQuerySize;
        this.metrics = metrics;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= 2) {
            if (!ctx.channel().isWritable()) {
                // The client is not reading its answers: stop reading its queries until it does, so a
                // pipelining client cannot make us buffer answers without bound.
                if (ctx.channel().config().isAutoRead()) {
                    ctx.channel().config().setAutoRead(false);
                    metrics.countTcpPaused();
                }
                ctx.flush();
                return;
            }
            int length = in.getUnsignedShort(in.readerIndex());
            if (length < io.navstar.dns.wire.DnsWire.HEADER_SIZE || length > maxQuerySize) {
                in.skipBytes(in.readableBytes());
                ctx.close();
                return;
            }
            if (in.readableBytes() < 2 + length) {
                return;
            }
            engine.onTcp(ctx.channel(), in, in.readerIndex() + 2, length);
            in.skipBytes(2 + length);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        ctx.flush();
        super.channelReadComplete(ctx);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable() && !ctx.channel().config().isAutoRead()) {
            // Resume outside this callback (it may run inside a flush of our own decode loop): answer the
            // queries received while paused, then read again.
            ctx.channel().eventLoop().execute(() -> resume(ctx));
        }
        super.channelWritabilityChanged(ctx);
    }

    private void resume(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive() || !ctx.channel().isWritable()) {
            return;
        }
        ByteBuf pending = internalBuffer();
        if (pending.isReadable()) {
            decode(ctx, pending, null);
            ctx.flush();
        }
        if (ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        DnsServer.LOG.debug("closing TCP DNS connection from {}", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
