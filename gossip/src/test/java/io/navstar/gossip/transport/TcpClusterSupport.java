package io.navstar.gossip.transport;

import io.navstar.gossip.NodeId;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/** Helpers for tests over real loopback TCP. */
public final class TcpClusterSupport {

    private TcpClusterSupport() {
    }

    /**
     * A port free on 127.0.0.1 .. 127.0.0.{count}, chosen at random to keep parallel runs apart, and below the kernel's
     * ephemeral range (32768-60999), so no connection's local end takes it between this check and the bind.
     */
    public static int freePort(int count) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(20_000, 32_000);
            if (freeOnAll(port, count)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port");
    }

    private static boolean freeOnAll(int port, int count) {
        for (int i = 1; i <= count; i++) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress("127.0.0." + i, port));
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    /** Node i (1-based) on 127.0.0.i. */
    public static NodeId loopbackNode(int i, int port) {
        return NodeId.of("127.0.0." + i, port);
    }

    /** Polls {@code condition} every 50 ms for up to {@code millis}. */
    public static boolean await(BooleanSupplier condition, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(50);
        }
        return condition.getAsBoolean();
    }
}
