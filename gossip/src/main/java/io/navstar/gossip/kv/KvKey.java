package io.navstar.gossip.kv;

import io.navstar.gossip.kv.wire.WireReader;
import io.navstar.gossip.kv.wire.WireWriter;
import java.util.List;
import java.util.Objects;

/**
 * A key of the KV store: a path of names such as {@code [minuteman, vips]}. Keys order element by
 * element, so every key under a prefix sorts right after the prefix itself and a prefix scan is a
 * range scan.
 *
 * <p>Immutable; safe to share between threads.
 */
public record KvKey(List<String> path) implements Comparable<KvKey> {

    /** Most elements in a path. */
    public static final int MAX_ELEMENTS = 64;
    /** Longest element, in UTF-8 bytes. */
    public static final int MAX_ELEMENT_BYTES = 1024;

    public KvKey {
        path = List.copyOf(path);
        if (path.size() > MAX_ELEMENTS) {
            throw new IllegalArgumentException("key has " + path.size() + " elements, limit " + MAX_ELEMENTS);
        }
        for (String element : path) {
            Objects.requireNonNull(element, "key element");
        }
    }

    public static KvKey of(String... path) {
        return new KvKey(List.of(path));
    }

    /** The empty prefix, under which every key lies. */
    public static KvKey root() {
        return new KvKey(List.of());
    }

    public boolean startsWith(KvKey prefix) {
        return path.size() >= prefix.path.size() && path.subList(0, prefix.path.size()).equals(prefix.path);
    }

    @Override
    public int compareTo(KvKey other) {
        final int n = Math.min(path.size(), other.path.size());
        for (int i = 0; i < n; i++) {
            final int c = path.get(i).compareTo(other.path.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(path.size(), other.path.size());
    }

    public void write(WireWriter out) {
        out.varuint(path.size());
        for (String element : path) {
            out.string(element);
        }
    }

    public byte[] encode() {
        final WireWriter out = new WireWriter(32);
        write(out);
        return out.toByteArray();
    }

    public static KvKey read(WireReader in) {
        final int n = in.count("key length", MAX_ELEMENTS, 1);
        final String[] elements = new String[n];
        for (int i = 0; i < n; i++) {
            elements[i] = in.string("key element", MAX_ELEMENT_BYTES);
        }
        return new KvKey(List.of(elements));
    }

    public static KvKey decode(byte[] bytes) {
        final WireReader in = new WireReader(bytes);
        final KvKey key = read(in);
        in.expectEnd("key");
        return key;
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
