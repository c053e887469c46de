package io.navstar.agent.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.navstar.agent.node.NodeAgent;
import io.navstar.gossip.GossipNode;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.membership.MemberEntry;
import io.navstar.gossip.route.RouteTable;
import io.netty.handler.codec.http.HttpMethod;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The API's view of Lashup's membership, as this node sees it (navstar's own routes; dcos-net had none):
 * <ul>
 * <li>{@code GET /v1/members}: every node in the membership table, sorted by node id,
 *     <pre>{@code
 *     [{"node": "10.0.0.1:62501", "self": true, "reachable": true, "epoch": 3, "clock": 12,
 *       "active_view": ["10.0.0.2:62501", "10.0.0.3:62501"]}]
 *     }</pre>
 *     {@code epoch} is the node's incarnation (bumped on every restart), {@code clock} counts its changes within
 *     the epoch, {@code active_view} its neighbours as its last row says; {@code reachable} is whether this node
 *     has a path to it;</li>
 * <li>{@code GET /v1/routes}: this node's route to each of those nodes, over the BFS tree rooted here,
 *     <pre>{@code
 *     [{"node": "10.0.0.3:62501", "reachable": true, "distance": 2, "next_hop": "10.0.0.2:62501",
 *       "path": ["10.0.0.1:62501", "10.0.0.2:62501", "10.0.0.3:62501"]}]
 *     }</pre>
 *     {@code distance} in hops (0 for this node), {@code path} from this node to the other, both included;
 *     {@code distance} and {@code next_hop} are null and {@code path} empty for a node it cannot reach, and
 *     {@code next_hop} is null for this node.</li>
 * </ul>
 * Both wait (up to 1 s) for the gossip thread to publish a fresh snapshot, so they run off the event loop.
 * Stateless.
 */
public final class MembershipRoutes {
    private MembershipRoutes() {
    }

    /** One row of {@code /v1/members}. */
    public record MemberView(String node, boolean self, boolean reachable, long epoch, long clock,
                             @JsonProperty("active_view") List<String> activeView) {
    }

    /** One row of {@code /v1/routes}. */
    public record RouteView(String node, boolean reachable, Integer distance, @JsonProperty("next_hop") String nextHop,
                            List<String> path) {
    }

    /** Adds the routes to {@code routes}, answered from the agent's gossip node; returns {@code routes}. */
    public static ApiServer.Routes addTo(ApiServer.Routes routes, NodeAgent agent) {
        return routes
                .addBlocking(HttpMethod.GET, "/v1/members", request -> {
                    GossipNode node = agent.gossip().node();
                    return ApiServer.Reply.ok(members(node.self(), node.members(), node.routes()));
                })
                .addBlocking(HttpMethod.GET, "/v1/routes", request -> {
                    GossipNode node = agent.gossip().node();
                    return ApiServer.Reply.ok(routes(node.self(), node.members().keySet(), node.routes()));
                });
    }

    static List<MemberView> members(NodeId self, Map<NodeId, MemberEntry> members, RouteTable routes) {
        List<MemberView> views = new ArrayList<>();
        for (NodeId node : new TreeSet<>(members.keySet())) {
            MemberEntry entry = members.get(node);
            views.add(new MemberView(node.toString(), node.equals(self), routes.reachable(node), entry.epoch(),
                    entry.clock(), Arrays.stream(entry.activeView()).map(NodeId::toString).toList()));
        }
        return views;
    }

    static List<RouteView> routes(NodeId self, Iterable<NodeId> members, RouteTable routes) {
        TreeSet<NodeId> nodes = new TreeSet<>();
        members.forEach(nodes::add);
        nodes.add(self);
        List<RouteView> views = new ArrayList<>();
        for (NodeId node : nodes) {
            if (!routes.reachable(node)) {
                views.add(new RouteView(node.toString(), false, null, null, List.of()));
                continue;
            }
            List<NodeId> path = routes.pathTo(node);
            views.add(new RouteView(node.toString(), true, routes.distance(node),
                    path.size() > 1 ? path.get(1).toString() : null, path.stream().map(NodeId::toString).toList()));
        }
        return views;
    }
}
