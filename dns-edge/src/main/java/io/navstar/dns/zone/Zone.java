package io.navstar.dns.zone;

import io.navstar.dns.metrics.QueryCounters;

/**
 * A zone served authoritatively (RFC 1034 §4.3.2): its apex name and SOA, from which negative
 * answers take their authority record and TTL (RFC 2308 §3). Immutable apart from the metrics
 * handle, which the server attaches once (a benign race: both writers attach the same counters).
 */
public final class Zone {
    private final String name;
    private final byte[] apex;
    private final int apexHash;
    private final RecordData soa;
    private final long negativeTtl;
    private volatile QueryCounters counters;

    Zone(String name, byte[] apex, RecordData soa) {
        this.name = name;
        this.apex = apex;
        this.apexHash = io.navstar.dns.wire.Names.hash(apex, 0, apex.length);
        this.soa = soa;
        this.negativeTtl = Math.min(soa.ttl(), soa.soaMinimum());
    }

    /** Zone name in text form without the trailing dot, e.g. {@code thisdcos.directory}. */
    public String name() {
        return name;
    }

    /** Apex in lowercase wire form. */
    public byte[] apex() {
        return apex;
    }

    int apexHash() {
        return apexHash;
    }

    public RecordData soa() {
        return soa;
    }

    /** TTL of negative answers: the lesser of the SOA's TTL and MINIMUM (RFC 2308 §3). */
    public long negativeTtl() {
        return negativeTtl;
    }

    /** Metrics of this zone, or null before the server attached them. */
    public QueryCounters counters() {
        return counters;
    }

    public void attachCounters(QueryCounters counters) {
        this.counters = counters;
    }
}
