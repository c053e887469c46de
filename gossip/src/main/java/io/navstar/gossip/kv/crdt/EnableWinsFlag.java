package io.navstar.gossip.kv.crdt;

import java.util.NavigableSet;
import java.util.Set;

/**
 * An enable-wins flag: enabled while it holds at least one dot; enable replaces the observed dots
 * by a fresh one, disable drops the observed dots, so a concurrent enable (whose dot the disable
 * never saw) wins (Almeida, Shoker, Baquero, "Delta state replicated data types", JPDC 2018,
 * §7.1, "EWFlag").
 *
 * <p>Immutable; safe to share between threads.
 */
public final class EnableWinsFlag implements Crdt<EnableWinsFlag> {

    private static final EnableWinsFlag EMPTY = new EnableWinsFlag(DotSets.copy(Set.of()), DotContext.empty());

    private final NavigableSet<Dot> dots;
    private final DotContext context;

    private EnableWinsFlag(NavigableSet<Dot> dots, DotContext context) {
        this.dots = dots;
        this.context = context;
    }

    public static EnableWinsFlag empty() {
        return EMPTY;
    }

    /** A flag holding {@code dots} under {@code context}; every dot must be in the context. */
    public static EnableWinsFlag of(Set<Dot> dots, DotContext context) {
        for (Dot dot : dots) {
            if (!context.contains(dot)) {
                throw new IllegalArgumentException("dot " + dot + " is not in the causal context " + context);
            }
        }
        return new EnableWinsFlag(DotSets.copy(dots), context);
    }

    public boolean enabled() {
        return !dots.isEmpty();
    }

    public NavigableSet<Dot> dots() {
        return dots;
    }

    public DotContext context() {
        return context;
    }

    @Override
    public CrdtType type() {
        return CrdtType.ENABLE_WINS_FLAG;
    }

    @Override
    public EnableWinsFlag merge(EnableWinsFlag other) {
        return new EnableWinsFlag(DotSets.join(dots, context, other.dots, other.context), context.merge(other.context));
    }

    @Override
    public Mutation<EnableWinsFlag> apply(Op op, MutationContext mc) {
        if (op instanceof Op.Enable) {
            final Dot dot = context.nextDot(mc.replica());
            final NavigableSet<Dot> fresh = DotSets.of(dot);
            final EnableWinsFlag delta = new EnableWinsFlag(fresh, DotContext.ofDots(dots).add(dot));
            return new Mutation<>(new EnableWinsFlag(fresh, context.add(dot)), delta);
        }
        if (op instanceof Op.Disable) {
            return reset();
        }
        throw new IllegalArgumentException("EnableWinsFlag accepts Enable or Disable, not " + op);
    }

    @Override
    public Mutation<EnableWinsFlag> reset() {
        final EnableWinsFlag delta = new EnableWinsFlag(DotSets.copy(Set.of()), DotContext.ofDots(dots));
        return new Mutation<>(new EnableWinsFlag(DotSets.copy(Set.of()), context), delta);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EnableWinsFlag other && dots.equals(other.dots) && context.equals(other.context);
    }

    @Override
    public int hashCode() {
        return dots.hashCode() * 31 + context.hashCode();
    }

    @Override
    public String toString() {
        return "EnableWinsFlag[" + enabled() + " " + dots + " ctx " + context + "]";
    }
}
