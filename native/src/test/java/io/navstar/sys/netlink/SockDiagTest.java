package io.navstar.sys.netlink;

import io.navstar.sys.TestNamespace;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** SOCK_DESTROY of connected UDP sockets, inside a namespace the test makes. */
class SockDiagTest {

    @Test
    void destroysOnlyTheUdpSocketsConnectedToTheGivenPeerInItsNamespace() throws Exception {
        try (TestNamespace ns = TestNamespace.create("diag")) {
            ns.ip("link", "set", "lo", "up");
            // sockets opened inside the namespace belong to it
            DatagramChannel doomed = ns.namespace.run(() -> connected(5999));
            DatagramChannel spared = ns.namespace.run(() -> connected(5998));
            DatagramChannel outside = connected(5999);
            try (doomed; spared; outside) {
                long fds = openDescriptors();
                int destroyed = ns.namespace.run(
                        () -> SockDiag.destroyUdpConnectedTo(InetAddress.getLoopbackAddress(), 5999));

                assertEquals(1, destroyed, "the dual-stack socket, found as ::ffff:127.0.0.1");
                assertEquals(fds, openDescriptors(), "no descriptor leaked");
                assertThrows(IOException.class, () -> doomed.read(ByteBuffer.allocate(16)), "ECONNABORTED");
                assertEquals(0, spared.read(ByteBuffer.allocate(16)), "another port is spared");
                assertEquals(0, outside.read(ByteBuffer.allocate(16)), "another namespace is spared");
            }
        }
    }

    private static DatagramChannel connected(int port) throws IOException {
        DatagramChannel channel = DatagramChannel.open();
        channel.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        channel.configureBlocking(false);
        return channel;
    }

    private static long openDescriptors() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
