package io.navstar.gossip.route;

import io.navstar.gossip.NodeId;
import java.util.Arrays;
import java.util.Map;
import org.agrona.collections.Object2IntHashMap;

/**
 * The mutable overlay graph membership keeps up to date row by row: nodes get dense indices as
 * they appear, and each node's out-edges are the membership row's own sorted {@code NodeId[]}
 * active view, held by reference and never copied. Every node holds every node's row (Lashup's
 * global membership), so the graphs of a cluster hold N^2 edges in total; keeping a reference to
 * the immutable view array instead of a per-holder {@code int[]} row makes one entry cost one
 * reference, and lets a simulator that hands the same row object to every receiver share the
 * arrays across the whole cluster. A {@link Topology} snapshot translates the rows to indices
 * only when routes are asked for.
 *
 * <p>Reachability from one root is a BFS that looks each edge's target up in the index map
 * (an E-lookup walk rather than an E-array-read walk: the price of not storing N int rows). Its
 * queue and marks are scratch arrays shared by every graph on the same thread (one per
 * scheduler thread in a real node, one for a whole simulated cluster), so the damped
 * recomputation allocates nothing once the scratch has grown to the graph size.
 *
 * <p>Not thread-safe: owned by membership on the node's scheduler thread; snapshots are immutable.
 */
public final class IndexedGraph {

    private static final NodeId[] NO_EDGES = new NodeId[0];

    /** BFS queue and generation marks, per thread, shared by all graphs that thread walks. */
    private static final class Scratch {
        int[] queue = new int[64];
        int[] mark = new int[64];
        int generation;

        void ensure(int size) {
            if (queue.length < size) {
                int capacity = Math.max(size, queue.length * 2);
                queue = new int[capacity];
                mark = new int[capacity];
                generation = 0;
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Object2IntHashMap<NodeId> indexOf = new Object2IntHashMap<>(-1);
    private NodeId[] nodes = new NodeId[16];
    private NodeId[][] rows = new NodeId[16][];
    private boolean[] reachableBefore = new boolean[16];
    private int size;
    private long version;

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
            int capacity = size + (size >> 1) + 16;
            nodes = Arrays.copyOf(nodes, capacity);
            rows = Arrays.copyOf(rows, capacity);
            reachableBefore = Arrays.copyOf(reachableBefore, capacity);
        }
        nodes[size] = node;
        rows[size] = NO_EDGES;
        reachableBefore[size] = false;
        indexOf.put(node, size);
        return size++;
    }

    /**
     * Sets the out-edges of {@code node} to {@code targets} (sorted by {@link NodeId} order). The
     * array is kept by reference: the caller must never write it afterwards (membership rows are
     * immutable, see {@code MemberEntry}).
     */
    public void setRow(NodeId node, NodeId[] targets) {
        int from = index(node);
        for (NodeId target : targets) {
            index(target);
        }
        rows[from] = targets;
        version++;
    }

    /** Rebuilds from scratch (after pruning): only the given rows and their targets remain. */
    public void rebuild(Map<NodeId, NodeId[]> remaining) {
        NodeId[] oldNodes = Arrays.copyOf(nodes, size);
        boolean[] oldReachable = Arrays.copyOf(reachableBefore, size);
        // a fresh map, sized for what remains (the old one never shrinks)
        indexOf = new Object2IntHashMap<>(-1);
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
     * own); allocation-free once the thread's scratch has grown to the graph size.
     */
    public int reach(NodeId root, ReachVisitor visitor) {
        Scratch scratch = SCRATCH.get();
        scratch.ensure(size);
        int[] queue = scratch.queue;
        int[] mark = scratch.mark;
        int generation = ++scratch.generation;
        if (generation == Integer.MAX_VALUE) {
            Arrays.fill(mark, 0);
            scratch.generation = generation = 1;
        }
        int rootIndex = indexOf.getValue(root);
        int reachable = 0;
        if (rootIndex >= 0) {
            int head = 0;
            int tail = 0;
            queue[tail++] = rootIndex;
            mark[rootIndex] = generation;
            while (head < tail) {
                for (NodeId target : rows[queue[head++]]) {
                    int next = indexOf.getValue(target);
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

    /** An immutable snapshot: the rows translated to indices now (routes are built lazily). */
    public Topology snapshot() {
        return Topology.fromIndexed(Arrays.copyOf(nodes, size), Arrays.copyOf(rows, size), indexOf);
    }
}
