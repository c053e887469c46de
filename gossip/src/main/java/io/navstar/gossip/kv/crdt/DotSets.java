package io.navstar.gossip.kv.crdt;

import java.util.Collections;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * The join of two dot sets under their causal contexts (Almeida et al., JPDC 2018, §6.1, "DotSet"):
 * a dot survives when both sides hold it, or when one side holds it and the other has never seen
 * it. A dot that one side has seen and dropped was removed, and stays removed.
 */
final class DotSets {

    private DotSets() {
    }

    static NavigableSet<Dot> join(Set<Dot> left, DotContext leftContext, Set<Dot> right, DotContext rightContext) {
        if (left.isEmpty() && right.isEmpty()) {
            return Collections.emptyNavigableSet();
        }
        final TreeSet<Dot> out = new TreeSet<>();
        for (Dot dot : left) {
            if (right.contains(dot) || !rightContext.contains(dot)) {
                out.add(dot);
            }
        }
        for (Dot dot : right) {
            if (!leftContext.contains(dot)) {
                out.add(dot);
            }
        }
        return out.isEmpty() ? Collections.emptyNavigableSet() : Collections.unmodifiableNavigableSet(out);
    }

    static NavigableSet<Dot> of(Dot dot) {
        final TreeSet<Dot> set = new TreeSet<>();
        set.add(dot);
        return Collections.unmodifiableNavigableSet(set);
    }

    static NavigableSet<Dot> copy(Set<Dot> dots) {
        return dots.isEmpty() ? Collections.emptyNavigableSet() : Collections.unmodifiableNavigableSet(new TreeSet<>(dots));
    }
}
