package io.navstar.loader.map;

/**
 * Makes flyweights of one struct type: the key or value codec of a {@link TypedMap}. Implementations are
 * stateless and shareable; each call to {@link #newFlyweight()} returns a fresh, unwrapped cursor.
 *
 * @param <F> the flyweight type
 */
public interface Codec<F extends Flyweight> {

    /** The struct's size in bytes, as the map's key or value size. */
    long byteSize();

    /** A new flyweight, not yet wrapped around any memory. */
    F newFlyweight();
}
