package io.navstar.gossip;

/**
 * Told when this node's HyParView active view gains or loses a neighbour, on the node's scheduler
 * thread. Anti-entropy uses it to know whom to exchange digests with.
 */
public interface NeighbourListener {

    void onNeighbourUp(NodeId neighbour);

    /** @param failed true when a health probe timed out, false when the neighbour left by protocol */
    void onNeighbourDown(NodeId neighbour, boolean failed);
}
