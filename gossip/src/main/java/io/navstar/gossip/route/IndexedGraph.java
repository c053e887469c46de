package io.navstar.gossip.route;

import io.navstar.gossip.NodeId;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The mutable overlay graph membership keeps up to date row by row: nodes get dense indices as
 * they appear, each node's out-edges are an int array replaced (never written) when its row
 * changes, so a {@link Topology} snapshot can share the rows. Reachability from one root is a BFS
 * over these arrays with reused scratch space, so the damped recomputation of a 10,000-node table
 * allocates nothing.
 *
 * <p>Not thread-safe: owned by membership on the node's scheduler thread; snapshots are immutable.
 */
public final class IndexedGraph {

    private static final int[] NO_EDGES = new int[0];

    private final Map<NodeId, Integer> indexOf = new HashMap<>();
    private NodeId[] nodes = new NodeId[64];
    private int[][] rows = new int[64][];
    private int size;
    private long version;
    private int[] queue = new int[64];
    private int[] mark = new int[64];
    private int markGeneration;

    /** Bumped on every change; a snapshot of the same version is still current. */
    public long version() {
        return version;
    }

    public int size() {
        return size;
    }

    private int index(NodeId node) {
        Integer existing = indexOf.get(node);
        if (existing != null) {
            return existing;
        }
        if (size == nodes.length) {
            int capacity = size * 2;
            nodes = Arrays.copyOf(nodes, capacity);
            rows = Arrays.copyOf(rows, capacity);
            queue = new int[capacity];
            mark = Arrays.copyOf(mark, capacity);
        }
        nodes[size] = node;
        rows[size] = NO_EDGES;
        indexOf.put(node, size);
        return size++;
    }

    /** Sets the out-edges of {@code node} to {@code targets} (sorted by {@link NodeId} order). */
    public void setRow(NodeId node, NodeId[] targets) {
        int from = index(node);
        int[] row = new int[targets.length];
        int count = 0;
        for (NodeId target : targets) {
            int to = index(target);
            if (to != from) {
                row[count++] = to;
            }
        }
        rows[from] = count == row.length ? row : Arrays.copyOf(row, count);
        version++;
    }

    /** Rebuilds from scratch (after pruning): only the given rows and their targets remain. */
    public void rebuild(Map<NodeId, NodeId[]> remaining) {
        indexOf.clear();
        Arrays.fill(nodes, 0, size, null);
        Arrays.fill(rows, 0, size, null);
        size = 0;
        remaining.forEach(this::setRow);
        version++;
    }

    /**
     * Counts the nodes reachable from {@code root} and calls {@code visitor} for each node with its
     * reachability; allocation-free.
     */
    public int reach(NodeId root, ReachVisitor visitor) {
        Integer rootIndex = indexOf.get(root);
        int generation = ++markGeneration;
        if (generation == Integer.MAX_VALUE) {
            Arrays.fill(mark, 0);
            markGeneration = generation = 1;
        }
        int reachable = 0;
        if (rootIndex != null) {
            int head = 0;
            int tail = 0;
            queue[tail++] = rootIndex;
            mark[rootIndex] = generation;
            while (head < tail) {
                int current = queue[head++];
                for (int next : rows[current]) {
                    if (mark[next] != generation) {
                        mark[next] = generation;
                        queue[tail++] = next;
                    }
                }
            }
            reachable = tail;
        }
        if (visitor != null) {
            for (int i = 0; i < size; i++) {
                visitor.visit(nodes[i], mark[i] == generation);
            }
        }
        return reachable;
    }

    /** Told of each node's reachability by {@link #reach}. */
    @FunctionalInterface
    public interface ReachVisitor {
        void visit(NodeId node, boolean reachable);
    }

    /** An immutable snapshot sharing the row arrays. */
    public Topology snapshot() {
        return Topology.fromIndexed(Arrays.copyOf(nodes, size), Arrays.copyOf(rows, size));
    }
}
