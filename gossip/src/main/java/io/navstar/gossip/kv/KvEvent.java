package io.navstar.gossip.kv;

import io.navstar.gossip.kv.crdt.OrMap;
import io.navstar.gossip.kv.crdt.VersionVector;

/**
 * A committed value of a key, delivered to subscribers: first once for each existing key under
 * the prefix ({@code replay} true), then on every durable change.
 */
public record KvEvent(KvKey key, OrMap value, VersionVector clock, boolean replay) {
}
