package io.navstar.gossip.kv.crdt;

import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * An observed-remove map of typed fields whose values are themselves CRDTs, nestable to any depth
 * (an OR-map of OR-sets holds the VIPs). A field is present while it holds a presence dot; an
 * update gives it a fresh dot and applies the nested operation, a remove drops the dots it has
 * observed and resets the nested value, so a concurrent update wins (Almeida, Shoker, Baquero,
 * "Delta state replicated data types", JPDC 2018, §7.3 "ORMap", with riak_dt_map's typed fields;
 * Brown, Cribbs, Meiklejohn, Elliott, "Riak DT Map: a composable, convergent replicated
 * dictionary", PaPEC 2014).
 *
 * <p>Each field is the product of its presence dots (joined under this map's causal context) and
 * its nested value (joined by the nested type), so the map is a lattice whatever it nests. A
 * consequence that riak_dt_map shares: removing a field resets sets, flags and maps inside it, but
 * counters and registers cannot shrink, so a removed and later re-added counter continues from its
 * old count.
 *
 * <p>Immutable; safe to share between threads.
 */
public final class OrMap implements Crdt<OrMap> {

    /** One field's presence dots and nested value. */
    public record FieldState(NavigableSet<Dot> presence, Crdt<?> value) {
        public FieldState {
            Objects.requireNonNull(presence, "presence");
            Objects.requireNonNull(value, "value");
        }

        public boolean present() {
            return !presence.isEmpty();
        }
    }

    private static final OrMap EMPTY = new OrMap(Collections.emptyNavigableMap(), DotContext.empty());

    private final NavigableMap<Field, FieldState> fields;
    private final DotContext context;

    private OrMap(NavigableMap<Field, FieldState> fields, DotContext context) {
        this.fields = fields;
        this.context = context;
    }

    public static OrMap empty() {
        return EMPTY;
    }

    /**
     * A map with the given field states under {@code context}. Presence dots must be in the
     * context; a field with no presence and a bottom value is dropped (it is the same as absent).
     */
    public static OrMap of(Map<Field, FieldState> fields, DotContext context) {
        final TreeMap<Field, FieldState> copy = new TreeMap<>();
        final Set<Dot> seen = new HashSet<>();
        for (Map.Entry<Field, FieldState> e : fields.entrySet()) {
            final FieldState state = e.getValue();
            if (state.value().type() != e.getKey().type()) {
                throw new IllegalArgumentException("field " + e.getKey() + " holds a " + state.value().type());
            }
            for (Dot dot : state.presence()) {
                if (!context.contains(dot)) {
                    throw new IllegalArgumentException("presence dot " + dot + " is not in the context");
                }
                if (!seen.add(dot)) {
                    throw new IllegalArgumentException("presence dot " + dot + " names two fields");
                }
            }
            if (!isBottom(state)) {
                copy.put(e.getKey(), new FieldState(DotSets.copy(state.presence()), state.value()));
            }
        }
        return new OrMap(Collections.unmodifiableNavigableMap(copy), context);
    }

    private static boolean isBottom(FieldState state) {
        return state.presence().isEmpty() && state.value().equals(state.value().type().empty());
    }

    /** Every field with its state, including removed fields that keep a nested value. */
    public NavigableMap<Field, FieldState> fieldStates() {
        return fields;
    }

    public DotContext context() {
        return context;
    }

    /** The present fields and their values, in field order. */
    public Map<Field, Crdt<?>> fields() {
        final LinkedHashMap<Field, Crdt<?>> out = new LinkedHashMap<>();
        fields.forEach((field, state) -> {
            if (state.present()) {
                out.put(field, state.value());
            }
        });
        return Collections.unmodifiableMap(out);
    }

    /** The value of a present field, or null. */
    public Crdt<?> get(Field field) {
        final FieldState state = fields.get(field);
        return state != null && state.present() ? state.value() : null;
    }

    /** The value of a present field of the expected type, or that type's empty value. */
    @SuppressWarnings("unchecked")
    public <T extends Crdt<T>> T getOrEmpty(String name, CrdtType type) {
        final Crdt<?> value = get(Field.of(name, type));
        return (T) (value != null ? value : type.empty());
    }

    public boolean isEmpty() {
        return fields.isEmpty() && context.isEmpty();
    }

    @Override
    public CrdtType type() {
        return CrdtType.ORMAP;
    }

    @Override
    public OrMap merge(OrMap other) {
        if (other == EMPTY) {
            return this;
        }
        if (this == EMPTY) {
            return other;
        }
        final TreeMap<Field, FieldState> out = new TreeMap<>();
        final NavigableSet<Dot> none = Collections.emptyNavigableSet();
        for (Map.Entry<Field, FieldState> e : fields.entrySet()) {
            final FieldState mine = e.getValue();
            final FieldState theirs = other.fields.get(e.getKey());
            final FieldState joined = theirs == null
                    ? new FieldState(DotSets.join(mine.presence(), context, none, other.context), mine.value())
                    : new FieldState(DotSets.join(mine.presence(), context, theirs.presence(), other.context),
                            Crdt.mergeAny(mine.value(), theirs.value()));
            if (!isBottom(joined)) {
                out.put(e.getKey(), joined);
            }
        }
        for (Map.Entry<Field, FieldState> e : other.fields.entrySet()) {
            if (!fields.containsKey(e.getKey())) {
                final FieldState theirs = e.getValue();
                final FieldState joined =
                        new FieldState(DotSets.join(none, context, theirs.presence(), other.context), theirs.value());
                if (!isBottom(joined)) {
                    out.put(e.getKey(), joined);
                }
            }
        }
        return new OrMap(Collections.unmodifiableNavigableMap(out), context.merge(other.context));
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public Mutation<OrMap> apply(Op op, MutationContext mc) {
        if (op instanceof Op.Update(Field field, Op nested)) {
            final FieldState current = fields.get(field);
            final Crdt<?> currentValue = current != null ? current.value() : field.type().empty();
            final Mutation<?> inner = ((Crdt) currentValue).apply(nested, mc);
            final Dot dot = context.nextDot(mc.replica());
            final NavigableSet<Dot> observed = current != null ? current.presence() : Collections.emptyNavigableSet();
            final NavigableSet<Dot> presence = DotSets.of(dot);
            final TreeMap<Field, FieldState> next = new TreeMap<>(fields);
            next.put(field, new FieldState(presence, inner.state()));
            final TreeMap<Field, FieldState> deltaFields = new TreeMap<>();
            deltaFields.put(field, new FieldState(presence, inner.delta()));
            return new Mutation<>(
                    new OrMap(Collections.unmodifiableNavigableMap(next), context.add(dot)),
                    new OrMap(Collections.unmodifiableNavigableMap(deltaFields), DotContext.ofDots(observed).add(dot)));
        }
        if (op instanceof Op.RemoveField(Field field)) {
            final FieldState current = fields.get(field);
            if (current == null || !current.present()) {
                return new Mutation<>(this, EMPTY);
            }
            final Mutation<?> inner = current.value().reset();
            final NavigableSet<Dot> none = Collections.emptyNavigableSet();
            final TreeMap<Field, FieldState> next = new TreeMap<>(fields);
            final FieldState removed = new FieldState(none, inner.state());
            if (isBottom(removed)) {
                next.remove(field);
            } else {
                next.put(field, removed);
            }
            final TreeMap<Field, FieldState> deltaFields = new TreeMap<>();
            final FieldState deltaState = new FieldState(none, inner.delta());
            if (!isBottom(deltaState)) {
                deltaFields.put(field, deltaState);
            }
            return new Mutation<>(
                    new OrMap(Collections.unmodifiableNavigableMap(next), context),
                    new OrMap(Collections.unmodifiableNavigableMap(deltaFields), DotContext.ofDots(current.presence())));
        }
        throw new IllegalArgumentException("OrMap accepts Update or RemoveField, not " + op);
    }

    @Override
    public Mutation<OrMap> reset() {
        OrMap state = this;
        OrMap delta = EMPTY;
        for (Map.Entry<Field, FieldState> e : fields.entrySet()) {
            if (e.getValue().present()) {
                final Mutation<OrMap> m = state.apply(new Op.RemoveField(e.getKey()), null);
                state = m.state();
                delta = delta.merge(m.delta());
            }
        }
        return new Mutation<>(state, delta);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OrMap other && fields.equals(other.fields) && context.equals(other.context);
    }

    @Override
    public int hashCode() {
        return fields.hashCode() * 31 + context.hashCode();
    }

    @Override
    public String toString() {
        return "OrMap" + fields() + " ctx " + context;
    }
}
