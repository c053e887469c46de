package io.navstar.dns.testing;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Arrays;

/** A minimal stub resolver for tests: sends raw queries over UDP or TCP and parses the answers. */
public final class TestResolver {
    private final InetSocketAddress server;
    private final int timeoutMillis;

    public TestResolver(InetSocketAddress server, int timeoutMillis) {
        this.server = server;
        this.timeoutMillis = timeoutMillis;
    }

    public Response udp(String name, int type) throws IOException {
        return Response.parse(udpRaw(Messages.query(4242, name, type, false, 0)));
    }

    public Response udpEdns(String name, int type, int payload) throws IOException {
        return Response.parse(udpRaw(Messages.query(4243, name, type, true, payload)));
    }

    /**
     * Sends {@code message} from the loopback address of the server's family; returns the raw answer,
     * or null when none came within the timeout.
     */
    public byte[] udpRaw(byte[] message) throws IOException {
        String loopback = server.getAddress() instanceof java.net.Inet6Address ? "::1" : "127.0.0.1";
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
            socket.setSoTimeout(timeoutMillis);
            socket.send(new DatagramPacket(message, message.length, server));
            byte[] buf = new byte[65535];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
            } catch (SocketTimeoutException e) {
                return null;
            }
            return Arrays.copyOf(buf, p.getLength());
        }
    }

    public Response tcp(String name, int type) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(server, timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            byte[] q = Messages.query(4244, name, type, false, 0);
            OutputStream out = s.getOutputStream();
            out.write(new byte[]{(byte) (q.length >>> 8), (byte) q.length});
            out.write(q);
            out.flush();
            return Response.parse(readFrame(new DataInputStream(s.getInputStream())));
        }
    }

    public static byte[] readFrame(DataInputStream in) throws IOException {
        int length = in.readUnsignedShort();
        byte[] msg = new byte[length];
        in.readFully(msg);
        return msg;
    }
}
