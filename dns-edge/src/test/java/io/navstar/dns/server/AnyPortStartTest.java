package io.navstar.dns.server;

import io.navstar.dns.zone.LocalZones;
import io.navstar.sys.NetworkNamespace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A server asked for any port (0) serves UDP and TCP on one port: UDP picks it, and when TCP finds that port taken
 * the server picks again instead of failing its start. Shown in a namespace of its own whose ephemeral range is two
 * ports (40000-40001) and whose TCP port 40000 is held by another listener, so about every other pick collides.
 * The namespace (nsd<pid>-anyport, loopback only) is removed afterwards. Needs root.
 */
class AnyPortStartTest {
    private static final String NAMESPACE = "nsd" + ProcessHandle.current().pid() + "-anyport";

    @BeforeAll
    static void namespace() throws IOException, InterruptedException {
        run("ip", "netns", "add", NAMESPACE);
        run("ip", "-n", NAMESPACE, "link", "set", "lo", "up");
        run("ip", "netns", "exec", NAMESPACE, "sysctl", "-qw", "net.ipv4.ip_local_port_range=40000 40001");
    }

    @AfterAll
    static void removeNamespace() throws IOException, InterruptedException {
        run("ip", "netns", "del", NAMESPACE);
    }

    @Test
    void aStartOnAnyPortTakesAPortFreeForBothProtocols() {
        List<Integer> ports = NetworkNamespace.named(NAMESPACE).run(() -> {
            List<Integer> chosen = new ArrayList<>();
            // created on this thread, so in the namespace; so are the server's loop threads, started from it
            try (ServerSocket taken = new ServerSocket(40000, 1, InetAddress.getLoopbackAddress())) {
                for (int i = 0; i < 12; i++) {
                    try (DnsServer server = new DnsServer(DnsConfig.loopback("127.0.0.1", 0, List.of()),
                            new LocalZones(LocalZoneServerTest.records(0))).start()) {
                        chosen.add(server.udpSockets().getFirst().port());
                    }
                }
            }
            return chosen;
        });
        assertEquals(List.of(40001, 40001, 40001, 40001, 40001, 40001, 40001, 40001, 40001, 40001, 40001, 40001),
                ports);
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + ": " + output);
        }
    }
}
