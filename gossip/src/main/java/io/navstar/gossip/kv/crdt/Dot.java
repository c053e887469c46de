package io.navstar.gossip.kv.crdt;

import java.util.Objects;

/**
 * One event of one replica: the {@code counter}-th update made by {@code replica}. Dots name the
 * adds of observed-remove types so that a remove can name exactly what it observed (Almeida,
 * Shoker, Baquero, "Delta state replicated data types", JPDC 2018, §4 "causal CRDTs").
 *
 * <p>Immutable; safe to share between threads.
 */
public record Dot(String replica, long counter) implements Comparable<Dot> {

    public Dot {
        Objects.requireNonNull(replica, "replica");
        if (counter < 1) {
            throw new IllegalArgumentException("dot counter must be >= 1, got " + counter);
        }
    }

    @Override
    public int compareTo(Dot other) {
        final int byReplica = replica.compareTo(other.replica);
        return byReplica != 0 ? byReplica : Long.compare(counter, other.counter);
    }

    @Override
    public String toString() {
        return replica + ":" + counter;
    }
}
