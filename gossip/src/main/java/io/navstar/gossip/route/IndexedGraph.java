package io.navstar.gossip.route;

import io.navstar.gossip.NodeId;
import java.util.Arrays;
import java.util.Map;
import org.agrona.collections.Object2IntHashMap;

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

    private final Object2IntHashMap<NodeId> indexOf = new Object2IntHashMap<>(-1);
    private NodeId[] nodes = new NodeId[64];
    private int[][] rows = new int[64][];
    private int size;
    private long version;
    private int[] queue = new int[64];
    private int[] mark = new int[64];
    private boolean[] reachableBefore = new boolean[64];
    private int markGeneration;

    /** Bumped on every change; a snapshot of the same version is still current. */
    public long version() {
        return version;
    }

    public int size() {
        return size;
    }

    private int index(NodeId node) {
        int existing = indexOf.getValue(node);
        if (existing >= 0) {
            return existing;
        }
        if (size == nodes.length) {
            int capacity = size * 2;
            nodes = Arrays.copyOf(nodes, capacity);
            rows = Arrays.copyOf(rows, capacity);
            queue = new int[capacity];
            mark = Arrays.copyOf(mark, capacity);
            reachableBefore = Arrays.copyOf(reachableBefore, capacity);
        }
        nodes[size] = node;
        rows[size] = NO_EDGES;
        reachableBefore[size] = false;
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
        NodeId[] oldNodes = Arrays.copyOf(nodes, size);
        boolean[] oldReachable = Arrays.copyOf(reachableBefore, size);
        indexOf.clear();
        Arrays.fill(nodes, 0, size, null);
        Arrays.fill(rows, 0, size, null);
        size = 0;
        remaining.forEach(this::setRow);
        for (int i = 0; i < oldNodes.length; i++) {
            int now = indexOf.getValue(oldNodes[i]);
            if (now >= 0) {
                reachableBefore[now] = oldReachable[i];
            }
        }
        version++;
    }

    /**
     * Counts the nodes reachable from {@code root} and calls {@code visitor} for each node with its
     * reachability now and at the previous call (so callers see transitions without a set of their
     * own); allocation-free.
     */
    public int reach(NodeId root, ReachVisitor visitor) {
        int rootIndex = indexOf.getValue(root);
        int generation = ++markGeneration;
        if (generation == Integer.MAX_VALUE) {
            Arrays.fill(mark, 0);
            markGeneration = generation = 1;
        }
        int reachable = 0;
        if (rootIndex >= 0) {
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
        for (int i = 0; i < size; i++) {
            boolean now = mark[i] == generation;
            if (visitor != null) {
                visitor.visit(nodes[i], now, reachableBefore[i]);
            }
            reachableBefore[i] = now;
        }
        return reachable;
    }

    /** Told of each node's reachability by {@link #reach}, and its reachability at the previous call. */
    @FunctionalInterface
    public interface ReachVisitor {
        void visit(NodeId node, boolean reachable, boolean wasReachable);
    }

    /** An immutable snapshot sharing the row arrays. */
    public Topology snapshot() {
        return Topology.fromIndexed(Arrays.copyOf(nodes, size), Arrays.copyOf(rows, size));
    }
}
