package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.LbMode;
import io.navstar.agent.lb.model.DesiredStateJson;
import io.navstar.agent.lb.plan.Reconciler;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.agent.lb.support.LbTopology;
import io.navstar.sys.NetworkNamespace;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static io.navstar.agent.lb.support.LbTopology.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The L4 checksum update of the tc programs, and of the XDP program on a veth, on CHECKSUM_PARTIAL packets, which
 * BPF_PROG_TEST_RUN cannot make (it builds CHECKSUM_NONE skbs and complete XDP buffers; LbProgramTableTest covers
 * those). veth runs XDP on the skbs its peer sends, so xdp mode meets partial checksums too (lb_xdp_partial_csum);
 * treated as full checksums, every rewritten packet failed here. A client's TCP stack hands its veth CHECKSUM_PARTIAL
 * packets (veth offers NETIF_F_HW_CSUM), and they reach the node's tc hooks so: the checksum field holds only the
 * pseudo-header sum. Over veth all the way, nobody would ever complete that checksum (a CHECKSUM_PARTIAL skb counts
 * as verified on receive), so a wrong field would go unnoticed; here the node's two veths have transmit checksum
 * offload switched off, so the kernel completes every checksum in software from the field the program left
 * (skb_checksum_help, or the GSO segmentation of a large send) before the backend or the client receives it as
 * CHECKSUM_NONE and verifies it. A wrong update then shows as TCP InCsumErrors and failed transfers.
 *
 * <p>Needs root; namespaces from {@link LbTopology}, removed on close.
 */
class LbChecksumOffloadTest {
    /** SIOCETHTOOL with ETHTOOL_STXCSUM (include/uapi/linux/ethtool.h), data 0: transmit checksumming off. */
    private static final String TX_CSUM_OFF = """
            import array, fcntl, socket, struct, sys
            s = socket.socket()
            for name in sys.argv[1:]:
                for cmd, data in ((0x17, 0), (0x16, 9)):  # ETHTOOL_STXCSUM off, then ETHTOOL_GTXCSUM to check
                    value = array.array('B', struct.pack('II', cmd, data))
                    fcntl.ioctl(s.fileno(), 0x8946, struct.pack('16sP16x', name.encode(), value.buffer_info()[0]))
                if struct.unpack('II', value.tobytes())[1] != 0:
                    sys.exit(name + ': tx checksumming still on')
            """;

    @ParameterizedTest
    @EnumSource(value = LbMode.class, names = {"TC", "XDP"})
    void partialChecksumsLeaveTheNodeValidWhenTheKernelCompletesThem(LbMode mode) throws Exception {
        LbTestSupport.assumeRoot();
        Path pins = LbTestSupport.pinDirectory("csum");
        try (LbTopology topo = new LbTopology("csum", 1, 8L << 20)) {
            LbDataPlane plane = LbDataPlane.open(LbSettings.forTests(pins));
            try (KernelLbTables tables = new KernelLbTables(plane); LbAttachments links = new LbAttachments(plane)) {
                Reconciler.recover(tables, 1000).apply(DesiredStateJson.parse("{\"vips\":[{\"vip\":\"11.0.0.1:80\","
                        + "\"backends\":[{\"endpoint\":\"" + topo.backends.getFirst().endpoint() + "\"}]}]}"));
                links.attachInterface(NetworkNamespace.named(topo.node), "vc", mode);
                sh("ip", "netns", "exec", topo.node, "python3", "-c", TX_CSUM_OFF, "vc", "vb1");
                String backendNs = topo.prefix + "-b1";
                long clientErrorsBefore = inCsumErrors(topo.client);
                long backendErrorsBefore = inCsumErrors(backendNs);

                assertEquals(0, topo.requests(null, "http://11.0.0.1:80", 50), "50 requests through the VIP");
                // large replies: the backend's GSO packets are rewritten by egress, then segmented towards the client
                Process download = topo.download(null, "http://11.0.0.1:80", "100M");
                assertTrue(download.waitFor(60, TimeUnit.SECONDS), "the download finishes");
                String got = new String(download.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                assertEquals(topo.bigBytes() + " 200", got, "the whole download arrives");

                assertEquals(0, inCsumErrors(topo.client) - clientErrorsBefore, "bad checksums at the client");
                assertEquals(0, inCsumErrors(backendNs) - backendErrorsBefore, "bad checksums at the backend");
                assertTrue(topo.backends.getFirst().requests.get() >= 50, "the backend served the requests");
            } finally {
                plane.unpin();
                plane.close();
                LbTestSupport.deleteTree(pins);
            }
        }
    }

    /** TCP InCsumErrors of a namespace (/proc/net/snmp: a header line, then a values line). */
    private static long inCsumErrors(String namespace) throws IOException, InterruptedException {
        String[] lines = sh("ip", "netns", "exec", namespace, "cat", "/proc/net/snmp").split("\n");
        for (int i = 0; i + 1 < lines.length; i++) {
            if (lines[i].startsWith("Tcp:") && lines[i + 1].startsWith("Tcp:")) {
                String[] names = lines[i].trim().split("\\s+");
                String[] values = lines[i + 1].trim().split("\\s+");
                for (int k = 0; k < names.length; k++) {
                    if (names[k].equals("InCsumErrors")) {
                        return Long.parseLong(values[k]);
                    }
                }
            }
        }
        throw new IllegalStateException("no Tcp InCsumErrors in /proc/net/snmp of " + namespace);
    }
}
