package io.navstar.gossip.route;

import io.navstar.gossip.NodeId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.agrona.collections.Object2IntHashMap;

/**
 * An immutable snapshot of the overlay graph as global membership knows it: a directed edge from
 * every node to each member of its active view. Nodes get dense indices and the edges are held as
 * compressed sparse rows (one offsets array, one targets array: no per-node arrays or boxed maps),
 * so BFS runs over int arrays; each node's neighbours are in node order, so trees do not depend on
 * the order nodes were indexed in. Membership builds a snapshot only when routes are asked for. The
 * BFS tree of each root is computed on first use and cached for the life of the
 * snapshot, which is the life of one adjacency (membership makes a new snapshot when an active view
 * changes).
 *
 * <p>Immutable and thread-safe; the tree cache is a concurrent map.
 */
public final class Topology {

    private static final Topology EMPTY = new Topology(new NodeId[0], new int[] {0}, new int[0]);

    private final NodeId[] nodes;
    private final Object2IntHashMap<NodeId> indexOf;
    // compressed sparse rows: the out-edges of node i are targets[offsets[i] .. offsets[i + 1])
    private final int[] offsets;
    private final int[] targets;
    private final Map<NodeId, RouteTree> trees = new ConcurrentHashMap<>();

    private Topology(NodeId[] nodes, int[] offsets, int[] targets) {
        this.nodes = nodes;
        this.offsets = offsets;
        this.targets = targets;
        this.indexOf = new Object2IntHashMap<>((int) (nodes.length / 0.65f) + 1, 0.65f, -1);
        for (int i = 0; i < nodes.length; i++) {
            indexOf.put(nodes[i], i);
        }
    }

    /**
     * A snapshot over {@link IndexedGraph} rows ({@code rows[i]} is the sorted active view of
     * {@code nodes[i]}, {@code graphIndex} the graph's node-to-index map at this moment); edges
     * become indices here, self-loops dropped, and each node's neighbours are in node order so BFS
     * trees do not depend on the order nodes were indexed in.
     */
    static Topology fromIndexed(NodeId[] nodes, NodeId[][] rows, Object2IntHashMap<NodeId> graphIndex) {
        int edges = 0;
        for (NodeId[] row : rows) {
            edges += row.length;
        }
        int[] offsets = new int[nodes.length + 1];
        int[] targets = new int[edges];
        int at = 0;
        for (int i = 0; i < rows.length; i++) {
            offsets[i] = at;
            NodeId previous = null;
            boolean inOrder = true;
            for (NodeId target : rows[i]) {
                int t = graphIndex.getValue(target);
                if (t != i && t >= 0) {
                    inOrder &= previous == null || previous.compareTo(target) < 0;
                    previous = target;
                    targets[at++] = t;
                }
            }
            if (!inOrder) {
                sortByNode(targets, offsets[i], at, nodes);
            }
        }
        offsets[nodes.length] = at;
        return new Topology(nodes, offsets, at == edges ? targets : Arrays.copyOf(targets, at));
    }

    // Insertion sort of a short row (an active view: a handful of entries) by node order.
    private static void sortByNode(int[] a, int from, int to, NodeId[] nodes) {
        for (int i = from + 1; i < to; i++) {
            int v = a[i];
            int j = i - 1;
            while (j >= from && nodes[a[j]].compareTo(nodes[v]) > 0) {
                a[j + 1] = a[j];
                j--;
            }
            a[j + 1] = v;
        }
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
        int total = 0;
        for (int[] row : edges) {
            total += row.length;
        }
        int[] offsets = new int[nodes.length + 1];
        int[] targets = new int[total];
        int at = 0;
        for (int i = 0; i < nodes.length; i++) {
            offsets[i] = at;
            System.arraycopy(edges[i], 0, targets, at, edges[i].length);
            at += edges[i].length;
        }
        offsets[nodes.length] = at;
        return new Topology(nodes, offsets, targets);
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
        return indexOf.getValue(node) >= 0;
    }

    /** The nodes {@code node} has edges to (its active view), empty when unknown. */
    public List<NodeId> neighbours(NodeId node) {
        int i = indexOf.getValue(node);
        if (i < 0) {
            return List.of();
        }
        List<NodeId> out = new ArrayList<>(offsets[i + 1] - offsets[i]);
        for (int k = offsets[i]; k < offsets[i + 1]; k++) {
            out.add(nodes[targets[k]]);
        }
        return out;
    }

    /** The BFS tree rooted at {@code root}, cached in this snapshot. */
    public RouteTree tree(NodeId root) {
        return trees.computeIfAbsent(root, this::bfs);
    }

    int indexOf(NodeId node) {
        return indexOf.getValue(node);
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
            for (int k = offsets[current], end = offsets[current + 1]; k < end; k++) {
                int next = targets[k];
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
