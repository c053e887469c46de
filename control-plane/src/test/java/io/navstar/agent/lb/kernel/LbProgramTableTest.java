package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.abi.Abi;
import io.navstar.agent.lb.abi.LbBackendVip;
import io.navstar.agent.lb.abi.LbDropReason;
import io.navstar.agent.lb.abi.LbFlow;
import io.navstar.agent.lb.abi.LbFlowKey;
import io.navstar.agent.lb.abi.LbReverseNat;
import io.navstar.agent.lb.abi.LbVipKey;
import io.navstar.agent.lb.model.DesiredState;
import io.navstar.agent.lb.model.DesiredStateJson;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.plan.Reconciler;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.loader.BpfProgram;
import io.navstar.loader.TestRun;
import io.navstar.loader.ringbuf.RingBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static io.navstar.agent.lb.support.TestPackets.ACK;
import static io.navstar.agent.lb.support.TestPackets.FIN;
import static io.navstar.agent.lb.support.TestPackets.PSH;
import static io.navstar.agent.lb.support.TestPackets.RST;
import static io.navstar.agent.lb.support.TestPackets.SYN;
import static io.navstar.agent.lb.support.TestPackets.checksumsValid;
import static io.navstar.agent.lb.support.TestPackets.get16;
import static io.navstar.agent.lb.support.TestPackets.hex;
import static io.navstar.agent.lb.support.TestPackets.icmpEcho;
import static io.navstar.agent.lb.support.TestPackets.macsSwapped;
import static io.navstar.agent.lb.support.TestPackets.tcp;
import static io.navstar.agent.lb.support.TestPackets.udp;
import static io.navstar.agent.lb.support.TestPackets.withIpv4Options;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Table-driven BPF_PROG_TEST_RUN of the tc and xdp programs: {description, input packet, expected verdict,
 * expected output packet, expected drop reason}, run in order (later rows see the flows earlier rows created). A row
 * with a drop reason moves that lb_drops counter by exactly one; every other row moves none.
 */
class LbProgramTableTest {
    static final int TCX_NEXT = -1;
    static final int TCX_PASS = 0;
    static final int TCX_DROP = 2;
    static final int TC_ACT_REDIRECT = 7;
    static final int XDP_DROP = 1;
    static final int XDP_PASS = 2;
    static final int XDP_TX = 3;

    static final String STATE = """
            {"vips": [
              {"vip": "11.0.0.1:80", "protocol": "tcp", "backends": [{"endpoint": "10.0.2.2:8080"}]},
              {"vip": "11.0.0.1:53", "protocol": "udp", "backends": [{"endpoint": "10.0.2.2:5353"}]},
              {"vip": "[fd01:c::1]:80", "protocol": "tcp", "backends": [{"endpoint": "[fd00:2::2]:8080"}]},
              {"vip": "[fd01:c::1]:53", "protocol": "udp", "backends": [{"endpoint": "[fd00:2::2]:5353"}]},
              {"vip": "11.0.0.9:80", "protocol": "tcp", "backends": []},
              {"vip": "11.0.0.9:53", "protocol": "udp", "backends": [{"endpoint": "10.0.2.2:53", "weight": 0}]},
              {"vip": "[fd01:c::9]:80", "protocol": "tcp", "backends": []},
              {"vip": "[fd01:c::9]:53", "protocol": "udp", "backends": []},
              {"vip": "11.0.0.3:80", "protocol": "tcp", "backends": [{"endpoint": "10.0.5.2:8080"}]},
              {"vip": "11.0.0.4:80", "protocol": "tcp", "backends": [{"endpoint": "10.0.5.2:8080"}]},
              {"vip": "11.0.0.5:80", "protocol": "tcp", "backends": [{"endpoint": "10.0.6.2:8080"}]}
            ]}""";

    static Path pins;
    static LbDataPlane plane;
    static KernelLbTables tables;
    static LbCounters counters;
    static FlowTable flowTable;

    @BeforeAll
    static void load() {
        if (!LbTestSupport.isRoot()) {
            return;
        }
        pins = LbTestSupport.pinDirectory("ptr");
        plane = LbDataPlane.open(LbSettings.forTests(pins).withTimeouts(Duration.ofHours(1), Duration.ofSeconds(7),
                Duration.ofMinutes(1)));
        tables = new KernelLbTables(plane);
        counters = new LbCounters(plane);
        flowTable = new FlowTable(plane);
        Reconciler.recover(tables, 1000).apply(DesiredStateJson.parse(STATE));
    }

    @AfterAll
    static void unload() {
        if (counters != null) {
            counters.close();
        }
        if (flowTable != null) {
            flowTable.close();
        }
        if (tables != null) {
            tables.close();
        }
        if (plane != null) {
            plane.unpin();
            plane.close();
        }
        LbTestSupport.deleteTree(pins);
    }

    /** One row; {@code drop} is the reason whose counter the row moves by one, or null when it moves none. */
    record Case(String description, String program, byte[] input, int verdict, byte[] output, Consumer<byte[]> check,
                LbDropReason drop) {
        static Case exact(String description, String program, byte[] input, int verdict, byte[] output) {
            return new Case(description, program, input, verdict, output, null, null);
        }

        static Case checked(String description, String program, byte[] input, int verdict, Consumer<byte[]> check) {
            return new Case(description, program, input, verdict, null, check, null);
        }

        /** This row, expected to count one packet under {@code reason}. */
        Case counts(LbDropReason reason) {
            return new Case(description, program, input, verdict, output, check, reason);
        }
    }

    private static final byte[] HELLO = "GET / HTTP/1.1\r\n\r\n".getBytes();
    private static final byte[] QUERY = new byte[40];

