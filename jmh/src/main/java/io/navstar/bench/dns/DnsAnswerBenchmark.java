package io.navstar.bench.dns;

import io.navstar.dns.cache.AnswerCache;
import io.navstar.dns.cache.CacheEntry;
import io.navstar.dns.cache.CacheKey;
import io.navstar.dns.metrics.DnsMetrics;
import io.navstar.dns.metrics.QueryCounters;
import io.navstar.dns.server.DnsConfig;
import io.navstar.dns.server.QueryEngine;
import io.navstar.dns.upstream.ForwardZones;
import io.navstar.dns.upstream.UpstreamGroup;
import io.navstar.dns.wire.DnsQuery;
import io.navstar.dns.wire.Names;
import io.navstar.dns.wire.ResponseScan;
import io.navstar.dns.zone.LocalZones;
import io.navstar.dns.zone.ZoneSnapshot;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The per-query path of the DNS server without sockets: decode the query, look up the local zone or
 * the cache, encode the answer into a reused buffer (as the UDP socket gives the engine). Run with
 * {@code -prof gc}: every benchmark should show ~0 B/op (no allocation per query in steady state).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DnsAnswerBenchmark {
    private static final int NAMES = 10_000;

    private QueryEngine engine;
    private ByteBufAllocator alloc;
    private InetSocketAddress client;
    private ByteBuf localQuery;
    private ByteBuf localQueryEdns;
    private ByteBuf nxQuery;
    private ByteBuf cachedQuery;
    private ByteBuf srvQuery;
    private final DnsQuery decoder = new DnsQuery();
    private final ByteBuf out = Unpooled.directBuffer(4096);

    @Setup
    public void setup() {
        ZoneSnapshot.Builder zones = ZoneSnapshot.builder().zone(DnsConfig.DEFAULT_DOMAIN);
        for (int i = 0; i < NAMES; i++) {
            zones.address("svc" + i + ".marathon.l4lb.thisdcos.directory", "11.0." + (i >> 8) + "." + (i & 255), 60);
        }
        zones.add("_svc1._tcp.marathon.thisdcos.directory",
                io.navstar.dns.zone.RecordData.srv(0, 1, 80, "svc1.marathon.l4lb.thisdcos.directory", 60));
        DnsConfig config = DnsConfig.loopback("127.0.0.1", 0, List.of());
        DnsMetrics metrics = new DnsMetrics();
        AnswerCache cache = new AnswerCache(1_000_000, 1L << 30);
        ForwardZones forward = new ForwardZones(Map.of(), new UpstreamGroup(".", List.of(), new QueryCounters(".")));
        engine = new QueryEngine(config, new LocalZones(zones.build()), cache, forward, metrics);
        alloc = PooledByteBufAllocator.DEFAULT;
        client = new InetSocketAddress("127.0.0.1", 40000);
        localQuery = direct(query("Svc42.marathon.l4lb.thisdcos.directory", 1, false));
        localQueryEdns = direct(query("svc4242.marathon.l4lb.thisdcos.directory", 1, true));
        nxQuery = direct(query("missing.marathon.l4lb.thisdcos.directory", 1, false));
        srvQuery = direct(query("_svc1._tcp.marathon.thisdcos.directory", 33, true));
        cachedQuery = direct(query("www.example.com", 1, false));
        byte[] response = DnsCacheMemory.upstreamResponse("www.example.com");
        ResponseScan scan = new ResponseScan();
        byte[] qname = Names.toWire("www.example.com");
        if (!scan.scan(Unpooled.wrappedBuffer(response), 0, response.length, qname, qname.length, 1, 1)) {
            throw new IllegalStateException("bad canned response: " + scan.error());
        }
        CacheEntry entry = CacheEntry.fromResponse(Unpooled.wrappedBuffer(response), 0, response.length, scan,
                qname.length, System.nanoTime(), 86400, 3600, 86_400_000_000_000L);
        cache.put(CacheKey.probe().set(qname, qname.length, Names.hash(qname, 0, qname.length), 1, 1).copy(), entry);
    }

    @Benchmark
    public int decodeQuery() {
        return decoder.decode(localQuery, 0, localQuery.readableBytes()) + decoder.nameLength();
    }

    @Benchmark
    public int localA() {
        return answer(localQuery);
    }

    @Benchmark
    public int localAWithEdns() {
        return answer(localQueryEdns);
    }

    @Benchmark
    public int localNxdomainWithSoa() {
        return answer(nxQuery);
    }

    @Benchmark
    public int localSrvWithAdditional() {
        return answer(srvQuery);
    }

    @Benchmark
    public int cacheHit() {
        return answer(cachedQuery);
    }

    /**
     * The same as {@link #localA} but taking a pooled buffer per answer as the server does. On an
     * event loop (a netty FastThreadLocalThread) the buffer's handle is recycled; on JMH's plain thread
     * netty's Recycler does not recycle, so this shows the allocator's cost, not the server's.
     */
    @Benchmark
    public int localAPooledBufferOffEventLoop() {
        ByteBuf r = alloc.ioBuffer(512);
        int size = engine.answerInto(r, localQuery, 0, localQuery.readableBytes(), client);
        r.release();
        return size;
    }

    private int answer(ByteBuf query) {
        out.clear();
        return engine.answerInto(out, query, 0, query.readableBytes(), client);
    }

    private static ByteBuf direct(byte[] bytes) {
        ByteBuf b = Unpooled.directBuffer(bytes.length);
        b.writeBytes(bytes);
        return b;
    }

    private static byte[] query(String name, int type, boolean edns) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[]{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, (byte) (edns ? 1 : 0)});
        for (String label : name.split("\\.")) {
            out.write(label.length());
            out.writeBytes(label.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        out.write(0);
        out.writeBytes(new byte[]{0, (byte) type, 0, 1});
        if (edns) {
            out.writeBytes(new byte[]{0, 0, 41, 0x04, (byte) 0xD0, 0, 0, 0, 0, 0, 0});
        }
        return out.toByteArray();
    }
}
