package io.navstar.loader;

import io.navstar.loader.map.PerCpu;
import io.navstar.loader.map.TypedMap;
import io.navstar.loader.map.U32;
import io.navstar.loader.spec.AttachType;
import io.navstar.sys.NativeException;
import io.navstar.sys.bpf.BpfException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attaches XDP and tcx to a veth inside namespaces the test creates, and counts datagrams sent across the pair
 * from one namespace to the other (sockets made on threads that entered each namespace).
 */
class NamespaceLinkTest {
    private static final int DATAGRAMS = 20;
    private static final int PORT = 9999;

    private VethPair veth;
    private Path pins;

    @BeforeEach
    void setUp() {
        Kernel.assumeRoot();
        veth = new VethPair("x");
        pins = BpfFs.DEFAULT_MOUNT.resolve(Kernel.PREFIX + "-links");
    }

    @AfterEach
    void tearDown() {
        if (veth != null) {
            veth.close();
        }
        Kernel.deleteTree(pins);
    }

    /** Sends {@code count} datagrams from the left namespace to the right one; returns how many arrived. */
    private int sendAcross(int count) {
        try (DatagramSocket receiver = veth.right.run(() -> new DatagramSocket(new InetSocketAddress(VethPair.RIGHT_ADDRESS, PORT)));
             DatagramSocket sender = veth.left.run(DatagramSocket::new)) {
            receiver.setSoTimeout(2000);
            byte[] payload = "navstar".getBytes();
            InetAddress to = InetAddress.getByName(VethPair.RIGHT_ADDRESS);
            for (int i = 0; i < count; i++) {
                sender.send(new DatagramPacket(payload, payload.length, to, PORT));
            }
            int received = 0;
            byte[] buffer = new byte[64];
            try {
                while (received < count) {
                    receiver.receive(new DatagramPacket(buffer, buffer.length));
                    received++;
                }
            } catch (java.net.SocketTimeoutException e) {
                // fewer arrived; the caller's assertion says how many
            }
            return received;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void xdpInDriverModeCountsDatagramsArrivingOnTheVeth() {
        try (BpfObject object = Kernel.load("xdp_count", pins);
             BpfLink link = object.program("xdp_count").attachXdp(veth.right, "veth1", XdpMode.DRIVER);
             Arena arena = Arena.ofConfined()) {
            assertEquals("xdp", link.info().typeName());
            assertEquals(object.program("xdp_count").info().id(), link.info().programId());
            assertEquals(DATAGRAMS, sendAcross(DATAGRAMS));
            assertEquals(DATAGRAMS, udpPacketsFromLeft(object, arena));
            assertTrue(totalPackets(object, arena) >= DATAGRAMS, "totals include ARP too");
        }
    }

    @Test
    void pinnedXdpLinkStaysAttachedAfterItsDescriptorClosesUntilDetached() {
        try (BpfObject object = Kernel.load("xdp_count", pins); Arena arena = Arena.ofConfined()) {
            BpfLink link = object.program("xdp_count").attachXdp(veth.right, "veth1", XdpMode.GENERIC);
            BpfFs.prepareDirectory(pins);
            link.pin(pins.resolve("xdp_link"));
            link.close();
            assertEquals(5, sendAcross(5));
            assertEquals(5, udpPacketsFromLeft(object, arena), "still attached through its pin");
            try (BpfLink pinned = BpfLink.openPinned(pins.resolve("xdp_link"))) {
                assertEquals("xdp", pinned.info().typeName());
                pinned.detach();
            }
            assertEquals(5, sendAcross(5));
            assertEquals(5, udpPacketsFromLeft(object, arena), "detached: no more counting");
        }
    }

    @Test
    void tcxIngressAndEgressCountBothDirections() {
        try (BpfObject object = Kernel.load("tcx_count", pins);
             BpfLink ingress = object.program("tcx_ingress_count").attachTcx(veth.right, "veth1", AttachType.TCX_INGRESS);
             BpfLink egress = object.program("tcx_egress_count").attachTcx(veth.left, "veth0", AttachType.TCX_EGRESS);
             Arena arena = Arena.ofConfined()) {
            assertEquals("tcx", ingress.info().typeName());
            assertEquals("tcx", egress.info().typeName());
            assertEquals(DATAGRAMS, sendAcross(DATAGRAMS));
            TypedMap<U32, ObjectLoadTest.PktCounters> counters =
                    object.map("tcx_counters").typed(U32.CODEC, ObjectLoadTest.PktCounters.CODEC);
            ObjectLoadTest.PktCounters value = counters.newValue(arena);
            assertTrue(counters.get(counters.newKey(arena).set(0), value));
            long ingressPackets = value.packets();
            assertTrue(counters.get(counters.newKey(arena).set(1), value));
            long egressPackets = value.packets();
            assertTrue(ingressPackets >= DATAGRAMS && ingressPackets <= DATAGRAMS + 4, "ingress " + ingressPackets);
            assertTrue(egressPackets >= DATAGRAMS && egressPackets <= DATAGRAMS + 4, "egress " + egressPackets);

            egress.detach();
            assertEquals(5, sendAcross(5));
            assertTrue(counters.get(counters.newKey(arena).set(1), value));
            assertEquals(egressPackets, value.packets(), "a detached link counts nothing");
        }
    }

    @Test
    void secondXdpProgramOnOneInterfaceIsRefusedWithTheReason() {
        long before = Kernel.openDescriptors();
        try (BpfObject first = Kernel.load("xdp_count", pins);
             BpfObject second = Kernel.load("udp_reflect", pins);
             BpfLink link = first.program("xdp_count").attachXdp(veth.right, "veth1", XdpMode.DRIVER)) {
            BpfException e = org.junit.jupiter.api.Assertions.assertThrows(BpfException.class,
                    () -> second.program("udp_reflect").attachXdp(veth.right, "veth1", XdpMode.DRIVER));
            assertEquals("BPF_LINK_CREATE", e.command());
            assertTrue(e.getMessage().contains("another XDP program is attached there"), e.getMessage());
            assertEquals("xdp", link.info().typeName());
        }
        assertEquals(before, Kernel.openDescriptors(), "no descriptor leaked");
    }

    @Test
    void ifindexIsResolvedInsideTheNamespace() {
        int inside = veth.right.ifindex("veth1");
        assertTrue(inside > 0);
        NativeException outside = org.junit.jupiter.api.Assertions.assertThrows(NativeException.class,
                () -> io.navstar.sys.Libc.ifNameToIndex("veth1"));
        assertTrue(outside.getMessage().contains("resolving interface \"veth1\""), outside.getMessage());
    }

    private static long udpPacketsFromLeft(BpfObject object, Arena arena) {
        java.lang.foreign.MemorySegment key = arena.allocate(8);
        key.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, Integer.reverseBytes(0x0ac70001)); // 10.199.0.1
        key.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 4, (byte) 17);
        java.lang.foreign.MemorySegment value = arena.allocate(16);
        return object.map("xdp_by_source").get(key, value) ? value.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0) : 0;
    }

    private static long totalPackets(BpfObject object, Arena arena) {
        TypedMap<U32, PerCpu<ObjectLoadTest.PktCounters>> totals =
                object.map("xdp_totals").typed(U32.CODEC, PerCpu.codec(ObjectLoadTest.PktCounters.CODEC));
        PerCpu<ObjectLoadTest.PktCounters> perCpu = totals.newValue(arena);
        totals.get(totals.newKey(arena).set(0), perCpu);
        long sum = 0;
        for (int cpu = 0; cpu < perCpu.cpus(); cpu++) {
            sum += perCpu.cpu(cpu).packets();
        }
        return sum;
    }
}
