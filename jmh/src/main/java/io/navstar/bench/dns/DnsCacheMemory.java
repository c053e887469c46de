package io.navstar.bench.dns;

import io.navstar.dns.cache.AnswerCache;
import io.navstar.dns.cache.CacheEntry;
import io.navstar.dns.cache.CacheKey;
import io.navstar.dns.wire.Names;
import io.navstar.dns.wire.ResponseScan;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Heap used by the answer cache holding N forwarded answers (default 1,000,000): fills an
 * {@link AnswerCache} with realistic entries (a name like {@code host123456.example.com}, two A
 * records, as an upstream sends them), then prints heap used after full GCs and bytes per entry,
 * next to the cache's own estimate (which its byte bound enforces).
 * Run: {@code java -Xmx4g -cp benchmarks.jar io.navstar.bench.dns.DnsCacheMemory [N]}.
 */
public final class DnsCacheMemory {
    private DnsCacheMemory() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long before = usedAfterGc(memory);
        AnswerCache cache = new AnswerCache(n, Long.MAX_VALUE);
        ResponseScan scan = new ResponseScan();
        CacheKey probe = CacheKey.probe();
        long now = System.nanoTime();
        for (int i = 0; i < n; i++) {
            String name = "host" + i + ".example.com";
            byte[] response = upstreamResponse(name);
            byte[] qname = Names.toWire(name);
            ByteBuf buf = Unpooled.wrappedBuffer(response);
            if (!scan.scan(buf, 0, response.length, qname, qname.length, 1, 1)) {
                throw new IllegalStateException(String.valueOf(scan.error()));
            }
            CacheEntry entry = CacheEntry.fromResponse(buf, 0, response.length, scan, qname.length, now, 86400, 3600,
                    86_400_000_000_000L);
            cache.put(probe.set(qname, qname.length, Names.hash(qname, 0, qname.length), 1, 1).copy(), entry);
        }
        long after = usedAfterGc(memory);
        long used = after - before;
        System.out.printf("cache entries %,d  heap used %,d bytes (%.1f MiB)  %.0f bytes/entry  (cache estimate %.0f bytes/entry)%n",
                cache.size(), used, used / 1048576.0, (double) used / cache.size(), (double) cache.bytes() / cache.size());
    }

    /** What an upstream returns for name/A: two A records and its OPT. */
    public static byte[] upstreamResponse(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[]{0x55, 0x55, (byte) 0x81, (byte) 0x80, 0, 1, 0, 2, 0, 0, 0, 1});
        out.writeBytes(Names.toWire(name));
        out.writeBytes(new byte[]{0, 1, 0, 1});
        for (int i = 1; i <= 2; i++) {
            out.writeBytes(new byte[]{(byte) 0xC0, 12, 0, 1, 0, 1, 0, 0, 0x0E, 0x10, 0, 4, (byte) 192, 0, 2, (byte) i});
        }
        out.writeBytes(new byte[]{0, 0, 41, 0x04, (byte) 0xD0, 0, 0, 0, 0, 0, 0});
        return out.toByteArray();
    }

    private static long usedAfterGc(MemoryMXBean memory) {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