    static List<Case> tcTable() {
        List<Case> t = new ArrayList<>();
        String in = "lb_tc_ingress";
        String out = "lb_tc_egress";
        t.add(Case.exact("TCP/IPv4 first packet (SYN) to a VIP goes to the backend", in,
                tcp("10.0.1.2", 40000, "11.0.0.1", 80, SYN, 1000, 0, new byte[0]), TCX_PASS,
                tcp("10.0.1.2", 40000, "10.0.2.2", 8080, SYN, 1000, 0, new byte[0])));
        t.add(Case.exact("TCP/IPv4 later packet follows the connection table", in,
                tcp("10.0.1.2", 40000, "11.0.0.1", 80, ACK | PSH, 1001, 5000, HELLO), TCX_PASS,
                tcp("10.0.1.2", 40000, "10.0.2.2", 8080, ACK | PSH, 1001, 5000, HELLO)));
        t.add(Case.exact("TCP/IPv4 reply is reverse-translated to come from the VIP", out,
                tcp("10.0.2.2", 8080, "10.0.1.2", 40000, SYN | ACK, 5000, 1001, new byte[0]), TCX_PASS,
                tcp("10.0.2.2", 8080, "10.0.1.2", 40000, SYN | ACK, 5000, 1001, new byte[0]).clone() /* replaced below */));
        t.set(t.size() - 1, Case.exact(t.getLast().description(), out, t.getLast().input(), TCX_PASS,
                tcp("11.0.0.1", 80, "10.0.1.2", 40000, SYN | ACK, 5000, 1001, new byte[0])));
        t.add(Case.exact("UDP/IPv4 first datagram to a VIP goes to the backend", in,
                udp("10.0.1.2", 50000, "11.0.0.1", 53, QUERY), TCX_PASS,
                udp("10.0.1.2", 50000, "10.0.2.2", 5353, QUERY)));
        t.add(Case.exact("UDP/IPv4 later datagram follows the table", in,
                udp("10.0.1.2", 50000, "11.0.0.1", 53, HELLO), TCX_PASS,
                udp("10.0.1.2", 50000, "10.0.2.2", 5353, HELLO)));
        t.add(Case.exact("UDP/IPv4 reply comes from the VIP", out,
                udp("10.0.2.2", 5353, "10.0.1.2", 50000, QUERY), TCX_PASS,
                udp("11.0.0.1", 53, "10.0.1.2", 50000, QUERY)));
        t.add(Case.exact("TCP/IPv6 first packet to a VIP goes to the backend", in,
                tcp("fd00:1::2", 40001, "fd01:c::1", 80, SYN, 7, 0, new byte[0]), TCX_PASS,
                tcp("fd00:1::2", 40001, "fd00:2::2", 8080, SYN, 7, 0, new byte[0])));
        t.add(Case.exact("TCP/IPv6 later packet follows the table", in,
                tcp("fd00:1::2", 40001, "fd01:c::1", 80, ACK, 8, 99, HELLO), TCX_PASS,
                tcp("fd00:1::2", 40001, "fd00:2::2", 8080, ACK, 8, 99, HELLO)));
        t.add(Case.exact("TCP/IPv6 reply comes from the VIP", out,
                tcp("fd00:2::2", 8080, "fd00:1::2", 40001, ACK, 99, 8, HELLO), TCX_PASS,
                tcp("fd01:c::1", 80, "fd00:1::2", 40001, ACK, 99, 8, HELLO)));
        t.add(Case.exact("UDP/IPv6 first datagram to a VIP goes to the backend", in,
                udp("fd00:1::2", 50001, "fd01:c::1", 53, QUERY), TCX_PASS,
                udp("fd00:1::2", 50001, "fd00:2::2", 5353, QUERY)));
        t.add(Case.exact("UDP/IPv6 reply comes from the VIP", out,
                udp("fd00:2::2", 5353, "fd00:1::2", 50001, QUERY), TCX_PASS,
                udp("fd01:c::1", 53, "fd00:1::2", 50001, QUERY)));
        byte[] other = tcp("10.0.1.2", 40000, "10.9.9.9", 80, SYN, 1, 0, new byte[0]);
        t.add(Case.exact("traffic to a non-VIP address passes untouched", in, other, TCX_NEXT, other));
        byte[] otherPort = tcp("10.0.1.2", 40000, "11.0.0.1", 81, SYN, 1, 0, new byte[0]);
        t.add(Case.exact("a VIP address on another port passes untouched", in, otherPort, TCX_NEXT, otherPort)
                .counts(LbDropReason.NO_VIP));
        byte[] stranger = tcp("10.0.3.3", 8080, "10.0.1.2", 40000, ACK, 1, 1, new byte[0]);
        t.add(Case.exact("egress traffic of no tracked flow passes untouched", out, stranger, TCX_NEXT, stranger));
        byte[] truncatedTcp = Arrays.copyOf(tcp("10.0.1.2", 40002, "11.0.0.1", 80, SYN, 1, 0, new byte[0]), 14 + 20 + 10);
        t.add(Case.exact("truncated TCP header passes untouched", in, truncatedTcp, TCX_NEXT, truncatedTcp)
                .counts(LbDropReason.TOO_SHORT));
        byte[] shortIp = Arrays.copyOf(tcp("10.0.1.2", 40003, "11.0.0.1", 80, ACK, 1, 1, HELLO), 14 + 20 + 20 + 4);
        t.add(Case.exact("IPv4 total length beyond the packet passes untouched", in, shortIp, TCX_NEXT, shortIp)
                .counts(LbDropReason.TOO_SHORT));
        byte[] badIhl = tcp("10.0.1.2", 40004, "11.0.0.1", 80, SYN, 1, 0, new byte[0]);
        badIhl[14] = 0x44;
        t.add(Case.exact("IPv4 header length below 20 passes untouched", in, badIhl, TCX_NEXT, badIhl)
                .counts(LbDropReason.MALFORMED));
        byte[] badDataOffset = tcp("10.0.1.2", 40006, "11.0.0.1", 80, SYN, 1, 0, new byte[0]);
        badDataOffset[14 + 20 + 12] = 0x40;
        t.add(Case.exact("TCP data offset below 20 bytes passes untouched", in, badDataOffset, TCX_NEXT, badDataOffset)
                .counts(LbDropReason.MALFORMED));
        byte[] badUdpLength = udp("10.0.1.2", 50006, "11.0.0.1", 53, QUERY);
        badUdpLength[14 + 20 + 4] = 0;
        badUdpLength[14 + 20 + 5] = 4;
        t.add(Case.exact("UDP length below 8 passes untouched", in, badUdpLength, TCX_NEXT, badUdpLength)
                .counts(LbDropReason.MALFORMED));
        byte[] fragment = tcp("10.0.1.2", 40005, "11.0.0.1", 80, SYN, 1, 0, new byte[0]);
        fragment[14 + 6] = 0x20; // MF
        t.add(Case.exact("an IPv4 fragment passes untouched", in, fragment, TCX_NEXT, fragment)
                .counts(LbDropReason.FRAGMENT));
        byte[] fragment6 = udp("fd00:1::2", 50007, "fd01:c::1", 53, QUERY);
        fragment6[14 + 6] = 44; // the next header is a fragment header
        t.add(Case.exact("an IPv6 packet with a fragment header passes untouched", in, fragment6, TCX_NEXT, fragment6)
                .counts(LbDropReason.FRAGMENT));
        byte[] otherFragment = tcp("10.0.1.2", 40005, "10.9.9.9", 80, SYN, 1, 0, new byte[0]);
        otherFragment[14 + 6] = 0x20;
        t.add(Case.exact("a fragment to an address no VIP has passes uncounted", in, otherFragment, TCX_NEXT,
                otherFragment));
        byte[] ping = icmpEcho("10.0.1.2", "11.0.0.1");
        t.add(Case.exact("ICMP to a VIP's address passes untouched", in, ping, TCX_NEXT, ping)
                .counts(LbDropReason.UNSUPPORTED_PROTO));
        byte[] otherPing = icmpEcho("10.0.1.2", "10.9.9.9");
        t.add(Case.exact("ICMP to an address no VIP has passes uncounted", in, otherPing, TCX_NEXT, otherPing));
        byte[] arp = new byte[42];
        arp[12] = 0x08;
        arp[13] = 0x06;
        t.add(Case.exact("a non-IP frame passes untouched", in, arp, TCX_NEXT, arp));
        byte[] truncatedV6 = Arrays.copyOf(tcp("fd00:1::2", 40009, "fd01:c::1", 80, SYN, 1, 0, new byte[0]), 14 + 40 + 8);
        t.add(Case.exact("truncated IPv6 packet passes untouched", in, truncatedV6, TCX_NEXT, truncatedV6)
                .counts(LbDropReason.TOO_SHORT));

        byte[] syn = tcp("10.0.1.2", 40010, "11.0.0.9", 80, SYN, 4242, 0, new byte[0]);
        t.add(Case.checked("TCP SYN to a VIP with no backend is answered with RST at once", in, syn, TC_ACT_REDIRECT,
                o -> assertRst(syn, o, 4243)).counts(LbDropReason.NO_BACKEND));
        byte[] query = udp("10.0.1.2", 50010, "11.0.0.9", 53, QUERY);
        t.add(Case.checked("UDP to a VIP whose backends all drain is answered with ICMP port unreachable", in, query,
                TC_ACT_REDIRECT, o -> assertIcmp4(query, o)).counts(LbDropReason.NO_BACKEND));
        byte[] syn6 = tcp("fd00:1::2", 40011, "fd01:c::9", 80, SYN, 77, 0, new byte[0]);
        t.add(Case.checked("TCP/IPv6 SYN to a VIP with no backend is answered with RST", in, syn6, TC_ACT_REDIRECT,
                o -> assertRst(syn6, o, 78)).counts(LbDropReason.NO_BACKEND));

        byte[] query6 = udp("fd00:1::2", 50012, "fd01:c::9", 53, QUERY);
        t.add(Case.checked("UDP/IPv6 to a VIP with no backend is answered with ICMPv6 port unreachable", in, query6,
                TC_ACT_REDIRECT, o -> assertIcmp6(query6, o)).counts(LbDropReason.NO_BACKEND));
        // the ICMP answer quotes the IPv4 header and 8 bytes after it, which with options would not hold the ports
        byte[] withOptions = withIpv4Options(tcp("10.0.1.2", 40013, "11.0.0.9", 80, SYN, 5, 0, new byte[0]), 1);
        t.add(Case.exact("TCP SYN with IPv4 options to a VIP with no backend is dropped unanswered", in, withOptions,
                TCX_DROP, withOptions).counts(LbDropReason.REFUSAL_FAILED));

        t.add(Case.exact("hairpin: a client that is its own backend reaches itself from the hairpin address", in,
                tcp("10.0.2.2", 40020, "11.0.0.1", 80, SYN, 1, 0, new byte[0]), TC_ACT_REDIRECT,
                macsSwapped(tcp("169.254.42.1", 40020, "10.0.2.2", 8080, SYN, 1, 0, new byte[0]))));
        t.add(Case.exact("hairpin: the backend's reply returns to the client from the VIP", in,
                tcp("10.0.2.2", 8080, "169.254.42.1", 40020, SYN | ACK, 9, 2, new byte[0]), TC_ACT_REDIRECT,
                macsSwapped(tcp("11.0.0.1", 80, "10.0.2.2", 40020, SYN | ACK, 9, 2, new byte[0]))));
        byte[] strayHairpin = tcp("10.0.2.2", 8080, "169.254.42.1", 40021, ACK, 9, 2, new byte[0]);
        t.add(Case.exact("hairpin: a packet to the hairpin address of no tracked flow passes untouched", in,
                strayHairpin, TCX_NEXT, strayHairpin).counts(LbDropReason.HAIRPIN_NO_FLOW));

        byte[] replyFragment = udp("10.0.2.2", 5353, "10.0.1.2", 50000, QUERY);
        replyFragment[14 + 6] = 0x20;
        t.add(Case.exact("egress: a fragment from a backend's address passes untranslated", out, replyFragment,
                TCX_NEXT, replyFragment).counts(LbDropReason.FRAGMENT));
        byte[] backendPing = icmpEcho("10.0.2.2", "10.0.1.2");
        t.add(Case.exact("egress: ICMP from a backend's address passes uncounted (its own pings)", out, backendPing,
                TCX_NEXT, backendPing));
        byte[] otherReplyFragment = udp("10.0.3.3", 5353, "10.0.1.2", 50000, QUERY);
        otherReplyFragment[14 + 6] = 0x20;
        t.add(Case.exact("egress: a fragment from an address no backend has passes uncounted", out,
                otherReplyFragment, TCX_NEXT, otherReplyFragment));
        return t;
    }

