package io.navstar.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code navstar route}: the local agent's routes to every member over its BFS tree ({@code GET /v1/routes}, whose
 * JSON {@link io.navstar.agent.api.MembershipRoutes} documents). Stateless.
 */
@Command(name = "route", description = "Show this node's route to every member: next hop, distance, path (GET /v1/routes).")
final class RouteCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    ApiOptions api;

    @Override
    public Integer call() {
        JsonNode routes = api.fetchForTable("/v1/routes");
        if (routes == null) {
            return 0;
        }
        Output.Table table = new Output.Table("NODE", "DISTANCE", "NEXT HOP", "PATH");
        for (JsonNode route : routes) {
            List<String> path = new ArrayList<>();
            route.path("path").forEach(n -> path.add(n.asText()));
            boolean reachable = route.path("reachable").asBoolean();
            table.row(route.path("node").asText(), reachable ? route.path("distance").asText() : "unreachable",
                    route.path("next_hop").isNull() ? null : route.path("next_hop").asText(),
                    path.isEmpty() ? null : String.join(" > ", path));
        }
        table.print(spec.commandLine().getOut());
        return 0;
    }
}
