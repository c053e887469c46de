package io.navstar.agent.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.navstar.agent.dns.ZoneCompiler;
import io.navstar.agent.lb.model.AddressText;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.node.NodeAgent;
import io.navstar.agent.node.NodeRecord;
import io.navstar.agent.task.Task;
import io.navstar.agent.task.TaskJson;
import io.navstar.agent.vip.BackendEntry;
import io.navstar.agent.vip.Vip;
import io.navstar.gossip.kv.KvException;
import io.navstar.gossip.kv.KvKey;
import io.navstar.gossip.kv.Versioned;
import io.navstar.gossip.kv.crdt.Op;
import io.navstar.gossip.kv.crdt.VersionVector;
import io.netty.handler.codec.http.HttpMethod;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The routes of the agent's API, dcos-net's and the agent's own:
 * <ul>
 * <li>{@code GET /v1/vips}: every VIP with its backends, {@code [{"vip": "/web:80", "protocol": "tcp",
 *     "backend": [{"ip": "10.0.1.2", "port": 8080}]}]}, with an ETag ({@code If-None-Match} answers 304);</li>
 * <li>{@code GET /v1/nodes}: {@code [{"private_ip", "public_ips", "hostname", "updated"}]} (RFC 3339, ms, UTC);</li>
 * <li>{@code GET /v1/version}: {@code {"Service": "navstar", "Version": "..."}};</li>
 * <li>{@code GET /v1/records}: every record Spartan serves from cluster state, {@code [{"name", "host", "rtype"}]};
 *     {@code GET /v1/hosts/{host}}: {@code [{"host", "ip"}]}; {@code GET /v1/services/{service}}:
 *     {@code [{"host", "port", "service", "ip"}]};</li>
 * <li>{@code GET /lashup/kv/{key...}}: a key's value as typed JSON ({@link KvJson}) with its clock in a
 *     {@code clock} header; {@code POST /lashup/kv/{key...}}: a list of operations, applied only if the key's clock
 *     still equals the request's {@code clock} header when it has one (409 otherwise);</li>
 * <li>{@code POST /v1/tasks}, {@code GET /v1/tasks}, {@code GET|DELETE /v1/tasks/{id}}: this node's tasks;</li>
 * <li>{@code GET /v1/members}, {@code GET /v1/routes}: Lashup's membership and this node's routes
 *     ({@link MembershipRoutes});</li>
 * <li>{@code /v1/config}, {@code /v1/enumerate}: 501, as dcos-net answered.</li>
 * </ul>
 * Addresses are written as RFC 5952 recommends. Bad bodies are 400 naming the JSON path; nothing is applied.
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

    /** A record as dcos-net's {@code /v1/records} lists it. */
    public record RecordView(String name, String host, String rtype) {
    }

    /** An address record of {@code /v1/hosts/{host}}. */
    public record HostView(String host, String ip) {
    }

    /** An SRV record of {@code /v1/services/{service}} with its target's address. */
    public record ServiceView(String host, int port, String service, String ip) {
    }

    /** {@code /v1/version}'s body, in dcos-net's capitalisation. */
    public record VersionView(@JsonProperty("Service") String service, @JsonProperty("Version") String version) {
    }

    private static final DateTimeFormatter RFC_3339_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    /** How long a KV write may wait for the store before the API gives up (the store answers far sooner). */
    private static final long KV_WRITE_SECONDS = 10;

    /** The routes, answered from {@code agent}. */
    public static ApiServer.Routes routes(NodeAgent agent) {
        TaskJson json = new TaskJson(agent.config().defaultFramework());
        ApiServer.Handler notImplemented = request -> {
            throw new ApiServer.ApiException(501, "not implemented (as in dcos-net)");
        };
        return MembershipRoutes.addTo(new ApiServer.Routes(), agent)
                .add(HttpMethod.GET, "/v1/vips", request -> withEtag(request, vips(agent)))
                .add(HttpMethod.GET, "/v1/nodes", request -> ApiServer.Reply.ok(nodes(agent)))
                .add(HttpMethod.GET, "/v1/version", request -> ApiServer.Reply.ok(new VersionView("navstar", Version.current())))
                .add(HttpMethod.GET, "/v1/records", request -> ApiServer.Reply.ok(records(agent)))
                .add(HttpMethod.GET, "/v1/hosts/{host}", request -> ApiServer.Reply.ok(hosts(agent, request.params().get("host"))))
                .add(HttpMethod.GET, "/v1/services/{service}",
                        request -> ApiServer.Reply.ok(services(agent, request.params().get("service"))))
                .add(HttpMethod.GET, "/v1/config", notImplemented)
                .add(HttpMethod.GET, "/v1/enumerate", notImplemented)
                .addUnder(HttpMethod.GET, "/lashup/kv/", false, request -> kvGet(agent, request))
                .addUnder(HttpMethod.POST, "/lashup/kv/", true, request -> kvPost(agent, request))
                .addBlocking(HttpMethod.GET, "/metrics", agent.metrics().endpoint())
                .add(HttpMethod.GET, "/v1/tasks", request -> ApiServer.Reply.ok(
                        agent.tasks().tasks().values().stream().map(t -> raw(json.write(t))).toList()))
                .add(HttpMethod.GET, "/v1/tasks/{id}", request -> {
                    Task task = agent.tasks().tasks().get(request.params().get("id"));
                    if (task == null) {
                        throw new ApiServer.ApiException(404, "no task " + request.params().get("id"));
                    }
                    return ApiServer.Reply.ok(json.write(task));
                })
                .addBlocking(HttpMethod.POST, "/v1/tasks", request -> {
                    Task task;
                    try {
                        task = json.parse(request.body());
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
                .addBlocking(HttpMethod.DELETE, "/v1/tasks/{id}", request -> {
                    try {
                        if (!agent.tasks().remove(request.params().get("id"))) {
                            throw new ApiServer.ApiException(404, "no task " + request.params().get("id"));
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

    /** The body with a strong ETag of its bytes; 304 without a body when the client has it already. */
    private static ApiServer.Reply withEtag(ApiServer.Request request, Object body) {
        byte[] bytes;
        try {
            bytes = ApiServer.JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        String etag = "\"" + digest(bytes) + "\"";
        String match = request.header("if-none-match");
        if (match != null && (match.equals("*") || List.of(match.split("\\s*,\\s*")).contains(etag))) {
            return new ApiServer.Reply(304, null, Map.of("etag", etag));
        }
        return new ApiServer.Reply(200, bytes, Map.of("etag", etag));
    }

    private static String digest(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
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
                backends.add(new BackendView(AddressText.of(endpoint.address()), endpoint.port()));
            }
            views.add(new VipView(e.getKey().display(), e.getKey().protocol().name().toLowerCase(Locale.ROOT), backends));
        }
        return views;
    }

    static List<RecordView> records(NodeAgent agent) {
        return agent.view().zones().records().stream().map(r -> new RecordView(r.name(), r.value(), r.type())).toList();
    }

    static List<HostView> hosts(NodeAgent agent, String host) {
        String name = normalize(host);
        return agent.view().zones().records().stream()
                .filter(r -> r.name().equals(name) && (r.type().equals("A") || r.type().equals("AAAA")))
                .map(r -> new HostView(r.name(), r.value())).toList();
    }

    static List<ServiceView> services(NodeAgent agent, String service) {
        String name = normalize(service);
        List<ServiceView> views = new ArrayList<>();
        List<ZoneCompiler.Record> records = agent.view().zones().records();
        for (ZoneCompiler.Record srv : records) {
            if (!srv.type().equals("SRV") || !srv.name().equals(name)) {
                continue;
            }
            int colon = srv.value().lastIndexOf(':');
            String target = srv.value().substring(0, colon);
            int port = Integer.parseInt(srv.value().substring(colon + 1));
            for (ZoneCompiler.Record address : records) {
                if (address.name().equals(target) && (address.type().equals("A") || address.type().equals("AAAA"))) {
                    views.add(new ServiceView(target, port, name, address.value()));
                }
            }
        }
        return views;
    }

    private static String normalize(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    private static KvKey kvKey(ApiServer.Request request) throws ApiServer.ApiException {
        try {
            return KvJson.key(request.params().get("rest"));
        } catch (IllegalArgumentException e) {
            throw new ApiServer.ApiException(400, e.getMessage());
        }
    }

    static ApiServer.Reply kvGet(NodeAgent agent, ApiServer.Request request) throws ApiServer.ApiException {
        KvKey key = kvKey(request);
        Versioned value = agent.kv().valueWithClock(key);
        return new ApiServer.Reply(200, KvJson.value(value.value()), Map.of("clock", KvJson.clock(value.clock())));
    }

    static ApiServer.Reply kvPost(NodeAgent agent, ApiServer.Request request) throws ApiServer.ApiException {
        KvKey key = kvKey(request);
        List<Op> ops;
        VersionVector expected;
        try {
            ops = KvJson.ops(request.body());
            String clock = request.header("clock");
            expected = clock == null ? null : KvJson.parseClock(clock);
        } catch (IllegalArgumentException e) {
            throw new ApiServer.ApiException(400, e.getMessage());
        }
        try {
            Versioned written = agent.kv().requestOpAsync(key, expected, ops).get(KV_WRITE_SECONDS, TimeUnit.SECONDS);
            return new ApiServer.Reply(200, KvJson.value(written.value()), Map.of("clock", KvJson.clock(written.clock())));
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case KvException.ClockMovedException moved -> throw new ApiServer.ApiException(409,
                        "the key changed meanwhile: its clock is now " + KvJson.clock(moved.actual()));
                case KvException.OverloadedException overloaded -> throw new ApiServer.ApiException(503,
                        overloaded.getMessage());
                case KvException other -> throw new ApiServer.ApiException(400, other.getMessage());
                default -> throw new ApiServer.ApiException(500, String.valueOf(e.getCause()));
            }
        } catch (TimeoutException e) {
            throw new ApiServer.ApiException(503, "the KV store did not answer in " + KV_WRITE_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiServer.ApiException(503, "interrupted");
        }
    }
}