    static List<Case> xdpTable() {
        List<Case> t = new ArrayList<>();
        String in = "lb_xdp_ingress";
        t.add(Case.exact("XDP: TCP/IPv4 first packet to a VIP goes to the backend", in,
                tcp("10.0.1.3", 41000, "11.0.0.1", 80, SYN, 1000, 0, new byte[0]), XDP_PASS,
                tcp("10.0.1.3", 41000, "10.0.2.2", 8080, SYN, 1000, 0, new byte[0])));
        t.add(Case.exact("XDP: TCP/IPv4 later packet follows the table", in,
                tcp("10.0.1.3", 41000, "11.0.0.1", 80, ACK, 1001, 1, HELLO), XDP_PASS,
                tcp("10.0.1.3", 41000, "10.0.2.2", 8080, ACK, 1001, 1, HELLO)));
        t.add(Case.exact("XDP: UDP/IPv4 to a VIP goes to the backend", in,
                udp("10.0.1.3", 51000, "11.0.0.1", 53, QUERY), XDP_PASS,
                udp("10.0.1.3", 51000, "10.0.2.2", 5353, QUERY)));
        t.add(Case.exact("XDP: TCP/IPv6 to a VIP goes to the backend", in,
                tcp("fd00:1::3", 41001, "fd01:c::1", 80, SYN, 5, 0, new byte[0]), XDP_PASS,
                tcp("fd00:1::3", 41001, "fd00:2::2", 8080, SYN, 5, 0, new byte[0])));
        t.add(Case.exact("XDP: UDP/IPv6 to a VIP goes to the backend", in,
                udp("fd00:1::3", 51001, "fd01:c::1", 53, QUERY), XDP_PASS,
                udp("fd00:1::3", 51001, "fd00:2::2", 5353, QUERY)));
        t.add(Case.exact("XDP: the tc egress program reverse-translates the reply", "lb_tc_egress",
                tcp("10.0.2.2", 8080, "10.0.1.3", 41000, ACK, 1, 1001, HELLO), TCX_PASS,
                tcp("11.0.0.1", 80, "10.0.1.3", 41000, ACK, 1, 1001, HELLO)));
        byte[] other = udp("10.0.1.3", 51000, "10.9.9.9", 53, QUERY);
        t.add(Case.exact("XDP: non-VIP traffic passes untouched", in, other, XDP_PASS, other));
        byte[] truncated = Arrays.copyOf(tcp("10.0.1.3", 41002, "11.0.0.1", 80, SYN, 1, 0, new byte[0]), 14 + 20 + 12);
        t.add(Case.exact("XDP: truncated TCP passes untouched", in, truncated, XDP_PASS, truncated)
                .counts(LbDropReason.TOO_SHORT));
        byte[] otherPort = udp("10.0.1.3", 51002, "11.0.0.1", 54, QUERY);
        t.add(Case.exact("XDP: a VIP address on another port passes untouched", in, otherPort, XDP_PASS, otherPort)
                .counts(LbDropReason.NO_VIP));
        byte[] fragment = udp("10.0.1.3", 51003, "11.0.0.1", 53, QUERY);
        fragment[14 + 7] = 1; // fragment offset 8
        t.add(Case.exact("XDP: an IPv4 fragment to a VIP's address passes untouched", in, fragment, XDP_PASS, fragment)
                .counts(LbDropReason.FRAGMENT));
        byte[] syn = tcp("10.0.1.3", 41010, "11.0.0.9", 80, SYN, 99, 0, new byte[0]);
        t.add(Case.checked("XDP: TCP SYN to a VIP with no backend is answered with RST (XDP_TX)", in, syn, XDP_TX,
                o -> assertRst(syn, o, 100)).counts(LbDropReason.NO_BACKEND));
        byte[] query = udp("10.0.1.3", 51011, "11.0.0.9", 53, QUERY);
        t.add(Case.checked("XDP: UDP to a VIP whose backends all drain is answered with ICMP port unreachable (XDP_TX)",
                in, query, XDP_TX, o -> assertIcmp4(query, o)).counts(LbDropReason.NO_BACKEND));
        byte[] withOptions = withIpv4Options(tcp("10.0.1.3", 41012, "11.0.0.9", 80, SYN, 5, 0, new byte[0]), 1);
        t.add(Case.exact("XDP: TCP SYN with IPv4 options to a VIP with no backend is dropped unanswered", in,
                withOptions, XDP_DROP, withOptions).counts(LbDropReason.REFUSAL_FAILED));
        t.add(Case.exact("XDP: hairpin goes back out the interface it came from", in,
                tcp("10.0.2.2", 41020, "11.0.0.1", 80, SYN, 1, 0, new byte[0]), XDP_TX,
                macsSwapped(tcp("169.254.42.1", 41020, "10.0.2.2", 8080, SYN, 1, 0, new byte[0]))));
        // On a veth, XDP passes hairpin packets rewritten and lb_tc_turnaround (tcx ingress) sends them back.
        String turnaround = "lb_tc_turnaround";
        t.add(Case.exact("XDP on a veth: tcx ingress sends back a packet from the hairpin address", turnaround,
                tcp("169.254.42.1", 41020, "10.0.2.2", 8080, SYN, 1, 0, new byte[0]), TC_ACT_REDIRECT,
                macsSwapped(tcp("169.254.42.1", 41020, "10.0.2.2", 8080, SYN, 1, 0, new byte[0]))));
        t.add(Case.exact("XDP on a veth: tcx ingress sends back a hairpin flow's reply restored to come from the VIP",
                turnaround, tcp("11.0.0.1", 80, "10.0.2.2", 41020, SYN | ACK, 9, 2, new byte[0]), TC_ACT_REDIRECT,
                macsSwapped(tcp("11.0.0.1", 80, "10.0.2.2", 41020, SYN | ACK, 9, 2, new byte[0]))));
        byte[] ordinary = tcp("10.0.1.3", 41000, "10.0.2.2", 8080, ACK, 1001, 1, HELLO);
        t.add(Case.exact("XDP on a veth: tcx ingress passes a container's own packet untouched", turnaround,
                ordinary, TCX_NEXT, ordinary));
        byte[] fromVip = tcp("11.0.0.1", 80, "10.0.1.3", 41000, ACK, 1, 1001, HELLO);
        t.add(Case.exact("XDP on a veth: tcx ingress passes a packet from a VIP whose flow is not hairpin", turnaround,
                fromVip, TCX_NEXT, fromVip));
        t.add(Case.exact("XDP on a veth: tcx ingress does not count again what lb_xdp_ingress counted", turnaround,
                truncated, TCX_NEXT, truncated));
        return t;
    }

