package io.navstar.loader;

import io.navstar.sys.NetworkNamespace;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attaches cgroup/connect4 to a child cgroup the test creates and shows a connect rewritten: a process moved
 * into that cgroup connects to the fake address 11.0.0.1:80 and reaches a server on 127.0.0.1. Both run inside
 * a namespace of the test's with no default route, so an unrewritten connect has nowhere to go.
 */
class CgroupConnectTest {
    private static final String FAKE_ADDRESS = "11.0.0.1";
    private static final int FAKE_PORT = 80;

    private String namespaceName;
    private Path cgroup;
    private Path pins;

    @BeforeEach
    void setUp() {
        Kernel.assumeRoot();
        namespaceName = Kernel.PREFIX + "c";
        Kernel.run("ip", "netns", "add", namespaceName);
        Kernel.run("ip", "-n", namespaceName, "link", "set", "lo", "up");
        cgroup = CgroupV2.mountPoint().resolve(Kernel.PREFIX + "-connect");
        pins = BpfFs.DEFAULT_MOUNT.resolve(Kernel.PREFIX + "-cgroup");
    }

    @AfterEach
    void tearDown() throws IOException {
        Kernel.runQuietly("ip", "netns", "del", namespaceName);
        if (cgroup != null) {
            Files.deleteIfExists(cgroup);
        }
        Kernel.deleteTree(pins);
    }

    /** A process in the cgroup and namespace connects to the fake address and writes a line; its exit code. */
    private int connectFromCgroup() {
        String script = "echo $$ > " + cgroup.resolve("cgroup.procs")
                + " && exec nsenter --net=/run/netns/" + namespaceName
                + " bash -c 'exec 3<>/dev/tcp/" + FAKE_ADDRESS + "/" + FAKE_PORT + " && echo hello-from-cgroup >&3'";
        try {
            Process process = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();   // it must leave the cgroup before tearDown removes it
                throw new AssertionError("the connecting process did not finish in 10 s");
            }
            return process.exitValue();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void connectToFakeAddressIsRewrittenToTheLoopbackServer() throws Exception {
        Files.createDirectory(cgroup);
        NetworkNamespace namespace = NetworkNamespace.named(namespaceName);
        try (ServerSocket server = namespace.run(() -> new ServerSocket(0, 8, java.net.InetAddress.getByName("127.0.0.1")));
             BpfObject object = Kernel.load("connect4_rewrite", pins);
             Arena arena = Arena.ofConfined()) {
            server.setSoTimeout(5000);
            MemorySegment key = endpoint(arena, FAKE_ADDRESS, FAKE_PORT);
            MemorySegment target = endpoint(arena, "127.0.0.1", server.getLocalPort());
            object.map("rewrites").put(key, target);

            assertNotEquals(0, connectFromCgroup(), "without the program, 11.0.0.1 is unreachable here");

            try (BpfLink link = object.program("connect4_rewrite").attachCgroup(cgroup, null)) {
                assertEquals("cgroup", link.info().typeName());
                assertEquals(0, connectFromCgroup(), "the rewritten connect reaches the server");
                try (Socket accepted = server.accept()) {
                    String line = new String(accepted.getInputStream().readNBytes(17));
                    assertEquals("hello-from-cgroup", line);
                    assertEquals("127.0.0.1", ((InetSocketAddress) accepted.getRemoteSocketAddress()).getHostString());
                }
            }
            MemorySegment bss = arena.allocate(object.map(".bss").valueSize());
            assertTrue(object.map(".bss").get(arena.allocate(4), bss));
            assertEquals(1, bss.get(JAVA_LONG, 0), "the program counted one rewrite in .bss");

            assertNotEquals(0, connectFromCgroup(), "closing the link detached the program");
        }
    }

    /** struct endpoint {__u32 addr; __u16 port; __u16 pad;}, address and port in network order. */
    private static MemorySegment endpoint(Arena arena, String address, int port) throws Exception {
        MemorySegment segment = arena.allocate(8);
        byte[] bytes = java.net.InetAddress.getByName(address).getAddress();
        MemorySegment.copy(bytes, 0, segment, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, 4);
        segment.set(JAVA_SHORT, 4, Short.reverseBytes((short) port));
        segment.set(JAVA_SHORT, 6, (short) 0);
        return segment;
    }
}
