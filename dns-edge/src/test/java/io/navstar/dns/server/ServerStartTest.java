package io.navstar.dns.server;

import io.navstar.dns.testing.Messages;
import io.navstar.dns.testing.Processes;
import io.navstar.dns.wire.DnsWire;
import io.navstar.dns.zone.LocalZones;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Start-up as a start-up script sees it: a client polls the address from before the server binds until
 * it is answered, then many clients ask at once while the server may still be binding its other
 * sockets. Every query must be answered with its own id, the first ones included.
 */
class ServerStartTest {
    private static final String VIP = LocalZoneServerTest.VIP;
    private static final int STARTS = 5;
    private static final int CLIENTS = 48;
    private static final int QUERIES_PER_CLIENT = 3;
    /** Far above a loopback answer (well under a millisecond), far below what the test may take. */
    private static final int ANSWER_TIMEOUT_MILLIS = 1000;

    @Test
    void answersEveryQueryAfterAPolledStartWithOneEventLoop() throws Exception {
        assertEquals(List.of(), unansweredOverStarts(1));
    }

    @Test
    void answersEveryQueryAfterAPolledStartWithSeveralEventLoops() throws Exception {
        assertEquals(List.of(), unansweredOverStarts(4));
    }

    /** Starts and stops a server {@link #STARTS} times; returns the queries that got no answer. */
    private static List<String> unansweredOverStarts(int eventLoops) throws Exception {
        List<String> unanswered = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(2); // poller and starter run side by side
        try {
            for (int start = 0; start < STARTS; start++) {
                unanswered.addAll(startOnce(eventLoops, start, threads));
            }
        } finally {
            threads.shutdownNow();
        }
        return unanswered;
    }

    private static List<String> startOnce(int eventLoops, int start, ExecutorService threads) throws Exception {
        InetSocketAddress address = freeAddress();
        DnsConfig config = DnsConfig.loopback(address.getHostString(), address.getPort(), List.of()).toBuilder()
                .eventLoops(eventLoops).build();
        Future<?> polled = threads.submit(() -> pollUntilAnswered(address));
        Thread.sleep(5); // the poller's first queries meet a port nobody has bound yet
        Future<DnsServer> started = threads.submit(
                () -> new DnsServer(config, new LocalZones(LocalZoneServerTest.records(0))).start());
        DnsServer server = null;
        try {
            polled.get(10, TimeUnit.SECONDS);
            List<String> unanswered = askFromManyPorts(address, "start " + start + ": ");
            server = started.get(10, TimeUnit.SECONDS);
            // The poller's answer can come before start() returns, from the sockets bound so far (under load, one
            // of four): asked again after start() returned (READY), every socket must take its share.
            unanswered.addAll(askFromManyPorts(address, "start " + start + ", after start(): "));
            for (UdpQuerySocket socket : server.udpSockets()) {
                // flows spread over the sockets by hash: 48 client ports leave one of 4 unasked about once in 10^5
                if (socket.loop().submit(socket::sendCalls).get() == 0) {
                    unanswered.add("start " + start + ": a socket that answered nothing");
                }
            }
            return unanswered;
        } finally {
            (server != null ? server : started.get(10, TimeUnit.SECONDS)).close();
        }
    }

    /** Like a start-up script: a fresh connected socket per poll until one query is answered. */
    private static void pollUntilAnswered(InetSocketAddress server) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (int id = 1; System.nanoTime() < deadline; id++) {
            try (DatagramSocket poll = connectedClient(server)) {
                if (ask(poll, id) == id) {
                    return;
                }
            } catch (PortUnreachableException e) {
                Thread.onSpinWait(); // not bound yet (ICMP port unreachable): poll again
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("never answered: " + server);
    }

    /** Several queries from each of many client ports, one at a time per port; the unanswered ones. */
    private static List<String> askFromManyPorts(InetSocketAddress server, String label) throws IOException {
        List<DatagramSocket> clients = new ArrayList<>();
        List<String> unanswered = new ArrayList<>();
        try {
            for (int c = 0; c < CLIENTS; c++) {
                clients.add(connectedClient(server));
            }
            for (int q = 0; q < QUERIES_PER_CLIENT; q++) {
                for (int c = 0; c < CLIENTS; c++) {
                    int id = 1000 + c * 10 + q;
                    DatagramSocket client = clients.get(c);
                    int answeredId = ask(client, id);
                    if (answeredId != id) {
                        unanswered.add(label + "query " + (q * CLIENTS + c) + " (port " + client.getLocalPort()
                                + ", id " + id + ")" + (answeredId < 0 ? "" : " answered with id " + answeredId));
                    }
                }
            }
        } finally {
            clients.forEach(DatagramSocket::close);
        }
        return unanswered;
    }

    private static DatagramSocket connectedClient(InetSocketAddress server) throws IOException {
        DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        socket.connect(server);
        socket.setSoTimeout(ANSWER_TIMEOUT_MILLIS);
        return socket;
    }

    /** Sends query {@code id} and returns the id of the first answer, or -1 when none came. */
    private static int ask(DatagramSocket socket, int id) throws IOException {
        byte[] query = Messages.query(id, VIP, DnsWire.TYPE_A, false, 0);
        socket.send(new DatagramPacket(query, query.length));
        byte[] buf = new byte[512];
        DatagramPacket answer = new DatagramPacket(buf, buf.length);
        try {
            socket.receive(answer);
        } catch (SocketTimeoutException e) {
            return -1;
        }
        return ((buf[0] & 0xFF) << 8) | (buf[1] & 0xFF);
    }

    /** A unique loopback address and a port free on it (bound and released). */
    private static InetSocketAddress freeAddress() throws IOException {
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(Processes.loopbackAddress(), 0))) {
            return (InetSocketAddress) probe.getLocalSocketAddress();
        }
    }
}
