package io.navstar.gossip.kv.crdt;

/**
 * A state-based replicated data type: an immutable value in a join semilattice. {@link #merge} is
 * the join (commutative, associative, idempotent), and {@link #apply} is a delta-mutator that
 * returns both the new state and the delta that, merged into any replica, carries the change
 * (Almeida, Shoker, Baquero, "Delta state replicated data types", JPDC 2018, §2-3; Shapiro et al.,
 * "Conflict-free replicated data types", SSS 2011).
 *
 * <p>Implementations are immutable and safe to share between threads.
 *
 * @param <T> the implementing type
 */
public sealed interface Crdt<T extends Crdt<T>>
        permits GCounter, PnCounter, LwwRegister, EnableWinsFlag, OrSwot, OrMap {

    CrdtType type();

    /** The least upper bound of this state and {@code other}. */
    T merge(T other);

    /**
     * Applies an operation made at replica {@code context.replica()}.
     *
     * @throws IllegalArgumentException when the operation does not belong to this type
     */
    Mutation<T> apply(Op op, MutationContext context);

    /**
     * The observed-remove reset used when a map field is removed: causal types drop every element
     * they have observed; counters and registers cannot shrink in their lattice and stay as they are.
     */
    Mutation<T> reset();

    /** Merges two states of the same runtime type. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static Crdt<?> mergeAny(Crdt<?> a, Crdt<?> b) {
        if (a.type() != b.type()) {
            throw new IllegalArgumentException("cannot merge " + a.type() + " with " + b.type());
        }
        return (Crdt<?>) ((Crdt) a).merge((Crdt) b);
    }
}
