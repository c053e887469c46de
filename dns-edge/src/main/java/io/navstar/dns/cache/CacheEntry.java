package io.navstar.dns.cache;

import io.navstar.dns.wire.DnsWire;
import io.navstar.dns.wire.ResponseScan;
import io.netty.buffer.ByteBuf;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One forwarded answer as it came from the upstream, minus its OPT record, with the offset of every
 * TTL so that serving it is a copy plus a few patches: the client's ID, RD bit and question-name case
 * (0x20), and each TTL counted down by the time spent in the cache (RFC 1035 §7.4, RFC 2181 §8).
 * Negative answers (NXDOMAIN, NODATA) live here too, for the SOA-derived TTL (RFC 2308 §5).
 *
 * <p>Immutable apart from access statistics, which event loops update racily ({@code hits},
 * {@code lastUsedNanos}: approximate by design) and the prefetch flag, claimed with a CAS so only one
 * loop refreshes a popular entry.
 */
public final class CacheEntry {
    private static final VarHandle PREFETCHING;

    static {
        try {
            PREFETCHING = MethodHandles.lookup().findVarHandle(CacheEntry.class, "prefetching", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final byte[] message;
    private final int[] ttlOffsets;
    private final int nameLength;
    private final long storedAtNanos;
    private final long expiresAtNanos;
    private final long staleUntilNanos;
    private final long ttlSeconds;
    private final boolean cacheable;
    private final boolean negative;
    int hits;
    long lastUsedNanos;
    @SuppressWarnings("unused") // through PREFETCHING
    private volatile int prefetching;

    private CacheEntry(byte[] message, int[] ttlOffsets, int nameLength, long storedAtNanos, long ttlSeconds,
                       long staleWindowNanos, boolean cacheable, boolean negative) {
        this.message = message;
        this.ttlOffsets = ttlOffsets;
        this.nameLength = nameLength;
        this.storedAtNanos = storedAtNanos;
        this.ttlSeconds = ttlSeconds;
        this.expiresAtNanos = storedAtNanos + ttlSeconds * 1_000_000_000L;
        this.staleUntilNanos = expiresAtNanos + staleWindowNanos;
        this.cacheable = cacheable;
        this.negative = negative;
        this.lastUsedNanos = storedAtNanos;
    }

    /**
     * Builds an entry from the upstream response {@code buf[base, base + length)} already checked by
     * {@code scan}. The entry is {@link #cacheable()} when it is a positive answer with a non-zero TTL,
     * or a negative one with an SOA (RFC 2308 §5: no SOA, no negative caching), and not truncated.
     *
     * @param maxTtl cap on positive TTLs, seconds
     * @param maxNegativeTtl cap on negative TTLs, seconds (RFC 2308 §5 suggests 1-3 hours)
     * @param staleWindowNanos how long past expiry the answer may still be served stale (RFC 8767 §5)
     */
    public static CacheEntry fromResponse(ByteBuf buf, int base, int length, ResponseScan scan, int nameLength,
                                          long nowNanos, long maxTtl, long maxNegativeTtl, long staleWindowNanos) {
        int keep = scan.optStart() >= 0 ? scan.optStart() : length;
        byte[] message = new byte[keep];
        buf.getBytes(base, message);
        int additionalKept = 0;
        int ttlCount = 0;
        int[] offsets = scan.ttlOffsets();
        for (int i = 0; i < scan.ttlCount(); i++) {
            if (offsets[i] < keep) {
                ttlCount++;
            }
        }
        int[] ttlOffsets = new int[ttlCount];
        System.arraycopy(offsets, 0, ttlOffsets, 0, ttlCount); // offsets are ascending
        if (scan.optStart() >= 0) {
            // Records after OPT (rare) are dropped with it; the additional section is advisory.
            int an = u16(message, DnsWire.OFFSET_ANCOUNT);
            int ns = u16(message, DnsWire.OFFSET_NSCOUNT);
            additionalKept = ttlCount - an - ns;
            if (additionalKept < 0) { // OPT before answer or authority records ended: keep nothing after it
                additionalKept = 0;
            }
            message[DnsWire.OFFSET_ARCOUNT] = (byte) (additionalKept >>> 8);
            message[DnsWire.OFFSET_ARCOUNT + 1] = (byte) additionalKept;
        }
        int rcode = scan.rcode();
        boolean negative = rcode == DnsWire.RCODE_NXDOMAIN || (rcode == DnsWire.RCODE_NOERROR && scan.answerCount() == 0);
        long ttl;
        boolean cacheable;
        if (negative) {
            ttl = Math.min(scan.negativeTtl(), maxNegativeTtl);
            cacheable = scan.negativeTtl() > 0;
        } else if (rcode == DnsWire.RCODE_NOERROR) {
            ttl = Math.min(scan.minAnswerTtl(), maxTtl);
            cacheable = ttl > 0;
        } else {
            ttl = 0;
            cacheable = false;
        }
        cacheable &= !scan.truncated();
        return new CacheEntry(message, ttlOffsets, nameLength, nowNanos, Math.max(ttl, 0), staleWindowNanos,
                cacheable, negative);
    }

    private static int u16(byte[] b, int at) {
        return ((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF);
    }

    /**
     * Writes this answer into {@code out} for a client: its {@code id}, the RD and CD bits of its
     * {@code clientFlags}, its question name case from {@code nameOriginal}, AA cleared (a cached
     * answer is not authoritative), TTLs counted down, or set to {@code staleTtl} when serving stale
     * (RFC 8767 §4), and AD kept only for a client that set AD or DO (RFC 6840 §5.7). Allocates nothing.
     */
    public void writeTo(ByteBuf out, int id, int clientFlags, boolean dnssecOk, byte[] nameOriginal, long nowNanos,
                        boolean stale, long staleTtl) {
        int base = out.writerIndex();
        out.writeBytes(message);
        out.setShort(base, id);
        int flags = u16(message, DnsWire.OFFSET_FLAGS) & ~(DnsWire.FLAG_AA | DnsWire.FLAG_TC | DnsWire.FLAG_RD | DnsWire.FLAG_CD);
        flags |= clientFlags & (DnsWire.FLAG_RD | DnsWire.FLAG_CD);
        if (!dnssecOk && (clientFlags & DnsWire.FLAG_AD) == 0) {
            flags &= ~DnsWire.FLAG_AD;
        }
        out.setShort(base + DnsWire.OFFSET_FLAGS, flags | DnsWire.FLAG_RA);
        out.setBytes(base + DnsWire.HEADER_SIZE, nameOriginal, 0, nameLength);
        long elapsed = (nowNanos - storedAtNanos) / 1_000_000_000L;
        for (int offset : ttlOffsets) {
            long ttl;
            if (stale) {
                ttl = staleTtl;
            } else {
                long original = ((message[offset] & 0xFFL) << 24) | ((message[offset + 1] & 0xFF) << 16)
                        | ((message[offset + 2] & 0xFF) << 8) | (message[offset + 3] & 0xFF);
                ttl = Math.max(0, Math.min(original, 0x7FFFFFFFL) - elapsed);
            }
            out.setInt(base + offset, (int) ttl);
        }
    }

    /** Response flags as the upstream sent them. */
    public int flags() {
        return u16(message, DnsWire.OFFSET_FLAGS);
    }

    public int rcode() {
        return flags() & DnsWire.RCODE_MASK;
    }

    /** Size of the stored message (without OPT). */
    public int messageLength() {
        return message.length;
    }

    /** Offset just past the question (header + name + type + class). */
    public int questionEnd() {
        return DnsWire.HEADER_SIZE + nameLength + 4;
    }

    public boolean cacheable() {
        return cacheable;
    }

    public boolean negative() {
        return negative;
    }

    /** TTL when stored, seconds (after caps). */
    public long ttlSeconds() {
        return ttlSeconds;
    }

    public boolean fresh(long nowNanos) {
        return nowNanos < expiresAtNanos;
    }

    /** Still allowed to be served stale when upstreams fail (RFC 8767 §5 max stale timer). */
    public boolean usableStale(long nowNanos) {
        return nowNanos < staleUntilNanos;
    }

    public long expiresAtNanos() {
        return expiresAtNanos;
    }

    /** Records a hit (racy counters: an approximate popularity is all prefetch and eviction need). */
    public void touch(long nowNanos) {
        hits++;
        lastUsedNanos = nowNanos;
    }

    public int hits() {
        return hits;
    }

    /**
     * True when this entry is popular ({@code minHits}) and within the last {@code percent} of its
     * TTL, and this caller won the right to refresh it (only one prefetch per entry).
     */
    public boolean claimPrefetch(long nowNanos, int minHits, int percent) {
        if (hits < minHits || ttlSeconds < 2) {
            return false;
        }
        long remaining = expiresAtNanos - nowNanos;
        if (remaining > ttlSeconds * 1_000_000_000L * percent / 100) {
            return false;
        }
        return PREFETCHING.compareAndSet(this, 0, 1);
    }

    /** Lets a failed prefetch be tried again. */
    public void releasePrefetch() {
        PREFETCHING.setVolatile(this, 0);
    }

    /** Approximate heap bytes of this entry (object headers, arrays, map node). */
    int footprint() {
        return 96 + 16 + message.length + 16 + 4 * ttlOffsets.length + 48;
    }
}