    static void assertRst(byte[] in, byte[] out, int expectedAck) {
        boolean v4 = get16(in, 12) == 0x0800;
        int l3 = v4 ? 20 : 40;
        assertEquals(14 + l3 + 20, out.length, "RST length");
        assertArrayEquals(Arrays.copyOfRange(in, 6, 12), Arrays.copyOfRange(out, 0, 6), "to the client's MAC");
        int addrOff = v4 ? 26 : 22;
        int addrLen = v4 ? 4 : 16;
        assertArrayEquals(Arrays.copyOfRange(in, addrOff + addrLen, addrOff + 2 * addrLen),
                Arrays.copyOfRange(out, addrOff, addrOff + addrLen), "from the VIP");
        assertArrayEquals(Arrays.copyOfRange(in, addrOff, addrOff + addrLen),
                Arrays.copyOfRange(out, addrOff + addrLen, addrOff + 2 * addrLen), "to the client");
        int l4 = 14 + l3;
        assertEquals(get16(in, l4 + 2), get16(out, l4), "source port is the VIP port");
        assertEquals(get16(in, l4), get16(out, l4 + 2), "destination port is the client port");
        assertEquals(RST | ACK, out[l4 + 13] & 0xff, "flags RST+ACK");
        assertEquals(expectedAck, java.nio.ByteBuffer.wrap(out, l4 + 8, 4).getInt(), "acknowledges the SYN");
        assertTrue(checksumsValid(out), "checksums of\n" + hex(out));
    }

    static void assertIcmp4(byte[] in, byte[] out) {
        assertEquals(14 + 20 + 8 + 28, out.length, "ICMP length");
        assertEquals(1, out[14 + 9], "ICMP");
        assertEquals(3, out[34], "destination unreachable");
        assertEquals(3, out[35], "port unreachable");
        assertArrayEquals(Arrays.copyOfRange(in, 14, 42), Arrays.copyOfRange(out, 42, 70), "quotes the datagram");
        assertTrue(checksumsValid(out), "checksums of\n" + hex(out));
    }

    static void assertIcmp6(byte[] in, byte[] out) {
        assertEquals(14 + 40 + 8 + 48, out.length, "ICMPv6 length");
        assertEquals(58, out[14 + 6], "next header ICMPv6");
        assertEquals(1, out[54], "destination unreachable");
        assertEquals(4, out[55], "port unreachable");
        assertArrayEquals(Arrays.copyOfRange(in, 22, 38), Arrays.copyOfRange(out, 38, 54), "to the client");
        assertArrayEquals(Arrays.copyOfRange(in, 14, 62), Arrays.copyOfRange(out, 62, 110), "quotes the datagram");
        assertTrue(checksumsValid(out), "checksums of\n" + hex(out));
    }

    /** Between before and after (LbCounters.drops), the counter of {@code reason} moved by one and no other moved. */
    static void assertDropsMoved(long[] before, long[] after, LbDropReason reason) {
        long[] expected = before.clone();
        if (reason != null) {
            expected[reason.number()]++;
        }
        if (!Arrays.equals(expected, after)) {
            StringBuilder moved = new StringBuilder();
            for (int number = 0; number < after.length; number++) {
                if (after[number] != before[number]) {
                    moved.append(' ').append(LbDropReason.ofNumber(number)).append(" +")
                            .append(after[number] - before[number]);
                }
            }
            assertArrayEquals(expected, after, "drop counters: expected " + (reason == null ? "none" : reason + " +1")
                    + " to move, moved:" + (moved.isEmpty() ? " none" : moved));
        }
    }

