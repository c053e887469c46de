package io.navstar.agent.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.membership.MemberEntry;
import io.navstar.gossip.route.RouteTable;
import io.navstar.gossip.route.Topology;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code /v1/members} and {@code /v1/routes} over a membership of four nodes as node a sees it: a - b - c in a line,
 * and d, whose row a still holds but which no path reaches. The JSON is the documented shape, field by field.
 */
class MembershipRoutesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final NodeId A = NodeId.of("10.0.0.1", 62501);
    private static final NodeId B = NodeId.of("10.0.0.2", 62501);
    private static final NodeId C = NodeId.of("10.0.0.3", 62501);
    private static final NodeId D = NodeId.of("10.0.0.4", 62501);

    private static final Map<NodeId, MemberEntry> MEMBERS = Map.of(
            A, new MemberEntry(A, 3, 12, new NodeId[] {B}),
            B, new MemberEntry(B, 1, 4, new NodeId[] {A, C}),
            C, new MemberEntry(C, 2, 1, new NodeId[] {B}),
            D, new MemberEntry(D, 7, 9, new NodeId[] {}));
    private static final RouteTable ROUTES = new RouteTable(A, Topology.of(Map.of(
            A, new NodeId[] {B}, B, new NodeId[] {A, C}, C, new NodeId[] {B}, D, new NodeId[] {})));

    @Test
    void membersListsEveryRowSortedWithReachabilityAndActiveView() throws Exception {
        assertEquals("""
                [{"node":"10.0.0.1:62501","self":true,"reachable":true,"epoch":3,"clock":12,"active_view":["10.0.0.2:62501"]},\
                {"node":"10.0.0.2:62501","self":false,"reachable":true,"epoch":1,"clock":4,\
                "active_view":["10.0.0.1:62501","10.0.0.3:62501"]},\
                {"node":"10.0.0.3:62501","self":false,"reachable":true,"epoch":2,"clock":1,"active_view":["10.0.0.2:62501"]},\
                {"node":"10.0.0.4:62501","self":false,"reachable":false,"epoch":7,"clock":9,"active_view":[]}]""",
                JSON.writeValueAsString(MembershipRoutes.members(A, MEMBERS, ROUTES)));
    }

    @Test
    void routesGiveNextHopDistanceAndPathOrNullsWhenUnreachable() throws Exception {
        assertEquals("""
                [{"node":"10.0.0.1:62501","reachable":true,"distance":0,"next_hop":null,"path":["10.0.0.1:62501"]},\
                {"node":"10.0.0.2:62501","reachable":true,"distance":1,"next_hop":"10.0.0.2:62501",\
                "path":["10.0.0.1:62501","10.0.0.2:62501"]},\
                {"node":"10.0.0.3:62501","reachable":true,"distance":2,"next_hop":"10.0.0.2:62501",\
                "path":["10.0.0.1:62501","10.0.0.2:62501","10.0.0.3:62501"]},\
                {"node":"10.0.0.4:62501","reachable":false,"distance":null,"next_hop":null,"path":[]}]""",
                JSON.writeValueAsString(MembershipRoutes.routes(A, MEMBERS.keySet(), ROUTES)));
    }
}
