package io.navstar.dns.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;

/**
 * Reads queries from one SO_REUSEPORT UDP socket and answers them through its loop's
 * {@link QueryEngine}. Answers are written as they are produced and flushed once per read batch, so
 * netty can hand several to the kernel in one sendmmsg. Confined to the socket's event loop.
 */
final class UdpQueryHandler extends ChannelInboundHandlerAdapter {
    private final QueryEngine engine;

    UdpQueryHandler(QueryEngine engine) {
        this.engine = engine;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        DatagramPacket packet = (DatagramPacket) msg;
        try {
            engine.onUdp(ctx.channel(), packet.content(), packet.sender());
        } finally {
            packet.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A UDP socket must outlive any one bad datagram: log and keep serving.
        DnsServer.LOG.warn("UDP query handling failed on {}", ctx.channel().localAddress(), cause);
    }
}
