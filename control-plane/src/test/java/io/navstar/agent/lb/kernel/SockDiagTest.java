package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.support.LbTestSupport;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SockDiagTest {

    @Test
    void destroysOnlyTheUdpSocketsConnectedToTheGivenPeer() throws Exception {
        LbTestSupport.assumeRoot();
        try (DatagramChannel doomed = DatagramChannel.open();
             DatagramChannel spared = DatagramChannel.open()) {
            doomed.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), 5999));
            spared.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), 5998));
            doomed.configureBlocking(false);
            spared.configureBlocking(false);
            int fds = LbTestSupport.openFds();
            assertEquals(1, SockDiag.destroyUdpConnectedTo(Endpoint.parse("127.0.0.1:5999")));
            assertEquals(fds, LbTestSupport.openFds(), "no descriptor leaked");
            assertThrows(IOException.class, () -> doomed.read(ByteBuffer.allocate(16)));
            assertEquals(0, spared.read(ByteBuffer.allocate(16)));
        }
    }
}
