package io.navstar.dns.cache;

import io.navstar.dns.testing.Messages;
import io.navstar.dns.wire.Names;
import io.navstar.dns.wire.ResponseScan;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import static io.navstar.dns.testing.Messages.bytes;
import static io.navstar.dns.testing.Messages.concat;
import static org.junit.jupiter.api.Assertions.*;

class AnswerCacheTest {
    private static final long SECOND = 1_000_000_000L;

    /** A response to name/A with one A record of {@code ttl} and an OPT record at the end. */
    static byte[] response(String name, long ttl) {
        byte[] q = concat(Names.toWire(name), bytes(0, 1, 0, 1));
        byte[] answer = concat(bytes(0xC0, 12, 0, 1, 0, 1), bytes((int) (ttl >>> 24), (int) (ttl >>> 16),
                (int) (ttl >>> 8), (int) ttl), bytes(0, 4, 192, 0, 2, 1));
        byte[] opt = bytes(0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0);
        return Messages.withHeader(9, 0x8180, 1, 1, 0, 1, concat(q, answer, opt));
    }

    /** NXDOMAIN with an SOA of TTL {@code soaTtl} and MINIMUM {@code minimum}. */
    static byte[] nxdomain(String name, long soaTtl, long minimum) {
        byte[] q = concat(Names.toWire(name), bytes(0, 1, 0, 1));
        byte[] rdata = concat(Names.toWire("ns.example"), Names.toWire("admin.example"),
                bytes(0, 0, 0, 1, 0, 0, 0, 60, 0, 0, 0, 60, 0, 0, 0, 60, 0, 0, 0, (int) minimum));
        byte[] soa = concat(Names.toWire("example"), bytes(0, 6, 0, 1, 0, 0, 0, (int) soaTtl, 0, rdata.length), rdata);
        return Messages.withHeader(9, 0x8183, 1, 0, 1, 0, concat(q, soa));
    }

    static CacheEntry entry(byte[] msg, String name, long now) {
        ResponseScan scan = new ResponseScan();
        byte[] qname = Names.toWire(name);
        assertTrue(scan.scan(Unpooled.wrappedBuffer(msg), 0, msg.length, qname, qname.length, 1, 1), "" + scan.error());
        return CacheEntry.fromResponse(Unpooled.wrappedBuffer(msg), 0, msg.length, scan, qname.length, now, 86400,
                3600, 86400 * SECOND);
    }

    static CacheKey key(String name) {
        byte[] w = Names.toWire(name);
        return CacheKey.probe().set(w, w.length, Names.hash(w, 0, w.length), 1, 1).copy();
    }

    @Test
    void countsTtlDownAndStripsUpstreamOpt() {
        long now = 1_000 * SECOND;
        CacheEntry e = entry(response("a.example", 300), "a.example", now);
        assertTrue(e.cacheable());
        assertEquals(300, e.ttlSeconds());
        ByteBuf out = Unpooled.buffer();
        e.writeTo(out, 0x4321, 0x0100, false, Messages.wireKeepingCase("A.Example"), now + 10 * SECOND + 5, false, 30);
        assertEquals(0x4321, out.getUnsignedShort(0));
        assertEquals(0, out.getUnsignedShort(10), "upstream OPT removed");
        assertEquals(290, out.getInt(out.writerIndex() - 10));
        assertEquals('A', out.getByte(13), "client's question case");
        assertEquals(0x8180, out.getUnsignedShort(2), "QR RD RA; AA never set on cached answers");
        assertTrue(e.fresh(now + 299 * SECOND));
        assertFalse(e.fresh(now + 300 * SECOND));
        assertTrue(e.usableStale(now + 301 * SECOND));
    }

    @Test
    void servesStaleWithFixedTtl() {
        CacheEntry e = entry(response("a.example", 1), "a.example", 0);
        ByteBuf out = Unpooled.buffer();
        e.writeTo(out, 1, 0, false, Names.toWire("a.example"), 100 * SECOND, true, 30);
        assertEquals(30, out.getInt(out.writerIndex() - 10));
    }

    @Test
    void negativeTtlIsLesserOfSoaTtlAndMinimum() {
        CacheEntry e = entry(nxdomain("x.example", 100, 20), "x.example", 0);
        assertTrue(e.negative());
        assertTrue(e.cacheable());
        assertEquals(20, e.ttlSeconds());
        assertEquals(60, entry(nxdomain("x.example", 60, 90), "x.example", 0).ttlSeconds());
    }

    @Test
    void zeroTtlAnswersAreRelayedButNotCached() {
        assertFalse(entry(response("a.example", 0), "a.example", 0).cacheable());
    }

    @Test
    void evictsToStayWithinEntryBound() {
        AnswerCache cache = new AnswerCache(100, Long.MAX_VALUE);
        for (int i = 0; i < 1000; i++) {
            cache.put(key("n" + i + ".example"), entry(response("n" + i + ".example", 60), "n" + i + ".example", 0));
        }
        assertTrue(cache.size() <= 100, "size " + cache.size());
        assertTrue(cache.stats().evictions() >= 900);
    }

    @Test
    void evictsToStayWithinByteBound() {
        AnswerCache cache = new AnswerCache(Long.MAX_VALUE, 50_000);
        for (int i = 0; i < 2000; i++) {
            cache.put(key("n" + i + ".example"), entry(response("n" + i + ".example", 60), "n" + i + ".example", 0));
        }
        assertTrue(cache.bytes() <= 50_000, "bytes " + cache.bytes());
        assertTrue(cache.size() > 50);
    }

    @Test
    void prefersEvictingLeastRecentlyUsed() {
        AnswerCache cache = new AnswerCache(50, Long.MAX_VALUE);
        CacheKey hot = key("hot.example");
        CacheEntry hotEntry = entry(response("hot.example", 60), "hot.example", 0);
        cache.put(hot, hotEntry);
        int survived = 0;
        for (int i = 0; i < 500; i++) {
            hotEntry.touch(System.nanoTime());
            cache.put(key("n" + i + ".example"), entry(response("n" + i + ".example", 60), "n" + i + ".example", 0));
            if (cache.get(hot) != null) {
                survived++;
            }
        }
        assertTrue(survived > 400, "a constantly used entry mostly survives sampled LRU: " + survived);
    }

    @Test
    void onlyOneCallerClaimsPrefetchOfPopularEntryNearExpiry() {
        CacheEntry e = entry(response("a.example", 10), "a.example", 0);
        e.touch(1);
        e.touch(2);
        e.touch(3);
        assertFalse(e.claimPrefetch(2 * SECOND, 3, 10), "not yet near expiry");
        assertTrue(e.claimPrefetch(9_500_000_000L, 3, 10));
        assertFalse(e.claimPrefetch(9_500_000_000L, 3, 10), "already claimed");
        e.releasePrefetch();
        assertTrue(e.claimPrefetch(9_600_000_000L, 3, 10));
    }
}
