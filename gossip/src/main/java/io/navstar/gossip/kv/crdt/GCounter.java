package io.navstar.gossip.kv.crdt;

import java.util.Map;

/**
 * A grow-only counter: one non-decreasing count per replica, merged by pointwise maximum, whose
 * value is the sum (Shapiro, Preguiça, Baquero, Zawirski, "A comprehensive study of convergent and
 * commutative replicated data types", INRIA RR-7506, 2011, §3.1.1 Specification 6). The delta of
 * an increment is the issuing replica's single new entry (Almeida et al., JPDC 2018, Fig. 4).
 *
 * <p>Immutable; safe to share between threads.
 */
public final class GCounter implements Crdt<GCounter> {

    private static final GCounter EMPTY = new GCounter(VersionVector.empty());

    private final VersionVector counts;

    private GCounter(VersionVector counts) {
        this.counts = counts;
    }

    public static GCounter empty() {
        return EMPTY;
    }

    /** A counter with the given per-replica counts (zeros dropped, negatives refused). */
    public static GCounter of(Map<String, Long> counts) {
        return new GCounter(VersionVector.of(counts));
    }

    public long value() {
        long sum = 0;
        for (long c : counts.asMap().values()) {
            sum += c;
        }
        return sum;
    }

    public Map<String, Long> counts() {
        return counts.asMap();
    }

    @Override
    public CrdtType type() {
        return CrdtType.GCOUNTER;
    }

    @Override
    public GCounter merge(GCounter other) {
        final VersionVector merged = counts.merge(other.counts);
        return merged == counts ? this : merged == other.counts ? other : new GCounter(merged);
    }

    @Override
    public Mutation<GCounter> apply(Op op, MutationContext context) {
        if (!(op instanceof Op.Increment(long amount))) {
            throw new IllegalArgumentException("GCounter accepts Increment, not " + op);
        }
        if (amount < 0) {
            throw new IllegalArgumentException("GCounter cannot decrease (amount " + amount + "); use a PN-counter");
        }
        final long next = Math.addExact(counts.get(context.replica()), amount);
        final GCounter delta = new GCounter(VersionVector.empty().with(context.replica(), next));
        return new Mutation<>(new GCounter(counts.with(context.replica(), next)), delta);
    }

    @Override
    public Mutation<GCounter> reset() {
        return new Mutation<>(this, EMPTY);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GCounter other && counts.equals(other.counts);
    }

    @Override
    public int hashCode() {
        return counts.hashCode();
    }

    @Override
    public String toString() {
        return "GCounter" + counts;
    }
}
