package io.navstar.gossip.route;

import io.navstar.gossip.NodeId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The breadth-first tree of a {@link Topology} from one root: which nodes are reachable, their
 * distance in hops, the shortest path to each, and each node's children (the nodes a multicast
 * forwards to). Children are computed on first use.
 *
 * <p>Immutable apart from that lazy, idempotent child index; safe to share between threads.
 */
public final class RouteTree {

    static final int ROOT = -1;
    static final int UNREACHABLE = -2;

    private final Topology topology;
    private final NodeId root;
    private final int rootIndex;
    private final int[] parent;
    private final int[] distance;
    private final int[] bfsOrder;
    private volatile int[][] children;

    RouteTree(Topology topology, NodeId root, int rootIndex, int[] parent, int[] distance, int[] bfsOrder) {
        this.topology = topology;
        this.root = root;
        this.rootIndex = rootIndex;
        this.parent = parent;
        this.distance = distance;
        this.bfsOrder = bfsOrder;
    }

    public NodeId root() {
        return root;
    }

    /** Whether {@code node} can be reached from the root (the root reaches itself when known). */
    public boolean reachable(NodeId node) {
        int i = topology.indexOf(node);
        return i >= 0 && distance[i] >= 0;
    }

    /** Hops from the root to {@code node}, or -1 when unreachable or unknown. */
    public int distance(NodeId node) {
        int i = topology.indexOf(node);
        return i < 0 ? -1 : distance[i];
    }

    /** A shortest path root..node inclusive, or empty when unreachable. */
    public List<NodeId> pathTo(NodeId node) {
        int i = topology.indexOf(node);
        if (i < 0 || distance[i] < 0) {
            return List.of();
        }
        List<NodeId> path = new ArrayList<>(distance[i] + 1);
        for (int at = i; at != ROOT; at = parent[at]) {
            path.add(topology.node(at));
        }
        Collections.reverse(path);
        return path;
    }

    /** The parent of {@code node} in the tree, or null for the root and for unreachable nodes. */
    public NodeId parentOf(NodeId node) {
        int i = topology.indexOf(node);
        return i < 0 || parent[i] < 0 ? null : topology.node(parent[i]);
    }

    /** The reachable nodes in BFS order, root first. */
    public List<NodeId> reachableNodes() {
        List<NodeId> out = new ArrayList<>(bfsOrder.length);
        for (int i : bfsOrder) {
            out.add(topology.node(i));
        }
        return out;
    }

    /** Known nodes that are not reachable, sorted. */
    public List<NodeId> unreachableNodes() {
        List<NodeId> out = new ArrayList<>();
        for (int i = 0; i < distance.length; i++) {
            if (distance[i] < 0) {
                out.add(topology.node(i));
            }
        }
        out.sort(null);
        return out;
    }

    public int reachableCount() {
        return bfsOrder.length;
    }

    /** The children of {@code node} in this tree, sorted; empty for leaves and unknown nodes. */
    public List<NodeId> children(NodeId node) {
        int i = topology.indexOf(node);
        if (i < 0 || distance[i] < 0) {
            return List.of();
        }
        int[] kids = childIndex()[i];
        List<NodeId> out = new ArrayList<>(kids.length);
        for (int k : kids) {
            out.add(topology.node(k));
        }
        out.sort(null);
        return out;
    }

    private int[][] childIndex() {
        int[][] index = children;
        if (index == null) {
            int[] counts = new int[parent.length];
            for (int p : parent) {
                if (p >= 0) {
                    counts[p]++;
                }
            }
            index = new int[parent.length][];
            for (int i = 0; i < parent.length; i++) {
                index[i] = new int[counts[i]];
                counts[i] = 0;
            }
            for (int i = 0; i < parent.length; i++) {
                int p = parent[i];
                if (p >= 0) {
                    index[p][counts[p]++] = i;
                }
            }
            children = index;
        }
        return index;
    }

    /**
     * The tree in the form a multicast carries: nodes in BFS order (root first) and, for each, the
     * position of its parent in that order (-1 for the root).
     */
    public WireTree toWire() {
        int[] position = new int[parent.length];
        NodeId[] wireNodes = new NodeId[bfsOrder.length];
        int[] wireParents = new int[bfsOrder.length];
        for (int k = 0; k < bfsOrder.length; k++) {
            int i = bfsOrder[k];
            position[i] = k;
            wireNodes[k] = topology.node(i);
            wireParents[k] = parent[i] == ROOT ? -1 : position[parent[i]];
        }
        return new WireTree(wireNodes, wireParents);
    }

    /** A tree as carried by a multicast message. */
    public record WireTree(NodeId[] nodes, int[] parents) {
    }

    int rootIndex() {
        return rootIndex;
    }
}
