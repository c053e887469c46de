package io.navstar.gossip.kv.crdt;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An immutable version vector: for each replica, how many of its events are included (Parker et
 * al., "Detection of mutual inconsistency in distributed systems", IEEE TSE 1983). The KV store
 * keeps one per key as its clock; {@link DotContext} uses one as the compact part of a causal
 * context. Entries of zero are never stored, so equal vectors are equal objects.
 *
 * <p>Immutable; safe to share between threads.
 */
public final class VersionVector {

    /** How two vectors relate in the happened-before order. */
    public enum Order { EQUAL, BEFORE, AFTER, CONCURRENT }

    private static final VersionVector EMPTY = new VersionVector(new TreeMap<>());

    private final SortedMap<String, Long> counters;

    private VersionVector(SortedMap<String, Long> counters) {
        this.counters = counters;
    }

    public static VersionVector empty() {
        return EMPTY;
    }

    /** Builds a vector from a map; zero entries are dropped, negative ones refused. */
    public static VersionVector of(Map<String, Long> counters) {
        final TreeMap<String, Long> copy = new TreeMap<>();
        for (Map.Entry<String, Long> e : counters.entrySet()) {
            final long value = Objects.requireNonNull(e.getValue());
            if (value < 0) {
                throw new IllegalArgumentException("negative counter for " + e.getKey() + ": " + value);
            }
            if (value > 0) {
                copy.put(Objects.requireNonNull(e.getKey()), value);
            }
        }
        return copy.isEmpty() ? EMPTY : new VersionVector(copy);
    }

    public long get(String replica) {
        final Long value = counters.get(replica);
        return value == null ? 0 : value;
    }

    /** The replicas with a non-zero entry, in sorted order, with their counters. */
    public Map<String, Long> asMap() {
        return Collections.unmodifiableSortedMap(counters);
    }

    public int size() {
        return counters.size();
    }

    public boolean isEmpty() {
        return counters.isEmpty();
    }

    /** This vector with {@code replica}'s entry raised by one. */
    public VersionVector increment(String replica) {
        return with(replica, get(replica) + 1);
    }

    /** This vector with {@code replica}'s entry set to {@code counter}. */
    public VersionVector with(String replica, long counter) {
        final TreeMap<String, Long> copy = new TreeMap<>(counters);
        if (counter == 0) {
            copy.remove(replica);
        } else {
            copy.put(replica, counter);
        }
        return new VersionVector(copy);
    }

    /** Pointwise maximum: the least vector that dominates both. */
    public VersionVector merge(VersionVector other) {
        if (other.counters.isEmpty() || this == other) {
            return this;
        }
        if (counters.isEmpty()) {
            return other;
        }
        final TreeMap<String, Long> copy = new TreeMap<>(counters);
        other.counters.forEach((replica, value) -> copy.merge(replica, value, Math::max));
        return new VersionVector(copy);
    }

    /** True when every entry of this vector is at least that of {@code other}. */
    public boolean dominates(VersionVector other) {
        for (Map.Entry<String, Long> e : other.counters.entrySet()) {
            if (get(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    public Order compare(VersionVector other) {
        final boolean geq = dominates(other);
        final boolean leq = other.dominates(this);
        if (geq && leq) {
            return Order.EQUAL;
        }
        if (geq) {
            return Order.AFTER;
        }
        return leq ? Order.BEFORE : Order.CONCURRENT;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VersionVector other && counters.equals(other.counters);
    }

    @Override
    public int hashCode() {
        return counters.hashCode();
    }

    @Override
    public String toString() {
        return counters.toString();
    }
}
