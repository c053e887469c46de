package io.navstar.gossip.kv.crdt;

import java.util.Objects;

/**
 * Where and when an operation is applied: the replica that issues new dots, and the timestamp
 * (microseconds since the epoch, strictly increasing per replica) used by last-writer-wins.
 */
public record MutationContext(String replica, long timestamp) {

    public MutationContext {
        Objects.requireNonNull(replica, "replica");
        if (replica.isEmpty()) {
            throw new IllegalArgumentException("replica id must not be empty");
        }
    }
}
