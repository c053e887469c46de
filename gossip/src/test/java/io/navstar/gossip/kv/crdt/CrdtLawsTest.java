package io.navstar.gossip.kv.crdt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The semilattice laws of every type, and the delta-mutator laws, over states that random
 * executions reach (Almeida et al., JPDC 2018, §2-3).
 */
class CrdtLawsTest {

    private static final int TRIES = 150;

    @Property(tries = TRIES)
    void mergeIsCommutative(@ForAll CrdtType type, @ForAll long seed, @ForAll @IntRange(min = 1, max = 40) int steps) {
        final CrdtHistory h = CrdtHistory.run(type, seed, steps);
        final Crdt<?> a = h.pick();
        final Crdt<?> b = h.pick();
        assertEquals(Crdt.mergeAny(a, b), Crdt.mergeAny(b, a));
    }

    @Property(tries = TRIES)
    void mergeIsAssociative(@ForAll CrdtType type, @ForAll long seed, @ForAll @IntRange(min = 1, max = 40) int steps) {
        final CrdtHistory h = CrdtHistory.run(type, seed, steps);
        final Crdt<?> a = h.pick();
        final Crdt<?> b = h.pick();
        final Crdt<?> c = h.pick();
        assertEquals(Crdt.mergeAny(Crdt.mergeAny(a, b), c), Crdt.mergeAny(a, Crdt.mergeAny(b, c)));
    }

    @Property(tries = TRIES)
    void mergeIsIdempotent(@ForAll CrdtType type, @ForAll long seed, @ForAll @IntRange(min = 1, max = 40) int steps) {
        final CrdtHistory h = CrdtHistory.run(type, seed, steps);
        final Crdt<?> a = h.pick();
        assertEquals(a, Crdt.mergeAny(a, a));
        final Crdt<?> b = h.pick();
        final Crdt<?> ab = Crdt.mergeAny(a, b);
        assertEquals(ab, Crdt.mergeAny(ab, b), "merging what is already included changes nothing");
    }

    @Property(tries = TRIES)
    @SuppressWarnings({"unchecked", "rawtypes"})
    void applyingAnOperationEqualsMergingItsDelta(
            @ForAll CrdtType type, @ForAll long seed, @ForAll @IntRange(min = 0, max = 40) int steps) {
        final CrdtHistory h = CrdtHistory.run(type, seed, steps);
        final Crdt<?> replica = h.replicas[0];
        final Mutation<?> m = ((Crdt) replica).apply(h.randomOp(type, 0), h.context(0));
        assertEquals(m.state(), Crdt.mergeAny(replica, m.delta()));
        // The delta reaches another replica with the same effect as the whole new state.
        final Crdt<?> other = h.replicas[1];
        assertEquals(Crdt.mergeAny(other, m.state()), Crdt.mergeAny(Crdt.mergeAny(other, replica), m.delta()));
    }

    @Property(tries = TRIES)
    @SuppressWarnings({"unchecked", "rawtypes"})
    void applyThenMergeEqualsMergeThenApply(
            @ForAll CrdtType type, @ForAll long seed, @ForAll @IntRange(min = 0, max = 40) int steps) {
        final CrdtHistory h = CrdtHistory.run(type, seed, steps);
        final Crdt<?> replica = h.replicas[0];
        final Crdt<?> other = h.replicas[1 + (int) Math.floorMod(seed, 2L)];
        // Inflationary operations (increments, adds, assignments, enables, updates of them) commute
        // with merge; an observed remove by design removes only what its replica has seen.
        final Op op = h.randomOp(type, 0, false);
        final MutationContext context = h.context(0);
        final Crdt<?> applyThenMerge = Crdt.mergeAny(((Crdt) replica).apply(op, context).state(), other);
        final Crdt<?> mergeThenApply = ((Crdt) Crdt.mergeAny(replica, other)).apply(op, context).state();
        assertEquals(Observed.of(mergeThenApply), Observed.of(applyThenMerge));
        if (type == CrdtType.GCOUNTER || type == CrdtType.PNCOUNTER || type == CrdtType.LWW_REGISTER) {
            assertEquals(mergeThenApply, applyThenMerge, "state-level equality for types without dots");
        }
    }

    @Property(tries = TRIES)
    void replicasThatExchangeEverythingConverge(
            @ForAll CrdtType type, @ForAll long seed, @ForAll @IntRange(min = 0, max = 60) int steps) {
        final CrdtHistory h = CrdtHistory.run(type, seed, steps);
        // Each replica receives every delta, in its own order, on top of its own state.
        final Crdt<?>[] finals = new Crdt<?>[h.replicas.length];
        for (int i = 0; i < finals.length; i++) {
            Crdt<?> state = h.replicas[i];
            for (int j = 0; j < h.deltas.size(); j++) {
                state = Crdt.mergeAny(state, h.deltas.get((j * (i + 1) + i) % h.deltas.size()));
            }
            for (Crdt<?> r : h.replicas) {
                state = Crdt.mergeAny(state, r);
            }
            finals[i] = state;
        }
        for (Crdt<?> f : finals) {
            assertEquals(finals[0], f);
        }
    }
}
