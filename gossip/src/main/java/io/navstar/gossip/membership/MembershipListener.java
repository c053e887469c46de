package io.navstar.gossip.membership;

import io.navstar.gossip.NodeId;
import java.util.Set;

/**
 * Told of global membership changes, on the node's scheduler thread. Every method has an empty
 * default; implement what you need.
 */
public interface MembershipListener {

    /** A node's row was added or replaced by a newer one. */
    default void onMemberChanged(MemberEntry entry) {
    }

    /** A node was pruned after staying unreachable too long. */
    default void onMemberRemoved(NodeId node) {
    }

    /**
     * Reachability from this node changed. Damped: changes within the damping interval arrive as
     * one call.
     */
    default void onReachabilityChanged(Set<NodeId> becameReachable, Set<NodeId> becameUnreachable) {
    }
}
