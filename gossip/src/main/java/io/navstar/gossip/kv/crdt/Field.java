package io.navstar.gossip.kv.crdt;

import java.util.Objects;

/**
 * A field of an {@link OrMap}: a name and the type of the value stored under it. Two fields with
 * the same name and different types are different fields, as in riak_dt_map, so concurrent
 * writers that disagree on a type never have to merge unlike values.
 */
public record Field(String name, CrdtType type) implements Comparable<Field> {

    public Field {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
    }

    public static Field of(String name, CrdtType type) {
        return new Field(name, type);
    }

    @Override
    public int compareTo(Field other) {
        final int byName = name.compareTo(other.name);
        return byName != 0 ? byName : Integer.compare(type.code(), other.type.code());
    }
}
