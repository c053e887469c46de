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
 * idle connection (including one stuck mid-frame) is closed by the idle timer. Confined to the
 * connection's event loop.
 */
final class TcpQueryHandler extends ByteToMessageDecoder {
    private final QueryEngine engine;
    private final int maxQuerySize;

    TcpQueryHandler(QueryEngine engine, int maxQuerySize) {
        this.engine = engine;
        this.maxQuerySize = maxQuerySize;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= 2) {
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
