package io.navstar.gossip.kv.crdt;

/**
 * The result of a delta-mutator: the new state, and the delta that carries the change to other
 * replicas ({@code state == old.merge(delta)}).
 */
public record Mutation<T extends Crdt<T>>(T state, T delta) {
}
