package io.navstar.gossip.membership;

import io.navstar.gossip.NodeId;
import java.util.Arrays;

/**
 * One node's row in the global membership table: its active view at a point of its life, ordered by
 * {@code (epoch, clock)}. The epoch is the node's incarnation (persisted, bumped on every restart);
 * the clock counts the node's own changes within the epoch. A row replaces another of the same
 * node only when it is {@link #isNewerThan newer}.
 *
 * <p>Immutable; {@code activeView} is sorted and must not be written after construction, because
 * the simulator shares one instance between many nodes' tables.
 */
public record MemberEntry(NodeId node, long epoch, long clock, NodeId[] activeView) {

    /** Whether this row supersedes {@code other} (same node assumed). */
    public boolean isNewerThan(MemberEntry other) {
        return epoch != other.epoch ? epoch > other.epoch : clock > other.clock;
    }

    /** Whether the active view lists {@code peer}. */
    public boolean lists(NodeId peer) {
        return Arrays.binarySearch(activeView, peer) >= 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MemberEntry other && node.equals(other.node) && epoch == other.epoch
                && clock == other.clock && Arrays.equals(activeView, other.activeView);
    }

    @Override
    public int hashCode() {
        return node.hashCode() * 31 + Long.hashCode(epoch * 1_000_003 + clock);
    }

    @Override
    public String toString() {
        return node + "{epoch=" + epoch + ", clock=" + clock + ", active=" + Arrays.toString(activeView) + "}";
    }
}