    private static Stream<DynamicTest> run(List<Case> table) {
        LbTestSupport.assumeRoot();
        return table.stream().map(c -> DynamicTest.dynamicTest(c.description(), () -> {
            BpfProgram program = plane.program(c.program());
            long[] dropsBefore = counters.drops();
            TestRun result = program.testRun(c.input(), 1, 512);
            assertEquals(c.verdict(), result.returnValue(), "verdict");
            assertDropsMoved(dropsBefore, counters.drops(), c.drop());
            if (c.output() != null) {
                assertArrayEquals(c.output(), result.dataOut(), () -> "expected\n" + hex(c.output()) + "\ngot\n"
                        + hex(result.dataOut()));
            } else {
                c.check().accept(result.dataOut());
            }
            if (!Arrays.equals(c.input(), result.dataOut())) {
                assertTrue(checksumsValid(result.dataOut()), "valid checksums in\n" + hex(result.dataOut()));
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> tcProgramsTranslateAsTheTableSays() {
        return run(tcTable());
    }

    @TestFactory
    Stream<DynamicTest> xdpProgramTranslatesAsTheTableSays() {
        return run(xdpTable());
    }

    @Test
    void finShortensTheFlowToTheClosingTimeout() {
        LbTestSupport.assumeRoot();
        BpfProgram in = plane.program("lb_tc_ingress");
        in.testRun(tcp("10.0.1.7", 42000, "11.0.0.1", 80, SYN, 1, 0, new byte[0]));
        try (Arena arena = Arena.ofConfined()) {
            LbFlowKey key = flowKey4(arena, "10.0.1.7", 42000, "11.0.0.1", 80, 6);
            LbFlow flow = readFlow(arena, key);
            long now = System.nanoTime(); // CLOCK_MONOTONIC, as bpf_ktime_get_ns()
            assertTrue(flow.expiresNs() - now > Duration.ofMinutes(59).toNanos(), "established: the TCP timeout");
            assertEquals(0, flow.flags() & Abi.FLOW_CLOSING);

            in.testRun(tcp("10.0.1.7", 42000, "11.0.0.1", 80, FIN | ACK, 2, 1, new byte[0]));
            assertTrue(flowTable.get(key.segment(), flow.segment()));
            now = System.nanoTime();
            long left = flow.expiresNs() - now;
            assertTrue(left > Duration.ofSeconds(6).toNanos() && left <= Duration.ofSeconds(7).toNanos(),
                    "closing: the configured 7 s, was " + left + " ns");
            assertEquals(Abi.FLOW_CLOSING, flow.flags() & Abi.FLOW_CLOSING);
        }
    }

    @Test
    void udpFlowsLiveTheConfiguredUdpTimeout() {
        LbTestSupport.assumeRoot();
        plane.program("lb_tc_ingress").testRun(udp("10.0.1.9", 52000, "11.0.0.1", 53, QUERY));
        try (Arena arena = Arena.ofConfined()) {
            LbFlowKey key = flowKey4(arena, "10.0.1.9", 52000, "11.0.0.1", 53, 17);
            LbFlow flow = readFlow(arena, key);
            long left = flow.expiresNs() - System.nanoTime();
            assertTrue(left > Duration.ofSeconds(59).toNanos() && left <= Duration.ofMinutes(1).toNanos(),
                    "the configured UDP timeout of 1 min, was " + left + " ns");
            assertEquals(InetAddress.ofLiteral("10.0.2.2"), flow.backendAddr(Abi.AF_INET));
            assertEquals(5353, flow.backendPort());
        }
    }

    /** A key of the connection table or lb_reverse for an IPv4 tuple, in arena. */
    static LbFlowKey flowKey4(Arena arena, String src, int sport, String dst, int dport, int proto) {
        LbFlowKey key = LbFlowKey.CODEC.newFlyweight();
        key.wrap(arena.allocate(LbFlowKey.LAYOUT), 0);
        return key.clear().src(InetAddress.ofLiteral(src)).dst(InetAddress.ofLiteral(dst)).sport(sport).dport(dport)
                .proto(proto).family(Abi.AF_INET);
    }

    /** The connection table's entry for key, in arena; fails the test when there is none. */
    static LbFlow readFlow(Arena arena, LbFlowKey key) {
        LbFlow flow = LbFlow.CODEC.newFlyweight();
        flow.wrap(arena.allocate(LbFlow.LAYOUT), 0);
        assertTrue(flowTable.get(key.segment(), flow.segment()), "the connection table has the flow");
        return flow;
    }

    /** Whether lb_reverse holds an entry for the reply tuple backend -> client (TCP/IPv4). */
    static boolean hasReverseEntry(String backend, int backendPort, String client, int clientPort) {
        try (Arena arena = Arena.ofConfined()) {
            LbFlowKey key = flowKey4(arena, backend, backendPort, client, clientPort, 6);
            return plane.map("lb_reverse").get(key.segment(), arena.allocate(LbReverseNat.LAYOUT));
        }
    }

    /** lb_backend_vips' entry for a TCP/IPv4 backend endpoint, or null. */
    static LbBackendVip backendVip(String backend, int port, Arena arena) {
        return backendVipIn(plane, backend, port, arena);
    }

    static LbBackendVip backendVipIn(LbDataPlane plane, String backend, int port, Arena arena) {
        LbVipKey key = LbVipKey.CODEC.newFlyweight();
        key.wrap(arena.allocate(LbVipKey.LAYOUT), 0);
        key.clear().addr(InetAddress.ofLiteral(backend)).port(port).proto(6).family(Abi.AF_INET);
        LbBackendVip value = LbBackendVip.CODEC.newFlyweight();
        value.wrap(arena.allocate(LbBackendVip.LAYOUT), 0);
        return plane.map("lb_backend_vips").get(key.segment(), value.segment()) ? value : null;
    }

    @Test
    void aNewFlowToABackendOfOneVipNeedsNoReverseEntry() {
        LbTestSupport.assumeRoot();
        BpfProgram in = plane.program("lb_tc_ingress");
        BpfProgram out = plane.program("lb_tc_egress");
        for (int port = 47000; port < 47003; port++) {
            in.testRun(tcp("10.0.1.30", port, "11.0.0.5", 80, SYN, 1, 0, new byte[0]));
            assertTrue(!hasReverseEntry("10.0.6.2", 8080, "10.0.1.30", port), "no reverse entry for port " + port);
            assertArrayEquals(tcp("11.0.0.5", 80, "10.0.1.30", port, SYN | ACK, 9, 2, new byte[0]),
                    out.testRun(tcp("10.0.6.2", 8080, "10.0.1.30", port, SYN | ACK, 9, 2, new byte[0])).dataOut(),
                    "the reply finds its flow through the backend's VIP");
        }
        try (Arena arena = Arena.ofConfined()) {
            LbBackendVip known = backendVip("10.0.6.2", 8080, arena);
            assertTrue(known != null, "the backend's VIP is recorded");
            assertEquals(InetAddress.ofLiteral("11.0.0.5"), known.vipAddr(Abi.AF_INET));
            assertEquals(80, known.vipPort());
            assertEquals(0, known.flags() & Abi.BACKEND_VIP_SHARED);
        }
        // a reply to a client port that opened no flow is not translated
        byte[] stray = tcp("10.0.6.2", 8080, "10.0.1.30", 47999, ACK, 1, 1, new byte[0]);
        assertEquals(TCX_NEXT, out.testRun(stray).returnValue());
    }

    @Test
    void anExpiredFlowNoLongerTurnsItsBackendsRepliesIntoTheVips() {
        LbTestSupport.assumeRoot();
        BpfProgram in = plane.program("lb_tc_ingress");
        BpfProgram out = plane.program("lb_tc_egress");
        in.testRun(tcp("10.0.1.32", 47100, "11.0.0.5", 80, SYN, 1, 0, new byte[0]));
        byte[] reply = tcp("10.0.6.2", 8080, "10.0.1.32", 47100, SYN | ACK, 9, 2, new byte[0]);
        assertArrayEquals(tcp("11.0.0.5", 80, "10.0.1.32", 47100, SYN | ACK, 9, 2, new byte[0]),
                out.testRun(reply).dataOut(), "a live flow's reply comes from the VIP");
        try (Arena arena = Arena.ofConfined()) {
            LbFlowKey key = flowKey4(arena, "10.0.1.32", 47100, "11.0.0.5", 80, 6);
            LbFlow flow = readFlow(arena, key);
            // the flow ended a second ago; the table still holds it, as it does until an insert needs the way
            flowTable.put(key.segment(), flow.expiresNs(System.nanoTime() - Duration.ofSeconds(1).toNanos()).segment(),
                    System.nanoTime());
        }
        // the client now reaches the backend straight from the same port: that connection's replies stay its own
        TestRun direct = out.testRun(reply);
        assertEquals(TCX_NEXT, direct.returnValue());
        assertArrayEquals(reply, direct.dataOut());
    }

    @Test
    void aBackendOfTwoVipsRepliesAsTheVipEachFlowChose() {
        LbTestSupport.assumeRoot();
        BpfProgram in = plane.program("lb_tc_ingress");
        BpfProgram out = plane.program("lb_tc_egress");
        // first flow: the endpoint is recorded for 11.0.0.3, and the flow has no reverse entry
        in.testRun(tcp("10.0.1.31", 48000, "11.0.0.3", 80, SYN, 1, 0, new byte[0]));
        assertTrue(!hasReverseEntry("10.0.5.2", 8080, "10.0.1.31", 48000));
        // the same endpoint behind 11.0.0.4: marked shared, and from now on flows keep reverse entries
        in.testRun(tcp("10.0.1.31", 48001, "11.0.0.4", 80, SYN, 1, 0, new byte[0]));
        assertTrue(hasReverseEntry("10.0.5.2", 8080, "10.0.1.31", 48001));
        in.testRun(tcp("10.0.1.31", 48002, "11.0.0.3", 80, SYN, 1, 0, new byte[0]));
        assertTrue(hasReverseEntry("10.0.5.2", 8080, "10.0.1.31", 48002));
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(Abi.BACKEND_VIP_SHARED, backendVip("10.0.5.2", 8080, arena).flags() & Abi.BACKEND_VIP_SHARED);
        }
        int[] ports = {48000, 48001, 48002};
        String[] vips = {"11.0.0.3", "11.0.0.4", "11.0.0.3"};
        for (int i = 0; i < ports.length; i++) {
            byte[] reply = tcp("10.0.5.2", 8080, "10.0.1.31", ports[i], SYN | ACK, 9, 2, new byte[0]);
            TestRun run = out.testRun(reply);
            assertEquals(TCX_PASS, run.returnValue());
            assertArrayEquals(tcp(vips[i], 80, "10.0.1.31", ports[i], SYN | ACK, 9, 2, new byte[0]), run.dataOut(),
                    "the reply to port " + ports[i] + " comes from " + vips[i]);
        }
    }

    /**
     * RFC 1624's difference of replacing the 16-bit words of from by those of to, folded, zero as 0xffff; the words
     * read as the data plane loads them on this (little-endian) host: RFC 1071 section 2(B), the sum is byte-order
     * independent up to a swap of its two bytes.
     */
    static int foldedDifference(byte[] from, byte[] to) {
        long sum = 0;
        for (int i = 0; i < from.length; i += 2) {
            sum += (~(((from[i + 1] & 0xff) << 8) | (from[i] & 0xff))) & 0xffff;
            sum += ((to[i + 1] & 0xff) << 8) | (to[i] & 0xff);
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return sum == 0 ? 0xffff : (int) sum;
    }

    @Test
    void trackedPacketsUseTheChecksumDifferenceStoredInTheFlow() {
        LbTestSupport.assumeRoot();
        BpfProgram in = plane.program("lb_tc_ingress");
        BpfProgram xdp = plane.program("lb_xdp_ingress");
        in.testRun(tcp("10.0.1.40", 49000, "11.0.0.1", 80, SYN, 1, 0, new byte[0]));
        try (Arena arena = Arena.ofConfined()) {
            LbFlowKey key = flowKey4(arena, "10.0.1.40", 49000, "11.0.0.1", 80, 6);
            LbFlow flow = readFlow(arena, key);
            assertEquals(Abi.FLOW_CSUM, flow.flags() & Abi.FLOW_CSUM, "the difference is stored");
            // 10.0.1.40 -> 11.0.0.1 becomes 10.0.1.40 -> 10.0.2.2; port 80 becomes 8080
            int addr = foldedDifference(new byte[] {10, 0, 1, 40, 11, 0, 0, 1}, new byte[] {10, 0, 1, 40, 10, 0, 2, 2});
            int ports = foldedDifference(new byte[] {(byte) (49000 >> 8), (byte) 49000, 0, 80},
                    new byte[] {(byte) (49000 >> 8), (byte) 49000, 8080 >> 8, (byte) 8080});
            assertEquals(addr << 16 | ports, flow.csumDiff());

            byte[] ack = tcp("10.0.1.40", 49000, "11.0.0.1", 80, ACK, 2, 1, HELLO);
            byte[] expected = tcp("10.0.1.40", 49000, "10.0.2.2", 8080, ACK, 2, 1, HELLO);
            assertArrayEquals(expected, in.testRun(ack).dataOut());
            assertArrayEquals(expected, xdp.testRun(ack).dataOut());

            // a wrong stored difference shows in the output: the programs use it rather than computing their own
            flowTable.put(key.segment(), flow.csumDiff(flow.csumDiff() ^ 0x0001_0000).segment(), System.nanoTime());
            assertTrue(!checksumsValid(in.testRun(ack).dataOut()), "tc used the stored difference");
            assertTrue(!checksumsValid(xdp.testRun(ack).dataOut()), "xdp used the stored difference");

            // an entry written by an older program (no LB_FLOW_F_CSUM, zero difference) is computed per packet
            flowTable.put(key.segment(), flow.flags(flow.flags() & ~Abi.FLOW_CSUM).csumDiff(0).segment(), System.nanoTime());
            assertArrayEquals(expected, in.testRun(ack).dataOut());
            assertArrayEquals(expected, xdp.testRun(ack).dataOut());
        }
    }

    /**
     * The counters the agent's passive health rule reads (BackendHealth): a flow's first packet counts a new flow of
     * its backend, its first reply a replied flow, once, whichever of the backend's packets follow; every packet
     * counts once, either way.
     */
    @Test
    void aNewFlowAndItsFirstReplyAreEachCountedOnceForTheBackend() {
        LbTestSupport.assumeRoot();
        int backend = Reconciler.recover(tables, 1000).backendId(Endpoint.parse("10.0.2.2:8080"));
        BpfProgram in = plane.program("lb_tc_ingress");
        BpfProgram out = plane.program("lb_tc_egress");
        LbCounters.Totals before = counters.backend(backend);
        in.testRun(tcp("10.0.1.14", 44100, "11.0.0.1", 80, SYN, 1, 0, new byte[0]));
        LbCounters.Totals opened = counters.backend(backend);
        assertEquals(1, opened.newFlows() - before.newFlows(), "the SYN opened a flow");
        assertEquals(0, opened.refusedOrReplied() - before.refusedOrReplied(), "no reply yet");
        in.testRun(tcp("10.0.1.14", 44100, "11.0.0.1", 80, ACK, 2, 1, new byte[0]));
        out.testRun(tcp("10.0.2.2", 8080, "10.0.1.14", 44100, SYN | ACK, 1, 2, new byte[0]));
        out.testRun(tcp("10.0.2.2", 8080, "10.0.1.14", 44100, ACK, 2, 2, HELLO));
        LbCounters.Totals after = counters.backend(backend);
        assertEquals(1, after.newFlows() - before.newFlows(), "one flow");
        assertEquals(1, after.refusedOrReplied() - before.refusedOrReplied(), "its first reply, once");
        assertEquals(4, after.packets() - before.packets(), "two packets each way, each counted once");
    }

    /**
     * No program writes lb_events (kept defined and pinned for earlier versions): a new flow and its replies, in tc
     * and in xdp, and a refused flow leave it empty.
     */
    @Test
    void noPacketPutsARecordInTheEventRing() {
        LbTestSupport.assumeRoot();
        BpfProgram in = plane.program("lb_tc_ingress");
        BpfProgram out = plane.program("lb_tc_egress");
        BpfProgram xdp = plane.program("lb_xdp_ingress");
        try (RingBuffer ring = RingBuffer.open(plane.map("lb_events"))) {
            ring.consume((data, offset, length) -> { });
            in.testRun(tcp("10.0.1.15", 44200, "11.0.0.1", 80, SYN, 1, 0, new byte[0]));
            out.testRun(tcp("10.0.2.2", 8080, "10.0.1.15", 44200, SYN | ACK, 1, 2, new byte[0]));
            xdp.testRun(tcp("10.0.1.15", 44201, "11.0.0.1", 80, SYN, 1, 0, new byte[0]));
            out.testRun(tcp("10.0.2.2", 8080, "10.0.1.15", 44201, SYN | ACK, 1, 2, new byte[0]));
            assertEquals(TC_ACT_REDIRECT,
                    in.testRun(tcp("10.0.1.15", 44202, "11.0.0.9", 80, SYN, 1, 0, new byte[0])).returnValue(),
                    "refused");
            xdp.testRun(tcp("10.0.1.15", 44203, "11.0.0.9", 80, SYN, 1, 0, new byte[0]));
            assertEquals(0, ring.consume((data, offset, length) -> { }), "records in lb_events");
        }
    }

    @Test
    void vipChangesReachTheProgramsWithoutTouchingTrackedFlows() {
        LbTestSupport.assumeRoot();
        BpfProgram in = plane.program("lb_tc_ingress");
        byte[] first = tcp("10.0.1.8", 43000, "11.0.0.1", 80, SYN, 1, 0, new byte[0]);
        assertArrayEquals(tcp("10.0.1.8", 43000, "10.0.2.2", 8080, SYN, 1, 0, new byte[0]), in.testRun(first).dataOut());
        DesiredState moved = DesiredStateJson.parse(STATE.replace("\"10.0.2.2:8080\"", "\"10.0.3.2:8080\""));
        Reconciler.Report report = Reconciler.recover(tables, 1000).apply(moved);
        assertEquals(1, report.changed());
        // the tracked flow stays on its backend; a new flow goes to the new one
        assertArrayEquals(tcp("10.0.1.8", 43000, "10.0.2.2", 8080, ACK, 2, 1, new byte[0]),
                in.testRun(tcp("10.0.1.8", 43000, "11.0.0.1", 80, ACK, 2, 1, new byte[0])).dataOut());
        assertArrayEquals(tcp("10.0.1.8", 43001, "10.0.3.2", 8080, SYN, 1, 0, new byte[0]),
                in.testRun(tcp("10.0.1.8", 43001, "11.0.0.1", 80, SYN, 1, 0, new byte[0])).dataOut());
        Reconciler.recover(tables, 1000).apply(DesiredStateJson.parse(STATE));
    }

    /** The address filters' bit of an IPv4 address (lb_addr_filter_bit). */
    static int addressBit(String address) {
        try (Arena arena = Arena.ofConfined()) {
            LbVipKey key = LbVipKey.CODEC.newFlyweight();
            key.wrap(arena.allocate(LbVipKey.LAYOUT), 0);
            key.clear().addr(InetAddress.ofLiteral(address));
            return Abi.addressFilterBit(key.segment(), 0);
        }
    }

    /** An address filter's word index holding the bit of an IPv4 address, the word, and that bit's mask. */
    static long[] filterWordAndMask(String filter, String address) {
        return filterWordAndMask(plane, filter, address);
    }

    static long[] filterWordAndMask(LbDataPlane plane, String filter, String address) {
        int bit = addressBit(address);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment index = arena.allocate(JAVA_INT);
            index.set(JAVA_INT, 0, bit >>> 6);
            MemorySegment word = arena.allocate(JAVA_LONG);
            assertTrue(plane.map(filter).get(index, word));
            return new long[] {bit >>> 6, word.get(JAVA_LONG, 0), 1L << (bit & 63)};
        }
    }

    static void writeFilterWord(String filter, int index, long value) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            key.set(JAVA_INT, 0, index);
            MemorySegment word = arena.allocate(JAVA_LONG);
            word.set(JAVA_LONG, 0, value);
            plane.map(filter).put(key, word);
        }
    }

    @Test
    void ingressLooksNoFurtherThanTheVipFilterForAddressesNoVipHas() {
        LbTestSupport.assumeRoot();
        BpfProgram in = plane.program("lb_tc_ingress");
        in.testRun(tcp("10.0.1.41", 44100, "11.0.0.1", 80, SYN, 1, 0, new byte[0]));
        byte[] ack = tcp("10.0.1.41", 44100, "11.0.0.1", 80, ACK, 2, 1, new byte[0]);
        assertArrayEquals(tcp("10.0.1.41", 44100, "10.0.2.2", 8080, ACK, 2, 1, new byte[0]), in.testRun(ack).dataOut());
        assertEquals(Abi.ADDR_FILTER_WORDS, plane.map("lb_vip_filter").maxEntries(), "LB_ADDR_FILTER_WORDS");
        long[] filter = filterWordAndMask("lb_vip_filter", "11.0.0.1");
        assertTrue((filter[1] & filter[2]) != 0, "an installed VIP's address has its bit");
        // with the bit cleared, the program passes the tracked flow's packet without looking the flow up
        writeFilterWord("lb_vip_filter", (int) filter[0], filter[1] & ~filter[2]);
        TestRun passed = in.testRun(ack);
        assertEquals(TCX_NEXT, passed.returnValue());
        assertArrayEquals(ack, passed.dataOut());
        // tables opened over these pins (an agent restart) set the bits of every installed VIP again
        new KernelLbTables(plane).close();
        assertEquals(filter[1], filterWordAndMask("lb_vip_filter", "11.0.0.1")[1]);
        assertArrayEquals(tcp("10.0.1.41", 44100, "10.0.2.2", 8080, ACK, 2, 1, new byte[0]), in.testRun(ack).dataOut());
    }

    @Test
    void egressLooksNoFurtherThanTheBackendFilterForSourcesNoBackendHas() {
        LbTestSupport.assumeRoot();
        BpfProgram in = plane.program("lb_tc_ingress");
        BpfProgram out = plane.program("lb_tc_egress");
        in.testRun(tcp("10.0.1.43", 44300, "11.0.0.1", 80, SYN, 1, 0, new byte[0]));
        byte[] reply = tcp("10.0.2.2", 8080, "10.0.1.43", 44300, SYN | ACK, 9, 2, new byte[0]);
        byte[] natted = tcp("11.0.0.1", 80, "10.0.1.43", 44300, SYN | ACK, 9, 2, new byte[0]);
        assertArrayEquals(natted, out.testRun(reply).dataOut());
        long[] filter = filterWordAndMask("lb_backend_filter", "10.0.2.2");
        assertTrue((filter[1] & filter[2]) != 0, "an installed backend's address has its bit");
        writeFilterWord("lb_backend_filter", (int) filter[0], filter[1] & ~filter[2]);
        TestRun passed = out.testRun(reply);
        assertEquals(TCX_NEXT, passed.returnValue(), "with the bit clear the source is taken for no backend");
        assertArrayEquals(reply, passed.dataOut());
        new KernelLbTables(plane).close();
        assertEquals(filter[1], filterWordAndMask("lb_backend_filter", "10.0.2.2")[1], "reopened tables set it again");
        assertArrayEquals(natted, out.testRun(reply).dataOut());
    }

    @Test
    void aSynOnAReusedClientPortPicksAfreshAndRewritesTheOldEntryInPlace() {
        LbTestSupport.assumeRoot();
        BpfProgram in = plane.program("lb_tc_ingress");
        byte[] syn = tcp("10.0.1.44", 44400, "11.0.0.1", 80, SYN, 1, 0, new byte[0]);
        assertArrayEquals(tcp("10.0.1.44", 44400, "10.0.2.2", 8080, SYN, 1, 0, new byte[0]), in.testRun(syn).dataOut());
        in.testRun(tcp("10.0.1.44", 44400, "11.0.0.1", 80, FIN | ACK, 2, 1, new byte[0]));
        Reconciler.recover(tables, 1000).apply(DesiredStateJson.parse(STATE.replace("\"10.0.2.2:8080\"", "\"10.0.3.2:8080\"")));
        try (Arena arena = Arena.ofConfined()) {
            LbFlowKey key = flowKey4(arena, "10.0.1.44", 44400, "11.0.0.1", 80, 6);
            assertTrue((readFlow(arena, key).flags() & Abi.FLOW_CLOSING) != 0);
            // the client port comes back (TIME_WAIT reused): the new connection follows the current table
            assertArrayEquals(tcp("10.0.1.44", 44400, "10.0.3.2", 8080, SYN, 7, 0, new byte[0]),
                    in.testRun(tcp("10.0.1.44", 44400, "11.0.0.1", 80, SYN, 7, 0, new byte[0])).dataOut());
            LbFlow flow = readFlow(arena, key);
            assertEquals(InetAddress.ofLiteral("10.0.3.2"), flow.backendAddr(Abi.AF_INET));
            assertEquals(0, flow.flags() & (Abi.FLOW_CLOSING | Abi.FLOW_REPLIED), "the old connection's flags are gone");
            assertArrayEquals(tcp("10.0.1.44", 44400, "10.0.3.2", 8080, ACK, 8, 1, new byte[0]),
                    in.testRun(tcp("10.0.1.44", 44400, "11.0.0.1", 80, ACK, 8, 1, new byte[0])).dataOut());
        } finally {
            Reconciler.recover(tables, 1000).apply(DesiredStateJson.parse(STATE));
        }
    }

    @Test
    void aRemovedVipsTrackedFlowsGoOnWhileItTakesNoNewOnes() {
        LbTestSupport.assumeRoot();
        BpfProgram in = plane.program("lb_tc_ingress");
        in.testRun(tcp("10.0.1.42", 44200, "11.0.0.5", 80, SYN, 1, 0, new byte[0]));
        // 11.0.0.5 is the address of no other VIP
        String without = STATE.replace(",\n  {\"vip\": \"11.0.0.5:80\", \"protocol\": \"tcp\", \"backends\": [{\"endpoint\": \"10.0.6.2:8080\"}]}", "");
        assertTrue(!without.equals(STATE) && !without.contains("11.0.0.5"));
        Reconciler.recover(tables, 1000).apply(DesiredStateJson.parse(without));
        try {
            assertArrayEquals(tcp("10.0.1.42", 44200, "10.0.6.2", 8080, ACK, 2, 1, new byte[0]),
                    in.testRun(tcp("10.0.1.42", 44200, "11.0.0.5", 80, ACK, 2, 1, new byte[0])).dataOut(),
                    "the established flow keeps its backend (the address keeps its filter bit)");
            byte[] syn = tcp("10.0.1.42", 44201, "11.0.0.5", 80, SYN, 1, 0, new byte[0]);
            long[] dropsBefore = counters.drops();
            TestRun fresh = in.testRun(syn);
            assertEquals(TCX_NEXT, fresh.returnValue(), "a new connection to the removed VIP is not ours");
            assertArrayEquals(syn, fresh.dataOut());
            assertDropsMoved(dropsBefore, counters.drops(), LbDropReason.NO_VIP);
        } finally {
            Reconciler.recover(tables, 1000).apply(DesiredStateJson.parse(STATE));
        }
    }

    @Test
    void anEndpointLbBackendVipsHasNoRoomForKeepsReverseEntriesThatEgressLooksUp() {
        LbTestSupport.assumeRoot();
        Path otherPins = LbTestSupport.pinDirectory("ptf");
        LbDataPlane own = LbDataPlane.open(LbSettings.forTests(otherPins));
        try (KernelLbTables ownTables = new KernelLbTables(own); Arena arena = Arena.ofConfined()) {
            Reconciler.recover(ownTables, 1000).apply(DesiredStateJson.parse(
                    "{\"vips\": [{\"vip\": \"11.0.0.7:80\", \"backends\": [{\"endpoint\": \"10.0.7.2:8080\"}]}]}"));
            BpfProgram in = own.program("lb_tc_ingress");
            BpfProgram out = own.program("lb_tc_egress");
            // a reverse entry no lb_backend_vips record points at is not looked up while lb_state says none exist
            LbFlowKey orphanKey = flowKey4(arena, "10.0.8.2", 8080, "10.0.1.51", 49100, 6);
            LbReverseNat orphan = LbReverseNat.CODEC.newFlyweight();
            orphan.wrap(arena.allocate(LbReverseNat.LAYOUT), 0);
            orphan.clear().vipAddr(InetAddress.ofLiteral("11.0.0.8")).clientAddr(InetAddress.ofLiteral("10.0.1.51"))
                    .vipPort(80).expiresNs(Long.MAX_VALUE);
            own.map("lb_reverse").put(orphanKey.segment(), orphan.segment());
            byte[] orphanReply = tcp("10.0.8.2", 8080, "10.0.1.51", 49100, ACK, 5, 5, new byte[0]);
            assertEquals(TCX_NEXT, out.testRun(orphanReply).returnValue());
            // fill lb_backend_vips with other endpoints: the first flow to 10.0.7.2:8080 cannot record its VIP
            var endpoints = own.map("lb_backend_vips");
            int n = endpoints.maxEntries();
            long keySize = LbVipKey.LAYOUT.byteSize();
            long valueSize = LbBackendVip.LAYOUT.byteSize();
            MemorySegment keys = arena.allocate(keySize * n, 8);
            MemorySegment values = arena.allocate(valueSize * n, 8);
            LbVipKey key = LbVipKey.CODEC.newFlyweight();
            for (int i = 0; i < n; i++) {
                key.wrap(keys, i * keySize);
                key.addr(InetAddress.ofLiteral("10.99." + (i >> 8 & 0xff) + "." + (i & 0xff))).port(1 + (i >> 16))
                        .proto(6).family(Abi.AF_INET);
            }
            assertEquals(n, endpoints.updateBatch(keys, values, n, 0));
            assertArrayEquals(tcp("10.0.1.50", 49000, "10.0.7.2", 8080, SYN, 1, 0, new byte[0]),
                    in.testRun(tcp("10.0.1.50", 49000, "11.0.0.7", 80, SYN, 1, 0, new byte[0])).dataOut());
            assertTrue(backendVipIn(own, "10.0.7.2", 8080, arena) == null, "no room to record the endpoint");
            MemorySegment zero = arena.allocate(JAVA_INT);
            MemorySegment flags = arena.allocate(JAVA_LONG);
            assertTrue(own.map("lb_state").get(zero, flags));
            assertEquals(Abi.STATE_REVERSE_UNINDEXED, flags.get(JAVA_LONG, 0), "the data plane says so in lb_state");
            assertArrayEquals(tcp("11.0.0.7", 80, "10.0.1.50", 49000, SYN | ACK, 9, 2, new byte[0]),
                    out.testRun(tcp("10.0.7.2", 8080, "10.0.1.50", 49000, SYN | ACK, 9, 2, new byte[0])).dataOut(),
                    "the reply finds the flow's own reverse entry");
            assertArrayEquals(tcp("11.0.0.8", 80, "10.0.1.51", 49100, ACK, 5, 5, new byte[0]),
                    out.testRun(orphanReply).dataOut(), "and so does every unindexed reverse entry, from now on");
        } finally {
            own.unpin();
            own.close();
            LbTestSupport.deleteTree(otherPins);
        }
    }
}
