package io.navstar.gossip.sim;

import io.navstar.gossip.GossipNode;
import io.navstar.gossip.NodeId;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Whole-cluster checks of a simulation, computed from each node's own state. */
final class SimAssertions {

    private SimAssertions() {
    }

    /** Whether the active views of {@code nodes} form one connected (undirected) graph. */
    static boolean overlayConnected(Collection<GossipNode> nodes) {
        Map<NodeId, List<NodeId>> views = new HashMap<>();
        for (GossipNode node : nodes) {
            views.put(node.self(), node.activeView());
        }
        Map<NodeId, Set<NodeId>> undirected = new HashMap<>();
        for (Map.Entry<NodeId, List<NodeId>> e : views.entrySet()) {
            for (NodeId peer : e.getValue()) {
                if (views.containsKey(peer)) {
                    undirected.computeIfAbsent(e.getKey(), k -> new HashSet<>()).add(peer);
                    undirected.computeIfAbsent(peer, k -> new HashSet<>()).add(e.getKey());
                }
            }
        }
        if (views.isEmpty()) {
            return true;
        }
        NodeId start = views.keySet().iterator().next();
        Set<NodeId> seen = new HashSet<>(Set.of(start));
        ArrayDeque<NodeId> queue = new ArrayDeque<>(seen);
        while (!queue.isEmpty()) {
            for (NodeId next : undirected.getOrDefault(queue.poll(), Set.of())) {
                if (seen.add(next)) {
                    queue.add(next);
                }
            }
        }
        return seen.size() == views.size();
    }

    /** Whether every node's own routes reach exactly the live nodes and its table lists only them. */
    static boolean everyNodeSeesExactly(Collection<GossipNode> nodes, boolean tableToo) {
        Set<NodeId> live = new HashSet<>();
        for (GossipNode node : nodes) {
            live.add(node.self());
        }
        for (GossipNode node : nodes) {
            if (node.reachableCount() != live.size() || (tableToo && node.memberCount() != live.size())) {
                return false;
            }
        }
        for (GossipNode node : nodes) {
            var routes = node.routes();
            if (!new HashSet<>(routes.reachableNodes()).equals(live)) {
                return false;
            }
            if (tableToo && !node.members().keySet().equals(live)) {
                return false;
            }
        }
        return true;
    }

    /** Whether each node's reachable set equals the nodes it can reach through live views. */
    static boolean everyNodeReaches(Collection<GossipNode> nodes, int expected) {
        for (GossipNode node : nodes) {
            if (node.routes().reachableNodes().size() != expected) {
                return false;
            }
        }
        return true;
    }
}
