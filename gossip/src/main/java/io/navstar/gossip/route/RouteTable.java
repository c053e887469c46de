package io.navstar.gossip.route;

import io.navstar.gossip.NodeId;
import java.util.List;

/**
 * Routing answers from one node's point of view ({@code self} as root) over one membership
 * snapshot: the questions Lashup's lashup_gm_route answered. Trees of other roots come from
 * {@link #tree(NodeId)}. A new table is made when the adjacency changes; until then every answer
 * comes from the cached BFS tree.
 *
 * <p>Immutable and thread-safe.
 */
public final class RouteTable {

    private final NodeId self;
    private final Topology topology;

    public RouteTable(NodeId self, Topology topology) {
        this.self = self;
        this.topology = topology;
    }

    public Topology topology() {
        return topology;
    }

    /** The BFS tree from {@code root}. */
    public RouteTree tree(NodeId root) {
        return topology.tree(root);
    }

    private RouteTree own() {
        return topology.tree(self);
    }

    /** Whether {@code node} is reachable from this node. */
    public boolean reachable(NodeId node) {
        return node.equals(self) || own().reachable(node);
    }

    /** A shortest path from this node to {@code node}, both included; empty when unreachable. */
    public List<NodeId> pathTo(NodeId node) {
        if (node.equals(self)) {
            return List.of(self);
        }
        return own().pathTo(node);
    }

    /** Hops from this node to {@code node}; -1 when unreachable. */
    public int distance(NodeId node) {
        return node.equals(self) ? 0 : own().distance(node);
    }

    /** Every node reachable from this node, this node first, in BFS order. */
    public List<NodeId> reachableNodes() {
        return topology.contains(self) ? own().reachableNodes() : List.of(self);
    }

    /** Every known node not reachable from this node, sorted. */
    public List<NodeId> unreachableNodes() {
        return own().unreachableNodes();
    }

    /** The children of {@code node} in this node's tree. */
    public List<NodeId> children(NodeId node) {
        return own().children(node);
    }
}
