package io.navstar.gossip.kv;

import io.navstar.gossip.kv.crdt.OrMap;
import io.navstar.gossip.kv.crdt.VersionVector;

/** A key's value with its clock, as read at one moment; immutable. */
public record Versioned(OrMap value, VersionVector clock) {

    static final Versioned ABSENT = new Versioned(OrMap.empty(), VersionVector.empty());
}
