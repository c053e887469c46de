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
 * {@code navstar members}: Lashup's membership as the local agent sees it ({@code GET /v1/members}, whose JSON
 * {@link io.navstar.agent.api.MembershipRoutes} documents). Stateless.
 */
@Command(name = "members", description = "List the cluster's members as this node sees them (GET /v1/members).")
final class MembersCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    ApiOptions api;

    @Override
    public Integer call() {
        JsonNode members = api.fetchForTable("/v1/members");
        if (members == null) {
            return 0;
        }
        Output.Table table = new Output.Table("NODE", "STATE", "EPOCH", "CLOCK", "ACTIVE VIEW");
        for (JsonNode member : members) {
            List<String> activeView = new ArrayList<>();
            member.path("active_view").forEach(n -> activeView.add(n.asText()));
            String state = member.path("reachable").asBoolean() ? "reachable" : "unreachable";
            table.row(member.path("node").asText() + (member.path("self").asBoolean() ? " (self)" : ""), state,
                    member.path("epoch").asLong(), member.path("clock").asLong(), activeView);
        }
        table.print(spec.commandLine().getOut());
        return 0;
    }
}
