package io.navstar.agent.node;

import io.navstar.agent.config.AgentConfig;
import io.navstar.agent.lb.abi.LbConfig;
import io.navstar.loader.BpfMap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryEncoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsSection;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Spartan across an agent restart: after a restart, with the data plane still pinned and serving, the next agent
 * answers a VIP's name from its stored state before it has loaded the data plane again, so queries waiting in the
 * sockets held for it (navstar.socket, navstar-launch) are answered a second or more sooner; on a first start, with
 * nothing pinned, it answers only once the data plane is in the kernel. The data plane's reopening is seen in
 * lb_config, which every load balancer start writes: the test leaves a mark there between the two agents. One agent
 * in this JVM ({@link LocalAgentSetup}); needs root.
 */
class AgentRestartDnsTest {
    private static final String VIP_NAME = "web.marathon.l4lb.thisdcos.directory";
    /** web@marathon's address: the only name in 11.0.0.0/8 (NamedVipAddressesTest.theHashIsFixedForGood). */
    private static final InetAddress VIP_ADDRESS = InetAddress.ofLiteral("11.36.205.229");
    /** A UDP timeout no config gives, written into lb_config between the agents. */
    private static final long MARK = 1;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void answersFromTheStoredStateBeforeReloadingThePinnedDataPlane() throws Exception {
        try (LocalAgentSetup setup = new LocalAgentSetup("restart-dns")) {
            setup.task("web", "/web:80");

            // a first start: nothing is pinned, so Spartan answers only once the data plane is loaded
            FirstAnswer first = startAsking(setup.config, setup.dns, "ready.spartan", null, setup.pins);
            try (NodeAgent agent = first.agent()) {
                assertTrue(first.pinnedWhenAnswered(), "a first start answered before its data plane was pinned");
                awaitVipServed(agent);
            }

            setUdpTimeout(setup.pins, MARK);
            FirstAnswer restart = startAsking(setup.config, setup.dns, VIP_NAME, VIP_ADDRESS, setup.pins);
            try (NodeAgent agent = restart.agent()) {
                assertEquals(MARK, restart.udpTimeoutWhenAnswered(),
                        "the restarted agent answered only after it had loaded the data plane again");
                assertEquals(setup.config.lbSettings().udpTimeout().toNanos(), udpTimeout(setup.pins),
                        "the load balancer's start rewrites lb_config");
            }
        }
    }

    /** The started agent, and what the kernel held when Spartan first answered. */
    private record FirstAnswer(NodeAgent agent, boolean pinnedWhenAnswered, long udpTimeoutWhenAnswered) {
    }

    /** Starts an agent on another thread while asking {@code dns} for {@code name} until it answers. */
    private static FirstAnswer startAsking(AgentConfig config, InetSocketAddress dns, String name, InetAddress expected,
                                           Path pins) throws Exception {
        CompletableFuture<NodeAgent> started = CompletableFuture.supplyAsync(() -> {
            try {
                return NodeAgent.start(config);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        boolean answered = false;
        boolean pinned = false;
        long udpTimeout = -1;
        long deadline = System.nanoTime() + WAIT.toNanos();
        try (DnsClient client = new DnsClient(dns)) {
            while (System.nanoTime() < deadline && !started.isCompletedExceptionally()) {
                if (client.answers(name, expected)) {
                    answered = true;
                    pinned = Files.exists(pins.resolve("lb_vips"));
                    udpTimeout = pinned ? udpTimeout(pins) : -1;
                    break;
                }
                Thread.sleep(1);
            }
        }
        NodeAgent agent = started.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        if (!answered) {
            agent.close();
            throw new AssertionError("no answer for " + name + " within " + WAIT);
        }
        return new FirstAnswer(agent, pinned, udpTimeout);
    }

    private static void awaitVipServed(NodeAgent agent) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            NodeAgent.View view = agent.view();
            if (view.compiled() != null && view.compiled().vips().stream().anyMatch(v -> VIP_NAME.equals(v.dnsName()))) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the agent did not publish and serve /web:80 within " + WAIT);
    }

    private static long udpTimeout(Path pins) {
        try (BpfMap map = BpfMap.openPinned(pins.resolve("lb_config")); Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            LbConfig config = (LbConfig) LbConfig.CODEC.newFlyweight().wrap(arena.allocate(LbConfig.LAYOUT), 0);
            assertTrue(map.get(key, config.segment()));
            return config.udpTimeoutNs();
        }
    }

    private static void setUdpTimeout(Path pins, long nanos) {
        try (BpfMap map = BpfMap.openPinned(pins.resolve("lb_config")); Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            LbConfig config = (LbConfig) LbConfig.CODEC.newFlyweight().wrap(arena.allocate(LbConfig.LAYOUT), 0);
            assertTrue(map.get(key, config.segment()));
            map.put(key, config.udpTimeoutNs(nanos).segment());
        }
    }

    /** Asks one DNS server for A records, through netty's DNS codec; confined to one thread. */
    private static final class DnsClient implements AutoCloseable {
        private final InetSocketAddress server;
        private final DatagramSocket socket;
        private final EmbeddedChannel codec = new EmbeddedChannel(new DatagramDnsQueryEncoder(),
                new DatagramDnsResponseDecoder());
        private final InetSocketAddress local = new InetSocketAddress(0);
        private int id;

        DnsClient(InetSocketAddress server) throws IOException {
            this.server = server;
            this.socket = new DatagramSocket();
            socket.setSoTimeout(20);
        }

        /** True when the server answers NOERROR with an A record ({@code expected}'s, when not null). */
        boolean answers(String name, InetAddress expected) throws IOException {
            id = (id + 1) & 0xFFFF;
            DatagramDnsQuery query = new DatagramDnsQuery(local, server, id);
            query.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(name, DnsRecordType.A));
            codec.writeOutbound(query);
            DatagramPacket packet = codec.readOutbound();
            byte[] bytes = ByteBufUtil.getBytes(packet.content());
            packet.release();
            socket.send(new java.net.DatagramPacket(bytes, bytes.length, server));
            byte[] buffer = new byte[1500];
            java.net.DatagramPacket reply = new java.net.DatagramPacket(buffer, buffer.length);
            while (true) {
                try {
                    socket.receive(reply);
                } catch (IOException noAnswerYet) { // a timeout, or the port is not open yet
                    return false;
                }
                codec.writeInbound(new DatagramPacket(Unpooled.copiedBuffer(buffer, 0, reply.getLength()), local, server));
                DatagramDnsResponse response = codec.readInbound();
                assertNotNull(response);
                try {
                    if (response.id() == id) {
                        return answersA(response, expected);
                    }
                    // a late answer to an earlier query: without skipping it, every later query would read its
                    // predecessor's answer and never match
                } finally {
                    response.release();
                }
            }
        }

        private static boolean answersA(DatagramDnsResponse response, InetAddress expected) {
            for (int i = 0; i < response.count(DnsSection.ANSWER); i++) {
                DnsRecord record = response.recordAt(DnsSection.ANSWER, i);
                if (record.type() == DnsRecordType.A && record instanceof DnsRawRecord raw
                        && (expected == null || Arrays.equals(ByteBufUtil.getBytes(raw.content()), expected.getAddress()))) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public void close() {
            socket.close();
            codec.finishAndReleaseAll();
        }
    }
}
