package io.navstar.dns.cache;

import java.util.Arrays;

/**
 * Cache key: lowercase question name, type and class. Stored keys are immutable copies made by
 * {@link #copy()}; each event loop keeps one mutable probe that it {@link #set}s for lookups, so a
 * cache hit allocates nothing ({@code ConcurrentHashMap.get} calls the probe's {@code equals}).
 */
public final class CacheKey {
    private byte[] name;
    private int length;
    private int qtype;
    private int qclass;
    private int hash;

    /** A probe with room for any name; reuse it with {@link #set}. */
    public static CacheKey probe() {
        CacheKey k = new CacheKey();
        k.name = new byte[io.navstar.dns.wire.Names.MAX_NAME_LENGTH];
        return k;
    }

    /** Points this probe at {@code name[0, length)} whose {@code Names.hash} is {@code nameHash}. */
    public CacheKey set(byte[] source, int sourceLength, int nameHash, int type, int rrClass) {
        System.arraycopy(source, 0, name, 0, sourceLength);
        this.length = sourceLength;
        this.qtype = type;
        this.qclass = rrClass;
        this.hash = (nameHash * 31 + type) * 31 + rrClass;
        return this;
    }

    /** An immutable copy to store in the cache. */
    public CacheKey copy() {
        CacheKey k = new CacheKey();
        k.name = Arrays.copyOf(name, length);
        k.length = length;
        k.qtype = qtype;
        k.qclass = qclass;
        k.hash = hash;
        return k;
    }

    public byte[] name() {
        return name;
    }

    public int nameLength() {
        return length;
    }

    public int qtype() {
        return qtype;
    }

    public int qclass() {
        return qclass;
    }

    /** Bytes this key holds on the heap (for the cache's memory bound). */
    int footprint() {
        return 40 + 16 + name.length;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof CacheKey k)) {
            return false;
        }
        return k.hash == hash && k.length == length && k.qtype == qtype && k.qclass == qclass
                && Arrays.equals(name, 0, length, k.name, 0, length);
    }

    @Override
    public String toString() {
        return io.navstar.dns.wire.Names.toText(name, length) + "/" + qtype + "/" + qclass;
    }
}
