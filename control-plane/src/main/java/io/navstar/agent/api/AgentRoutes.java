package io.navstar.agent.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.node.NodeAgent;
import io.navstar.agent.node.NodeRecord;
import io.navstar.agent.task.Task;
import io.navstar.agent.task.TaskJson;
import io.navstar.agent.vip.BackendEntry;
import io.navstar.agent.vip.Vip;
import io.netty.handler.codec.http.HttpMethod;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The routes of the agent's API:
 * <ul>
 * <li>{@code POST /v1/tasks}: register (or replace) a task of this node ({@link TaskJson}); 201 with the task as
 *     read, 400 naming the JSON path of a bad value, nothing registered;</li>
 * <li>{@code GET /v1/tasks}, {@code GET /v1/tasks/{id}}: this node's tasks;</li>
 * <li>{@code DELETE /v1/tasks/{id}}: deregister one (204; 404 when unknown);</li>
 * <li>{@code GET /v1/vips}: every VIP in the cluster with its backends, in dcos-net's shape
 *     {@code [{"vip": "/web:80", "protocol": "tcp", "backend": [{"ip": "10.0.1.2", "port": 8080}]}]};</li>
 * <li>{@code GET /v1/nodes}: every node's record, in dcos-net's shape
 *     {@code [{"private_ip": "10.0.0.1", "public_ips": [], "hostname": "node1", "updated": "2026-12-07T09:00:00.000Z"}]}.</li>
 * </ul>
 */
public final class AgentRoutes {
    private AgentRoutes() {
    }

    /** One VIP as dcos-net's {@code /v1/vips} lists it. */
    public record VipView(String vip, String protocol, List<BackendView> backend) {
    }

    /** One backend of a {@link VipView}. */
    public record BackendView(String ip, int port) {
    }

    /** One node as dcos-net's {@code /v1/nodes} lists it; {@code updated} in RFC 3339 with milliseconds, UTC. */
    public record NodeView(@JsonProperty("private_ip") String privateIp, @JsonProperty("public_ips") List<String> publicIps,
                           String hostname, String updated) {
    }

    private static final DateTimeFormatter RFC_3339_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    /** The routes, answered from {@code agent}. */
    public static ApiServer.Routes routes(NodeAgent agent) {
        TaskJson json = new TaskJson(agent.config().defaultFramework());
        return new ApiServer.Routes()
                .add(HttpMethod.GET, "/v1/vips", (params, body) -> ApiServer.Reply.ok(vips(agent)))
                .add(HttpMethod.GET, "/v1/nodes", (params, body) -> ApiServer.Reply.ok(nodes(agent)))
                .add(HttpMethod.GET, "/v1/tasks", (params, body) -> ApiServer.Reply.ok(
                        agent.tasks().tasks().values().stream().map(t -> raw(json.write(t))).toList()))
                .add(HttpMethod.GET, "/v1/tasks/{id}", (params, body) -> {
                    Task task = agent.tasks().tasks().get(params.get("id"));
                    if (task == null) {
                        throw new ApiServer.ApiException(404, "no task " + params.get("id"));
                    }
                    return ApiServer.Reply.ok(json.write(task));
                })
                .addBlocking(HttpMethod.POST, "/v1/tasks", (params, body) -> {
                    Task task;
                    try {
                        task = json.parse(body);
                    } catch (IllegalArgumentException e) {
                        throw new ApiServer.ApiException(400, e.getMessage());
                    }
                    try {
                        agent.tasks().put(task);
                    } catch (IOException e) {
                        throw new ApiServer.ApiException(503, "cannot record the task: " + e.getMessage());
                    }
                    return ApiServer.Reply.status(201, json.write(task));
                })
                .addBlocking(HttpMethod.DELETE, "/v1/tasks/{id}", (params, body) -> {
                    try {
                        if (!agent.tasks().remove(params.get("id"))) {
                            throw new ApiServer.ApiException(404, "no task " + params.get("id"));
                        }
                    } catch (IOException e) {
                        throw new ApiServer.ApiException(503, "cannot remove the task: " + e.getMessage());
                    }
                    return ApiServer.Reply.status(204, null);
                });
    }

    /** A task's JSON, embedded as is in a list. */
    private static com.fasterxml.jackson.databind.JsonNode raw(byte[] json) {
        try {
            return ApiServer.JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<NodeView> nodes(NodeAgent agent) {
        List<NodeView> views = new ArrayList<>();
        for (NodeRecord node : agent.view().nodes().values()) {
            views.add(new NodeView(node.privateIp(), node.publicIps(), node.hostname(),
                    RFC_3339_MILLIS.format(Instant.ofEpochMilli(node.updated()))));
        }
        return views;
    }

    static List<VipView> vips(NodeAgent agent) {
        List<VipView> views = new ArrayList<>();
        for (Map.Entry<Vip, Set<BackendEntry>> e : agent.view().registry().entrySet()) {
            List<BackendView> backends = new ArrayList<>();
            for (BackendEntry entry : e.getValue()) {
                Endpoint endpoint = entry.endpoint();
                backends.add(new BackendView(endpoint.address().getHostAddress(), endpoint.port()));
            }
            views.add(new VipView(e.getKey().display(), e.getKey().protocol().name().toLowerCase(Locale.ROOT), backends));
        }
        return views;
    }
}
