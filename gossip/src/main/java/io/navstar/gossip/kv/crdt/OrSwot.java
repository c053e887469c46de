package io.navstar.gossip.kv.crdt;

import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeMap;

/**
 * An observed-remove set without tombstones (ORSWOT): each present element carries the dots of
 * the adds that made it present, and one causal context records every dot the set has seen, so a
 * removed element leaves nothing behind but its dots in the context (Bieniusa, Zawirski, Preguiça,
 * Shapiro, Baquero, Balegas, Duarte, "An optimized conflict-free replicated set", arXiv:1210.3368,
 * 2012, Algorithm 2; delta form from Almeida, Shoker, Baquero, "Delta state replicated data types",
 * JPDC 2018, §7.2 "AWORSet", with the context kept as a dotted version vector: vector plus cloud,
 * see {@link DotContext}). Add wins over a concurrent remove.
 *
 * <p>Immutable; safe to share between threads.
 */
public final class OrSwot implements Crdt<OrSwot> {

    private static final OrSwot EMPTY = new OrSwot(Collections.emptyNavigableMap(), DotContext.empty());

    private final NavigableMap<String, NavigableSet<Dot>> entries;
    private final DotContext context;

    private OrSwot(NavigableMap<String, NavigableSet<Dot>> entries, DotContext context) {
        this.entries = entries;
        this.context = context;
    }

    public static OrSwot empty() {
        return EMPTY;
    }

    /** A set with the given element dots under {@code context}; every dot must be in the context. */
    public static OrSwot of(Map<String, ? extends Set<Dot>> entries, DotContext context) {
        final TreeMap<String, NavigableSet<Dot>> copy = new TreeMap<>();
        final Set<Dot> seen = new HashSet<>();
        for (Map.Entry<String, ? extends Set<Dot>> e : entries.entrySet()) {
            if (e.getValue().isEmpty()) {
                continue;
            }
            for (Dot dot : e.getValue()) {
                if (!context.contains(dot)) {
                    throw new IllegalArgumentException("dot " + dot + " of " + e.getKey() + " is not in the context");
                }
                if (!seen.add(dot)) {
                    throw new IllegalArgumentException("dot " + dot + " names two elements");
                }
            }
            copy.put(e.getKey(), DotSets.copy(e.getValue()));
        }
        return new OrSwot(Collections.unmodifiableNavigableMap(copy), context);
    }

    public Set<String> elements() {
        return entries.navigableKeySet();
    }

    public boolean contains(String element) {
        return entries.containsKey(element);
    }

    public int size() {
        return entries.size();
    }

    public NavigableMap<String, NavigableSet<Dot>> entries() {
        return entries;
    }

    public DotContext context() {
        return context;
    }

    @Override
    public CrdtType type() {
        return CrdtType.ORSWOT;
    }

    @Override
    public OrSwot merge(OrSwot other) {
        if (other == EMPTY) {
            return this;
        }
        final TreeMap<String, NavigableSet<Dot>> out = new TreeMap<>();
        final NavigableSet<Dot> none = Collections.emptyNavigableSet();
        for (Map.Entry<String, NavigableSet<Dot>> e : entries.entrySet()) {
            final NavigableSet<Dot> joined = DotSets.join(
                    e.getValue(), context, other.entries.getOrDefault(e.getKey(), none), other.context);
            if (!joined.isEmpty()) {
                out.put(e.getKey(), joined);
            }
        }
        for (Map.Entry<String, NavigableSet<Dot>> e : other.entries.entrySet()) {
            if (!entries.containsKey(e.getKey())) {
                final NavigableSet<Dot> joined = DotSets.join(none, context, e.getValue(), other.context);
                if (!joined.isEmpty()) {
                    out.put(e.getKey(), joined);
                }
            }
        }
        return new OrSwot(Collections.unmodifiableNavigableMap(out), context.merge(other.context));
    }

    @Override
    public Mutation<OrSwot> apply(Op op, MutationContext mc) {
        if (op instanceof Op.Add(String element)) {
            final Dot dot = context.nextDot(mc.replica());
            final NavigableSet<Dot> observed = entries.getOrDefault(element, Collections.emptyNavigableSet());
            final TreeMap<String, NavigableSet<Dot>> next = new TreeMap<>(entries);
            next.put(element, DotSets.of(dot));
            final OrSwot delta = new OrSwot(
                    Collections.unmodifiableNavigableMap(new TreeMap<>(Map.of(element, DotSets.of(dot)))),
                    DotContext.ofDots(observed).add(dot));
            return new Mutation<>(new OrSwot(Collections.unmodifiableNavigableMap(next), context.add(dot)), delta);
        }
        if (op instanceof Op.Remove(String element)) {
            final NavigableSet<Dot> observed = entries.get(element);
            if (observed == null) {
                return new Mutation<>(this, EMPTY);
            }
            final TreeMap<String, NavigableSet<Dot>> next = new TreeMap<>(entries);
            next.remove(element);
            return new Mutation<>(new OrSwot(Collections.unmodifiableNavigableMap(next), context),
                    new OrSwot(Collections.emptyNavigableMap(), DotContext.ofDots(observed)));
        }
        throw new IllegalArgumentException("OrSwot accepts Add or Remove, not " + op);
    }

    @Override
    public Mutation<OrSwot> reset() {
        final Set<Dot> observed = new HashSet<>();
        entries.values().forEach(observed::addAll);
        return new Mutation<>(new OrSwot(Collections.emptyNavigableMap(), context),
                new OrSwot(Collections.emptyNavigableMap(), DotContext.ofDots(observed)));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OrSwot other && entries.equals(other.entries) && context.equals(other.context);
    }

    @Override
    public int hashCode() {
        return entries.hashCode() * 31 + context.hashCode();
    }

    @Override
    public String toString() {
        return "OrSwot" + entries.keySet() + " ctx " + context;
    }
}
