package io.navstar.gossip.kv.crdt;

/**
 * A counter that goes up and down: a pair of {@link GCounter}s, one for increments and one for
 * decrements, whose value is their difference (Shapiro et al., INRIA RR-7506, 2011, §3.1.2
 * Specification 7). Deltas are those of the half that changed.
 *
 * <p>Immutable; safe to share between threads.
 */
public final class PnCounter implements Crdt<PnCounter> {

    private static final PnCounter EMPTY = new PnCounter(GCounter.empty(), GCounter.empty());

    private final GCounter increments;
    private final GCounter decrements;

    private PnCounter(GCounter increments, GCounter decrements) {
        this.increments = increments;
        this.decrements = decrements;
    }

    public static PnCounter empty() {
        return EMPTY;
    }

    public static PnCounter of(GCounter increments, GCounter decrements) {
        return new PnCounter(increments, decrements);
    }

    public long value() {
        return increments.value() - decrements.value();
    }

    public GCounter increments() {
        return increments;
    }

    public GCounter decrements() {
        return decrements;
    }

    @Override
    public CrdtType type() {
        return CrdtType.PNCOUNTER;
    }

    @Override
    public PnCounter merge(PnCounter other) {
        return new PnCounter(increments.merge(other.increments), decrements.merge(other.decrements));
    }

    @Override
    public Mutation<PnCounter> apply(Op op, MutationContext context) {
        if (!(op instanceof Op.Increment(long amount))) {
            throw new IllegalArgumentException("PnCounter accepts Increment, not " + op);
        }
        if (amount == Long.MIN_VALUE) {
            throw new IllegalArgumentException("PnCounter increment out of range: " + amount);
        }
        if (amount >= 0) {
            final Mutation<GCounter> m = increments.apply(op, context);
            return new Mutation<>(new PnCounter(m.state(), decrements), new PnCounter(m.delta(), GCounter.empty()));
        }
        final Mutation<GCounter> m = decrements.apply(new Op.Increment(-amount), context);
        return new Mutation<>(new PnCounter(increments, m.state()), new PnCounter(GCounter.empty(), m.delta()));
    }

    @Override
    public Mutation<PnCounter> reset() {
        return new Mutation<>(this, EMPTY);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PnCounter other && increments.equals(other.increments) && decrements.equals(other.decrements);
    }

    @Override
    public int hashCode() {
        return increments.hashCode() * 31 + decrements.hashCode();
    }

    @Override
    public String toString() {
        return "PnCounter[+" + increments.counts() + " -" + decrements.counts() + "]";
    }
}
