package io.navstar.bench.agent;

import io.navstar.agent.lb.abi.Abi;
import io.navstar.agent.lb.abi.LbVipInfo;
import io.navstar.agent.lb.abi.LbVipKey;
import io.navstar.agent.lb.model.Protocol;
import io.navstar.loader.BpfMap;
import io.navstar.sys.NetworkNamespace;
import io.netty.buffer.ByteBuf;
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
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.DatagramSocket;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Watches one node of an nscluster cluster for a named VIP: its key in the node's pinned {@code lb_vips} map with a
 * Maglev table (table_size &gt; 0: the backend is in the kernel), and its name answered with its address by the
 * node's Spartan, both polled every {@link #POLL_NANOS} from one thread that lives inside the node's network
 * namespace (a socket keeps the namespace it was made in, so the DNS socket and the API requests made there reach
 * this node's 198.51.100.1 and 127.0.0.1). Spartan is asked only once the map holds the VIP: the agent publishes
 * zones right after applying the maps, and asking ten Spartans a thousand times a second each would load the
 * machine being measured.
 *
 * <p>Threading: {@link #watch}, {@link #await}, {@link #inNamespace} and {@link #close} from the harness thread;
 * the polling, the DNS socket and the API requests run on the probe's own thread.
 */
final class NodeProbe implements AutoCloseable {
    /** How often the map (and then DNS) is polled. */
    static final long POLL_NANOS = 1_000_000;
    /** How long one DNS query waits for its answer before the next poll asks again. */
    private static final int DNS_TIMEOUT_MILLIS = 20;
    private static final InetSocketAddress SPARTAN = new InetSocketAddress("198.51.100.1", 53);
    private static final int API_PORT = 62080;

    /** What to look for, and when each half was first seen (System.nanoTime, 0 until then). */
    static final class Watch {
        final InetAddress address;
        final int port;
        final String dnsName;
        final CountDownLatch done = new CountDownLatch(1);
        volatile long mapSeen;
        volatile long dnsSeen;

        Watch(InetAddress address, int port, String dnsName) {
            this.address = address;
            this.port = port;
            this.dnsName = dnsName;
        }

        /** When the node had both, or 0. */
        long bothSeen() {
            return mapSeen == 0 || dnsSeen == 0 ? 0 : Math.max(mapSeen, dnsSeen);
        }
    }

    private final int node;
    private final NetworkNamespace namespace;
    private final BpfMap vips;
    private final BlockingQueue<FutureTask<?>> commands = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile Watch watch;
    private volatile boolean closed;
    private volatile Throwable failure;
    private int queryId;

    /** Opens node {@code node}'s pinned lb_vips and starts polling inside its namespace (nothing to watch yet). */
    NodeProbe(String cluster, int node) {
        this.node = node;
        this.namespace = NetworkNamespace.named(cluster + "-n" + node);
        this.vips = PinnedVips.open(cluster, node);
        this.thread = Thread.ofPlatform().name("probe n" + node).start(() -> {
            try {
                namespace.run(() -> {
                    poll();
                    return null;
                });
            } catch (Throwable t) {
                failure = t;
            }
        });
    }

    int node() {
        return node;
    }

    /** How many VIPs the node's lb_vips holds now. */
    int vipCount() {
        return PinnedVips.count(vips);
    }

    /** From now on, watches for {@code target} (replacing any earlier watch). */
    void watch(Watch target) {
        watch = target;
    }

    /** Waits until the watched VIP is both in the map and in DNS; false on timeout. */
    boolean await(Watch target, long timeoutMillis) throws InterruptedException {
        if (failure != null) {
            throw new IllegalStateException("probe of n" + node + " failed", failure);
        }
        return target.done.await(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** Runs {@code task} on the probe's thread, inside the node's namespace, and returns its result. */
    <T> T inNamespace(Callable<T> task) throws Exception {
        FutureTask<T> future = new FutureTask<>(task);
        commands.add(future);
        LockSupport.unpark(thread);
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /**
     * POSTs {@code body} to this node's {@code /v1/tasks} (from inside its namespace, no connection kept); returns
     * System.nanoTime just before the request was sent.
     */
    long postTask(String body) throws Exception {
        return inNamespace(() -> {
            HttpURLConnection http = (HttpURLConnection) URI.create("http://127.0.0.1:" + API_PORT + "/v1/tasks").toURL()
                    .openConnection();
            http.setRequestMethod("POST");
            http.setDoOutput(true);
            http.setRequestProperty("Content-Type", "application/json");
            http.setRequestProperty("Connection", "close"); // 127.0.0.1:62080 is another agent in every namespace
            http.setConnectTimeout(5_000);
            http.setReadTimeout(10_000);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            http.setFixedLengthStreamingMode(bytes.length);
            long sent = System.nanoTime();
            try (var out = http.getOutputStream()) {
                out.write(bytes);
            }
            int status = http.getResponseCode();
            if (status != 201) {
                throw new IOException("POST /v1/tasks on n" + node + ": HTTP " + status);
            }
            http.getInputStream().readAllBytes();
            http.disconnect();
            return sent;
        });
    }

    private void poll() throws IOException {
        EmbeddedChannel dnsCodec = new EmbeddedChannel(new DatagramDnsQueryEncoder(), new DatagramDnsResponseDecoder());
        InetSocketAddress local = new InetSocketAddress(0);
        try (Arena arena = Arena.ofConfined(); DatagramSocket dns = new DatagramSocket()) {
            dns.connect(SPARTAN);
            dns.setSoTimeout(DNS_TIMEOUT_MILLIS);
            MemorySegment key = arena.allocate(LbVipKey.LAYOUT);
            MemorySegment value = arena.allocate(LbVipInfo.LAYOUT);
            LbVipKey vipKey = (LbVipKey) LbVipKey.CODEC.newFlyweight().wrap(key, 0);
            LbVipInfo vipInfo = (LbVipInfo) LbVipInfo.CODEC.newFlyweight().wrap(value, 0);
            byte[] receive = new byte[1500];
            Watch current = null;
            while (!closed) {
                FutureTask<?> command;
                while ((command = commands.poll()) != null) {
                    command.run();
                }
                Watch target = watch;
                if (target != current) {
                    current = target;
                    if (target != null) {
                        vipKey.clear().addr(target.address).port(target.port).proto(Protocol.TCP.number())
                                .family(Abi.AF_INET);
                    }
                }
                if (current != null && current.done.getCount() > 0) {
                    if (current.mapSeen == 0 && vips.lookup(key, value) == 0 && vipInfo.tableSize() > 0) {
                        current.mapSeen = System.nanoTime();
                    }
                    if (current.mapSeen != 0 && current.dnsSeen == 0
                            && answers(dns, dnsCodec, current, receive, local)) {
                        current.dnsSeen = System.nanoTime();
                    }
                    if (current.bothSeen() != 0) {
                        current.done.countDown();
                    }
                }
                LockSupport.parkNanos(POLL_NANOS);
            }
        } finally {
            dnsCodec.finishAndReleaseAll();
        }
    }

    private byte[] encodeQuery(EmbeddedChannel codec, String name, InetSocketAddress local) {
        queryId = (queryId + 1) & 0xFFFF;
        DatagramDnsQuery query = new DatagramDnsQuery(local, SPARTAN, queryId);
        query.setRecursionDesired(true);
        query.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(name, DnsRecordType.A));
        codec.writeOutbound(query);
        DatagramPacket packet = codec.readOutbound();
        try {
            return ByteBufUtil.getBytes(packet.content());
        } finally {
            packet.release();
        }
    }

    /** Asks Spartan once (a fresh id); true when it answers NOERROR with an A record of the VIP's address. */
    private boolean answers(DatagramSocket dns, EmbeddedChannel codec, Watch target, byte[] receive,
                            InetSocketAddress local) throws IOException {
        byte[] query = encodeQuery(codec, target.dnsName, local);
        dns.send(new java.net.DatagramPacket(query, query.length));
        java.net.DatagramPacket reply = new java.net.DatagramPacket(receive, receive.length);
        while (true) {
            try {
                dns.receive(reply);
            } catch (SocketTimeoutException e) {
                return false;
            }
            ByteBuf content = Unpooled.copiedBuffer(receive, 0, reply.getLength());
            codec.writeInbound(new DatagramPacket(content, local, SPARTAN));
            DatagramDnsResponse response = codec.readInbound();
            if (response == null) {
                continue;
            }
            try {
                if (response.id() != queryId) {
                    continue; // a late answer to an earlier poll
                }
                if (response.code() != DnsResponseCode.NOERROR) {
                    return false;
                }
                for (int i = 0; i < response.count(DnsSection.ANSWER); i++) {
                    DnsRecord record = response.recordAt(DnsSection.ANSWER, i);
                    if (record.type() == DnsRecordType.A && record instanceof DnsRawRecord raw
                            && Arrays.equals(ByteBufUtil.getBytes(raw.content()), target.address.getAddress())) {
                        return true;
                    }
                }
                return false;
            } finally {
                response.release();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        vips.close();
    }
}
