package io.navstar.gossip.kv.crdt;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** What a reader of a CRDT sees, stripped of dots and contexts, for comparing query results. */
final class Observed {

    private Observed() {
    }

    static Object of(Crdt<?> value) {
        return switch (value) {
            case GCounter g -> g.value();
            case PnCounter p -> p.value();
            case LwwRegister r -> r.isSet() ? Arrays.toString(r.value()) : "unset";
            case EnableWinsFlag f -> f.enabled();
            case OrSwot s -> s.elements();
            case OrMap m -> {
                final Map<Field, Object> out = new LinkedHashMap<>();
                m.fields().forEach((field, v) -> out.put(field, of(v)));
                yield out;
            }
        };
    }
}
