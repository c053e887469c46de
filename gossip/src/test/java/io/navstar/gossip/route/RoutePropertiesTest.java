package io.navstar.gossip.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.NodeId;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.jgrapht.Graph;
import org.jgrapht.alg.shortestpath.BFSShortestPath;
import org.jgrapht.graph.DefaultDirectedGraph;
import org.jgrapht.graph.DefaultEdge;

/**
 * Random sequences of adding and removing nodes and edges: every route answer must equal JGraphT's
 * on the same directed graph, as the seed's PropEr test compared lashup_gm_route with digraph.
 */
class RoutePropertiesTest {

    enum Kind { ADD_NODE, REMOVE_NODE, ADD_EDGE, REMOVE_EDGE }

    record Op(Kind kind, int a, int b) {
    }

    private static NodeId node(int i) {
        return new NodeId(0x0A000001 + i, 7000);
    }

    @Provide
    Arbitrary<List<Op>> operations() {
        Arbitrary<Op> op = Combinators.combine(
                Arbitraries.of(Kind.class),
                Arbitraries.integers().between(0, 11),
                Arbitraries.integers().between(0, 11)).as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(60);
    }

    @Property(tries = 10_000)
    void routeAnswersEqualJGraphT(@ForAll("operations") List<Op> ops) {
        Map<NodeId, Set<NodeId>> adjacency = new HashMap<>();
        Graph<NodeId, DefaultEdge> reference = new DefaultDirectedGraph<>(DefaultEdge.class);
        for (Op op : ops) {
            NodeId a = node(op.a());
            NodeId b = node(op.b());
            switch (op.kind()) {
                case ADD_NODE -> {
                    adjacency.computeIfAbsent(a, k -> new LinkedHashSet<>());
                    reference.addVertex(a);
                }
                case REMOVE_NODE -> {
                    adjacency.remove(a);
                    adjacency.values().forEach(targets -> targets.remove(a));
                    reference.removeVertex(a);
                }
                case ADD_EDGE -> {
                    if (!a.equals(b)) {
                        adjacency.computeIfAbsent(a, k -> new LinkedHashSet<>()).add(b);
                        adjacency.computeIfAbsent(b, k -> new LinkedHashSet<>());
                        reference.addVertex(a);
                        reference.addVertex(b);
                        reference.addEdge(a, b);
                    }
                }
                case REMOVE_EDGE -> {
                    Set<NodeId> targets = adjacency.get(a);
                    if (targets != null) {
                        targets.remove(b);
                    }
                    reference.removeEdge(a, b);
                }
            }
        }
        Map<NodeId, NodeId[]> rows = new HashMap<>();
        adjacency.forEach((k, v) -> rows.put(k, v.toArray(NodeId[]::new)));
        Topology topology = Topology.of(rows);
        assertEquals(reference.vertexSet(), new HashSet<>(topology.nodes()));

        // Membership's incremental graph over the same rows (after a stale row is pruned by a
        // rebuild) must give the same snapshot and the same reachability counts.
        IndexedGraph graph = new IndexedGraph();
        graph.setRow(node(20), new NodeId[] {node(0), node(21)});
        rows.forEach((k, v) -> {
            NodeId[] sorted = v.clone();
            java.util.Arrays.sort(sorted);
            graph.setRow(k, sorted);
        });
        graph.rebuild(rows.entrySet().stream().collect(java.util.stream.Collectors.toMap(
                Map.Entry::getKey, e -> { NodeId[] v = e.getValue().clone(); java.util.Arrays.sort(v); return v; })));
        Topology indexed = graph.snapshot();
        assertEquals(reference.vertexSet(), new HashSet<>(indexed.nodes()), "indexed graph nodes");
        for (NodeId root : reference.vertexSet()) {
            var paths = new BFSShortestPath<>(reference).getPaths(root);
            long reachable = reference.vertexSet().stream().filter(t -> paths.getPath(t) != null).count();
            assertEquals(reachable, graph.reach(root, null), root + " reach count over the indexed graph");
            for (NodeId target : reference.vertexSet()) {
                assertEquals(topology.tree(root).distance(target), indexed.tree(root).distance(target),
                        root + " -> " + target + " distance over the indexed snapshot");
            }
            assertEquals(topology.tree(root).reachableNodes(), indexed.tree(root).reachableNodes(),
                    "same BFS order whatever the indexing order");
        }

        for (NodeId root : reference.vertexSet()) {
            RouteTree tree = topology.tree(root);
            assertSame(tree, topology.tree(root), "the tree of a snapshot is cached");
            RouteTable table = new RouteTable(root, topology);
            var paths = new BFSShortestPath<>(reference).getPaths(root);
            Set<NodeId> expectedReachable = new HashSet<>();
            for (NodeId target : reference.vertexSet()) {
                var path = paths.getPath(target);
                boolean reachable = path != null;
                if (reachable) {
                    expectedReachable.add(target);
                }
                assertEquals(reachable, table.reachable(target), root + " -> " + target + " reachable");
                int distance = reachable ? path.getLength() : -1;
                assertEquals(distance, table.distance(target), root + " -> " + target + " distance");
                List<NodeId> ours = table.pathTo(target);
                assertEquals(reachable ? distance + 1 : 0, ours.size(), "path length");
                for (int i = 0; i + 1 < ours.size(); i++) {
                    assertTrue(reference.containsEdge(ours.get(i), ours.get(i + 1)), "path uses real edges");
                }
                NodeId parent = tree.parentOf(target);
                if (parent != null) {
                    assertTrue(table.children(parent).contains(target), "child listed under its parent");
                    assertEquals(table.distance(parent) + 1, distance, "tree edge goes one level down");
                }
            }
            assertEquals(expectedReachable, new HashSet<>(table.reachableNodes()));
            Set<NodeId> expectedUnreachable = new HashSet<>(reference.vertexSet());
            expectedUnreachable.removeAll(expectedReachable);
            assertEquals(expectedUnreachable, new HashSet<>(table.unreachableNodes()));
            RouteTree.WireTree wire = tree.toWire();
            assertEquals(expectedReachable.size(), wire.nodes().length);
            for (int i = 1; i < wire.parents().length; i++) {
                assertTrue(wire.parents()[i] >= 0 && wire.parents()[i] < i, "wire parents point backwards");
            }
        }
    }
}
