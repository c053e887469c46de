package io.navstar.dns.server;

import io.navstar.dns.testing.Messages;
import io.navstar.dns.wire.DnsWire;
import io.navstar.dns.zone.LocalZones;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Socket activation: a server handed sockets that a holder bound (as navstar.socket or navstar-launch do) serves
 * them, and answers the queries that queued in them while no server ran, late but not lost.
 */
class InheritedSocketsTest {
    private static final int QUERIES = 200;

    @Test
    void queriesQueuedBeforeTheServerStartedAreAllAnswered() throws Exception {
        InetSocketAddress address = new InetSocketAddress(InetAddress.ofLiteral("127.0.0." + (20 + (int) (ProcessHandle.current().pid() % 200))), 0);
        int[] fds = new int[2];
        InetSocketAddress bound;
        // the holder: two reuseport sockets, bound, nobody reading
        fds[0] = UdpSockets.openUdp(address, 1 << 20);
        UdpSockets.bindUdp(fds[0], address, true);
        bound = new InetSocketAddress(address.getAddress(), UdpSockets.boundPort(fds[0]));
        fds[1] = UdpSockets.openUdp(bound, 1 << 20);
        UdpSockets.bindUdp(fds[1], bound, false);
        List<DatagramSocket> clients = new ArrayList<>();
        try {
            for (int i = 0; i < QUERIES; i++) { // many source ports, so both sockets of the group get some
                DatagramSocket client = new DatagramSocket(new InetSocketAddress(address.getAddress(), 0));
                client.setSoTimeout(5000);
                byte[] query = Messages.query(i, LocalZoneServerTest.VIP, DnsWire.TYPE_A, false, 0);
                client.send(new DatagramPacket(query, query.length, bound));
                clients.add(client);
            }
            ListenSockets inherited = ListenSockets.of(fds);
            assertEquals(Map.of(bound, List.of(fds[0], fds[1])), inherited.udp());

            DnsConfig config = DnsConfig.loopback(bound.getHostString(), bound.getPort(), List.of()).toBuilder()
                    .eventLoops(2).build();
            try (DnsServer server = new DnsServer(config, new LocalZones(LocalZoneServerTest.records(0)))
                    .inherit(inherited).start()) {
                for (int i = 0; i < QUERIES; i++) {
                    DatagramPacket answer = new DatagramPacket(new byte[512], 512);
                    clients.get(i).receive(answer);
                    assertEquals(i, ((answer.getData()[0] & 0xFF) << 8) | (answer.getData()[1] & 0xFF), "answer id");
                }
                assertEquals(List.of(bound), server.boundAddresses());
                assertEquals(2, server.udpSockets().size(), "served the two inherited sockets, opened none");
            }
            for (int fd : fds) {
                assertFalse(Files.exists(Path.of("/proc/self/fd/" + fd)), "fd " + fd + " closed with the server");
            }
        } finally {
            clients.forEach(DatagramSocket::close);
        }
    }

    @Test
    void descriptorsThatAreNotInetSocketsAreLeftAlone() {
        ListenSockets none = ListenSockets.of(0); // stdin: not a socket
        assertTrue(none.isEmpty());
    }
}
