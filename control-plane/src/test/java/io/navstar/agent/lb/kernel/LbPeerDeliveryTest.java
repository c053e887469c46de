package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.LbMode;
import io.navstar.agent.lb.abi.Abi;
import io.navstar.agent.lb.abi.LbFlow;
import io.navstar.agent.lb.abi.LbPeerIface;
import io.navstar.agent.lb.model.DesiredStateJson;
import io.navstar.agent.lb.plan.Reconciler;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.agent.lb.support.LbTopology;
import io.navstar.loader.BpfMap;
import io.navstar.sys.NetworkNamespace;
import io.navstar.sys.netlink.Link;
import io.navstar.sys.netlink.Rtnetlink;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tc mode hands a VIP's packets, and its local backend's replies, straight to the peer of the veth the route names
 * (lb_tc_deliver in bpf/lb/lb_tc.bpf.c), and xdp mode does the same at tcx ingress after its XDP rewrite
 * (lb_tc_turnaround), so the node's IP forwarding never sees them: its forwarded-datagram counters
 * (/proc/net/snmp's Ip ForwDatagrams, /proc/net/snmp6's Ip6OutForwDatagrams, read inside the node's namespace) stay
 * where they were while requests through the VIP succeed, and grow for the same requests sent straight to the
 * backend. An interface whose entry in lb_peer_ifaces does not name its hardware address (a reused index) is not
 * delivered to: its packets take the forwarding path, and still arrive, and their flows are marked so that later
 * packets skip the route lookup. The programs keep each route's answer for LB_ROUTE_TTL_NS (lb_route_cache): a kept
 * answer expires, and one naming an interface no longer registered is not used. Needs root; namespaces from
 * {@link LbTopology}, removed on close.
 */
class LbPeerDeliveryTest {
    private static final int REQUESTS = 20;
    /** LB_ROUTE_TTL_NS (bpf/lb/lb_consts.h), in ms. */
    private static final long ROUTE_TTL_MS = 100;
    /** How long the forwarding counters must stay still before they are read. */
    private static final long QUIET_MS = 100;

    @ParameterizedTest
    @EnumSource(value = LbMode.class, names = {"TC", "XDP"})
    void vipPacketsAndTheirRepliesSkipTheNodesForwardingUnlessTheInterfaceIsNotItsPeer(LbMode mode) throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("peer");
        try (LbTopology topo = new LbTopology("peer", 1, 1L << 20)) {
            topo.enableIpv6();
            LbDataPlane plane = LbDataPlane.open(LbSettings.forTests(pins));
            NetworkNamespace node = NetworkNamespace.named(topo.node);
            try (KernelLbTables tables = new KernelLbTables(plane); LbAttachments links = new LbAttachments(plane)) {
                String backend = topo.backends.getFirst().address;
                Reconciler.recover(tables, 1000).apply(DesiredStateJson.parse("{\"vips\":["
                        + "{\"vip\":\"11.0.0.1:80\",\"backends\":[{\"endpoint\":\"" + backend + ":8080\"}]},"
                        + "{\"vip\":\"[fd01:c::1]:80\",\"backends\":[{\"endpoint\":\"[fd00:10:1::2]:8080\"}]}]}"));
                links.attachInterface(node, "vc", mode);
                links.attachInterface(node, "vb1", mode);
                BpfMap peers = plane.map("lb_peer_ifaces");
                assertEquals(List.of(node.ifindex("vb1"), node.ifindex("vc")).stream().sorted().toList(),
                        indices(peers), "both veths registered");

                // direct requests first: they fill the node's neighbour entries, and show that the counters count
                long[] before = forwarded(node);
                assertEquals(0, topo.requests(null, "http://" + backend + ":8080", REQUESTS), "IPv4, direct");
                assertEquals(0, topo.requests(null, "http://[fd00:10:1::2]:8080", REQUESTS), "IPv6, direct");
                long[] afterDirect = forwarded(node);
                assertTrue(afterDirect[0] - before[0] >= REQUESTS * 4L, "IPv4 packets forwarded straight to the "
                        + "backend: " + (afterDirect[0] - before[0]));
                assertTrue(afterDirect[1] - before[1] >= REQUESTS * 4L, "IPv6 packets forwarded straight to the "
                        + "backend: " + (afterDirect[1] - before[1]));

                assertEquals(0, topo.requests(null, "http://11.0.0.1:80", REQUESTS), "IPv4, through the VIP");
                assertEquals(0, topo.requests(null, "http://[fd01:c::1]:80", REQUESTS), "IPv6, through the VIP");
                long[] afterVip = forwarded(node);
                assertEquals(0, afterVip[0] - afterDirect[0], "IPv4 packets of the VIP forwarded by the node");
                assertEquals(0, afterVip[1] - afterDirect[1], "IPv6 packets of the VIP forwarded by the node");
                assertEquals(0, routedFlows(plane), "flows marked for the node's routing");

                // the backend's veth now names another device's address: its packets are forwarded, and arrive
                overwriteAddress(peers, node.ifindex("vb1"));
                assertEquals(0, topo.requests(null, "http://11.0.0.1:80", REQUESTS), "IPv4, through the VIP");
                long[] afterMismatch = forwarded(node);
                assertTrue(afterMismatch[0] - afterVip[0] >= REQUESTS * 2L, "requests to the backend forwarded by "
                        + "the node when its veth's entry names another address: " + (afterMismatch[0] - afterVip[0]));
                assertTrue(routedFlows(plane) >= REQUESTS, "those flows are marked, so their later packets skip the "
                        + "route lookup: " + routedFlows(plane));

                // its right address again: the route cache's answer (the node's) is used for at most its TTL, and
                // new connections are delivered again after it
                restoreAddress(peers, node, "vb1");
                Thread.sleep(ROUTE_TTL_MS * 3);
                assertEquals(0, topo.requests(null, "http://11.0.0.1:80", REQUESTS), "IPv4, through the VIP");
                long[] afterRestore = forwarded(node);
                assertEquals(0, afterRestore[0] - afterMismatch[0], "IPv4 packets of the VIP forwarded by the node "
                        + "once the cached route expired");

                // an interface no longer registered is not delivered to, though the cache still names it: the
                // backend's replies to the client behind it are forwarded by the node, and arrive
                removeEntry(peers, node.ifindex("vc"));
                assertEquals(0, topo.requests(null, "http://11.0.0.1:80", REQUESTS), "IPv4, through the VIP");
                long[] afterUnregister = forwarded(node);
                assertTrue(afterUnregister[0] - afterRestore[0] >= REQUESTS * 2L, "replies forwarded by the node once "
                        + "the client's veth is unregistered: " + (afterUnregister[0] - afterRestore[0]));

                links.forgetInterface(node, "vc");
                assertEquals(List.of(node.ifindex("vb1")), indices(peers), "only the backend's veth registered");
                links.detachAll();
                assertEquals(List.of(), indices(peers), "nothing registered after detaching all");
            } finally {
                plane.unpin();
                plane.close();
                LbTestSupport.deleteTree(pins);
            }
        }
    }

    /**
     * The node's forwarded datagrams so far (IPv4, IPv6), read once they have stopped moving for QUIET_MS. curl exits
     * before its connections' last packets (the closing FIN and ACK) have crossed the node, so a count read at once
     * would charge them to the next step.
     */
    private static long[] forwarded(NetworkNamespace node) throws InterruptedException {
        long[] last = forwardedNow(node);
        for (int i = 0; i < 50; i++) {
            Thread.sleep(QUIET_MS);
            long[] now = forwardedNow(node);
            if (Arrays.equals(now, last)) {
                return now;
            }
            last = now;
        }
        return last;
    }

    private static long[] forwardedNow(NetworkNamespace node) {
        return node.run(() -> {
            List<String> snmp = Files.readAllLines(Path.of("/proc/thread-self/net/snmp"));
            List<String> ip = snmp.stream().filter(l -> l.startsWith("Ip: ")).toList();
            List<String> names = List.of(ip.get(0).split(" "));
            long v4 = Long.parseLong(ip.get(1).split(" ")[names.indexOf("ForwDatagrams")]);
            long v6 = Files.readAllLines(Path.of("/proc/thread-self/net/snmp6")).stream()
                    .filter(l -> l.startsWith("Ip6OutForwDatagrams")).mapToLong(l -> Long.parseLong(l.split("\\s+")[1]))
                    .findFirst().orElseThrow();
            return new long[] {v4, v6};
        });
    }

    /** Flows in the connection table marked LB_FLOW_F_ROUTED. */
    private static int routedFlows(LbDataPlane plane) {
        int[] routed = {0};
        try (FlowTable table = new FlowTable(plane)) {
            LbFlow flow = new LbFlow();
            table.forEachPublished((segment, keyOffset, flowOffset) -> {
                flow.wrap(segment, flowOffset);
                if ((flow.flags() & Abi.FLOW_ROUTED) != 0) {
                    routed[0]++;
                }
            });
        }
        return routed[0];
    }

    private static List<Integer> indices(BpfMap map) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            MemorySegment next = arena.allocate(JAVA_INT);
            List<Integer> found = new java.util.ArrayList<>();
            MemorySegment at = MemorySegment.NULL;
            while (map.nextKey(at, next) == 0) {
                found.add(next.get(JAVA_INT, 0));
                MemorySegment.copy(next, 0, key, 0, 4);
                at = key;
            }
            return found.stream().sorted().toList();
        }
    }

    private static void restoreAddress(BpfMap map, NetworkNamespace node, String ifname) {
        Link link;
        try (Rtnetlink rtnetlink = Rtnetlink.open(node)) {
            link = rtnetlink.link(ifname).orElseThrow();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            key.set(JAVA_INT, 0, link.index());
            MemorySegment value = arena.allocate(LbPeerIface.LAYOUT);
            MemorySegment.copy(link.addressBytes(), 0, value, java.lang.foreign.ValueLayout.JAVA_BYTE, LbPeerIface.MAC,
                    LbPeerIface.MAC_BYTES);
            map.put(key, value);
        }
    }

    private static void removeEntry(BpfMap map, int ifindex) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            key.set(JAVA_INT, 0, ifindex);
            map.remove(key);
        }
    }

    private static void overwriteAddress(BpfMap map, int ifindex) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            key.set(JAVA_INT, 0, ifindex);
            MemorySegment value = arena.allocate(LbPeerIface.LAYOUT);
            value.set(java.lang.foreign.ValueLayout.JAVA_BYTE, LbPeerIface.MAC, (byte) 0x02);
            map.put(key, value);
        }
    }
}
