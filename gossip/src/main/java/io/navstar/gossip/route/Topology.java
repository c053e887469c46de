package io.navstar.gossip.route;

import io.navstar.gossip.NodeId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An immutable snapshot of the overlay graph as global membership knows it: a directed edge from
 * every node to each member of its active view. Nodes get dense indices in sorted order so BFS runs
 * over int arrays; the BFS tree of each root is computed on first use and cached for the life of the
 * snapshot, which is the life of one adjacency (membership makes a new snapshot when an active view
 * changes).
 *
 * <p>Immutable and thread-safe; the tree cache is a concurrent map.
 */
public final class Topology {

    private static final Topology EMPTY = new Topology(new NodeId[0], new int[0][]);

    private final NodeId[] nodes;
    private final Map<NodeId, Integer> indexOf;
    private final int[][] adjacency;
    private final Map<NodeId, RouteTree> trees = new ConcurrentHashMap<>();

    private Topology(NodeId[] nodes, int[][] adjacency) {
        this.nodes = nodes;
        this.adjacency = adjacency;
        this.indexOf = new HashMap<>(nodes.length * 2);
        for (int i = 0; i < nodes.length; i++) {
            indexOf.put(nodes[i], i);
        }
    }

    /**
     * A snapshot over rows indexed like {@code nodes} (from {@link IndexedGraph}); neighbours are
     * re-sorted by node order so BFS trees do not depend on the order nodes were indexed in.
     */
    static Topology fromIndexed(NodeId[] nodes, int[][] rows) {
        int[][] sorted = new int[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            int[] row = rows[i];
            boolean inOrder = true;
            for (int k = 1; k < row.length && inOrder; k++) {
                inOrder = nodes[row[k - 1]].compareTo(nodes[row[k]]) < 0;
            }
            if (inOrder) {
                sorted[i] = row;
            } else {
                Integer[] boxed = new Integer[row.length];
                for (int k = 0; k < row.length; k++) {
                    boxed[k] = row[k];
                }
                Arrays.sort(boxed, (a, b) -> nodes[a].compareTo(nodes[b]));
                sorted[i] = new int[row.length];
                for (int k = 0; k < row.length; k++) {
                    sorted[i][k] = boxed[k];
                }
            }
        }
        return new Topology(nodes, sorted);
    }

    /** The empty graph. */
    public static Topology empty() {
        return EMPTY;
    }

    /**
     * A snapshot of {@code adjacency}: node to the nodes it has edges to. Targets that are not keys
     * become nodes without out-edges; self-loops and duplicate edges are ignored.
     */
    public static Topology of(Map<NodeId, NodeId[]> adjacency) {
        java.util.HashSet<NodeId> all = new java.util.HashSet<>(adjacency.keySet());
        for (NodeId[] targets : adjacency.values()) {
            Collections.addAll(all, targets);
        }
        NodeId[] nodes = all.toArray(NodeId[]::new);
        Arrays.sort(nodes);
        Map<NodeId, Integer> index = new HashMap<>(nodes.length * 2);
        for (int i = 0; i < nodes.length; i++) {
            index.put(nodes[i], i);
        }
        int[][] edges = new int[nodes.length][];
        for (int i = 0; i < nodes.length; i++) {
            NodeId[] targets = adjacency.get(nodes[i]);
            if (targets == null || targets.length == 0) {
                edges[i] = new int[0];
                continue;
            }
            int[] out = new int[targets.length];
            int count = 0;
            for (NodeId target : targets) {
                int t = index.get(target);
                if (t != i) {
                    out[count++] = t;
                }
            }
            out = Arrays.copyOf(out, count);
            Arrays.sort(out);
            int unique = 0;
            for (int k = 0; k < count; k++) {
                if (unique == 0 || out[unique - 1] != out[k]) {
                    out[unique++] = out[k];
                }
            }
            edges[i] = Arrays.copyOf(out, unique);
        }
        return new Topology(nodes, edges);
    }

    /** Every node of the graph, sorted. */
    public List<NodeId> nodes() {
        NodeId[] sorted = nodes.clone();
        Arrays.sort(sorted);
        return List.of(sorted);
    }

    public int size() {
        return nodes.length;
    }

    public boolean contains(NodeId node) {
        return indexOf.containsKey(node);
    }

    /** The nodes {@code node} has edges to (its active view), empty when unknown. */
    public List<NodeId> neighbours(NodeId node) {
        Integer i = indexOf.get(node);
        if (i == null) {
            return List.of();
        }
        List<NodeId> out = new ArrayList<>(adjacency[i].length);
        for (int target : adjacency[i]) {
            out.add(nodes[target]);
        }
        return out;
    }

    /** The BFS tree rooted at {@code root}, cached in this snapshot. */
    public RouteTree tree(NodeId root) {
        return trees.computeIfAbsent(root, this::bfs);
    }

    int indexOf(NodeId node) {
        Integer i = indexOf.get(node);
        return i == null ? -1 : i;
    }

    NodeId node(int index) {
        return nodes[index];
    }

    // Breadth-first search over out-edges; neighbours are visited in sorted order, so the tree is
    // the same on every node that holds the same membership.
    private RouteTree bfs(NodeId root) {
        int n = nodes.length;
        int[] parent = new int[n];
        int[] distance = new int[n];
        Arrays.fill(parent, RouteTree.UNREACHABLE);
        Arrays.fill(distance, -1);
        int rootIndex = indexOf(root);
        if (rootIndex < 0) {
            return new RouteTree(this, root, -1, parent, distance, new int[0]);
        }
        int[] order = new int[n];
        int head = 0;
        int tail = 0;
        order[tail++] = rootIndex;
        parent[rootIndex] = RouteTree.ROOT;
        distance[rootIndex] = 0;
        while (head < tail) {
            int current = order[head++];
            for (int next : adjacency[current]) {
                if (distance[next] < 0) {
                    distance[next] = distance[current] + 1;
                    parent[next] = current;
                    order[tail++] = next;
                }
            }
        }
        return new RouteTree(this, root, rootIndex, parent, distance, Arrays.copyOf(order, tail));
    }
}
