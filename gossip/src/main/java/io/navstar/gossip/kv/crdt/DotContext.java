package io.navstar.gossip.kv.crdt;

import java.util.Collections;
import java.util.Iterator;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The causal context of a causal CRDT: the set of dots it has seen, held compactly as a version
 * vector plus a "dot cloud" of dots that are not contiguous yet (Almeida, Shoker, Baquero, "Delta
 * state replicated data types", JPDC 2018, §4.1 and §6.1). A delta carries only the dots it
 * touches, so its context is usually all cloud; merging it into a full state compacts the cloud
 * back into the vector. The representation is canonical: every cloud dot lies beyond the
 * vector's entry for its replica plus one, so equal dot sets give equal objects.
 *
 * <p>Immutable; safe to share between threads.
 */
public final class DotContext {

    private static final DotContext EMPTY = new DotContext(VersionVector.empty(), Collections.emptyNavigableSet());

    private final VersionVector compact;
    private final NavigableSet<Dot> cloud;

    private DotContext(VersionVector compact, NavigableSet<Dot> cloud) {
        this.compact = compact;
        this.cloud = cloud;
    }

    public static DotContext empty() {
        return EMPTY;
    }

    /** A context holding the given vector and dots, compacted. */
    public static DotContext of(VersionVector compact, Set<Dot> cloud) {
        if (cloud.isEmpty()) {
            return compact.isEmpty() ? EMPTY : new DotContext(compact, Collections.emptyNavigableSet());
        }
        return compacted(compact, new TreeSet<>(cloud));
    }

    /** A context that has seen exactly the given dots. */
    public static DotContext ofDots(Set<Dot> dots) {
        return of(VersionVector.empty(), dots);
    }

    public VersionVector compact() {
        return compact;
    }

    public NavigableSet<Dot> cloud() {
        return Collections.unmodifiableNavigableSet(cloud);
    }

    public boolean contains(Dot dot) {
        return compact.get(dot.replica()) >= dot.counter() || cloud.contains(dot);
    }

    /** The next dot {@code replica} would issue: one past the highest it has been seen to use. */
    public Dot nextDot(String replica) {
        long max = compact.get(replica);
        final Dot last = cloud.floor(new Dot(replica, Long.MAX_VALUE));
        if (last != null && last.replica().equals(replica)) {
            max = Math.max(max, last.counter());
        }
        return new Dot(replica, max + 1);
    }

    public DotContext add(Dot dot) {
        if (contains(dot)) {
            return this;
        }
        final TreeSet<Dot> next = new TreeSet<>(cloud);
        next.add(dot);
        return compacted(compact, next);
    }

    /** The union of both dot sets. */
    public DotContext merge(DotContext other) {
        if (other == EMPTY || other == this) {
            return this;
        }
        if (this == EMPTY) {
            return other;
        }
        final TreeSet<Dot> next = new TreeSet<>(cloud);
        next.addAll(other.cloud);
        return compacted(compact.merge(other.compact), next);
    }

    public boolean isEmpty() {
        return compact.isEmpty() && cloud.isEmpty();
    }

    /** Moves every cloud dot that extends the vector into it and drops those it already covers. */
    private static DotContext compacted(VersionVector compact, TreeSet<Dot> cloud) {
        final TreeMap<String, Long> vector = new TreeMap<>(compact.asMap());
        // The cloud is sorted by (replica, counter), so one pass per replica extends the vector
        // as far as its dots are contiguous.
        final Iterator<Dot> it = cloud.iterator();
        while (it.hasNext()) {
            final Dot dot = it.next();
            final long have = vector.getOrDefault(dot.replica(), 0L);
            if (dot.counter() <= have) {
                it.remove();
            } else if (dot.counter() == have + 1) {
                vector.put(dot.replica(), dot.counter());
                it.remove();
            }
        }
        final VersionVector v = VersionVector.of(vector);
        if (cloud.isEmpty()) {
            return v.isEmpty() ? EMPTY : new DotContext(v, Collections.emptyNavigableSet());
        }
        return new DotContext(v, cloud);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DotContext other && compact.equals(other.compact) && cloud.equals(other.cloud);
    }

    @Override
    public int hashCode() {
        return compact.hashCode() * 31 + cloud.hashCode();
    }

    @Override
    public String toString() {
        return cloud.isEmpty() ? compact.toString() : compact + "+" + cloud;
    }
}
