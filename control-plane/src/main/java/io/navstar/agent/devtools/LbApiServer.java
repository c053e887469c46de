package io.navstar.agent.devtools;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.navstar.agent.lb.LoadBalancer;
import io.navstar.agent.lb.model.DesiredState;
import io.navstar.agent.lb.model.DesiredStateJson;
import io.navstar.agent.lb.model.VipKey;
import io.navstar.agent.lb.model.VipSpec;
import io.navstar.agent.lb.plan.Reconciler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * The load balancer's local HTTP API on 127.0.0.1 (the JDK's HTTP server; the agent's main API comes later):
 * <ul>
 * <li>{@code GET /v1/lb/vips}: the desired state as JSON ({@link DesiredStateJson});</li>
 * <li>{@code PUT /v1/lb/vips}: replace the whole desired state; answers the apply report;</li>
 * <li>{@code POST /v1/lb/vips}: add or replace one VIP (one VIP object);</li>
 * <li>{@code DELETE /v1/lb/vips?vip=11.0.0.1:80&protocol=tcp}: remove one VIP.</li>
 * </ul>
 * Bad input gets 400 with the parser's message and changes nothing. Threading: requests run on one thread.
 */
final class LbApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LbApiServer.class);
    private static final int MAX_BODY = DesiredStateJson.MAX_BYTES;
    private final HttpServer server;

    private final LoadBalancer agent;
    private final Path stateFile;

    private LbApiServer(HttpServer server, LoadBalancer agent, Path stateFile) {
        this.server = server;
        this.agent = agent;
        this.stateFile = stateFile;
    }

    /** Serves on 127.0.0.1:port; every state applied is written to {@code stateFile} (null: none). */
    static LbApiServer start(LoadBalancer agent, Path stateFile, int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.setExecutor(Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("lb-api").daemon().unstarted(r)));
        LbApiServer api = new LbApiServer(server, agent, stateFile);
        server.createContext("/v1/lb/vips", api::handleVips);
        server.start();
        return api;
    }

    /** Applies a state and records it in the state file. */
    private Reconciler.Report apply(DesiredState state) {
        Reconciler.Report report = agent.apply(state);
        if (stateFile != null) {
            try {
                DesiredStateJson.write(stateFile, state);
            } catch (IOException e) {
                LOG.warn("cannot write state file {}: {}", stateFile, e.getMessage());
            }
        }
        return report;
    }

    private void handleVips(HttpExchange exchange) throws IOException {
        try {
            switch (exchange.getRequestMethod()) {
                case "GET" -> respond(exchange, 200, "application/json", DesiredStateJson.toJson(agent.desired()));
                case "PUT" -> respond(exchange, 200, "application/json",
                        report(apply(DesiredStateJson.parse(body(exchange)))));
                case "POST" -> {
                    VipSpec spec = DesiredStateJson.parseVip(body(exchange));
                    respond(exchange, 200, "application/json", report(apply(agent.desired().with(spec))));
                }
                case "DELETE" -> {
                    Map<String, String> q = query(exchange.getRequestURI().getRawQuery());
                    if (!q.containsKey("vip")) {
                        throw new IllegalArgumentException("DELETE needs ?vip=ip:port[&protocol=tcp|udp]");
                    }
                    VipKey key = VipKey.of(q.get("vip"), q.getOrDefault("protocol", "tcp"));
                    DesiredState state = agent.desired();
                    if (!state.vips().containsKey(key)) {
                        respond(exchange, 404, "text/plain", "no VIP " + key + "\n");
                        return;
                    }
                    respond(exchange, 200, "application/json", report(apply(state.without(key))));
                }
                default -> respond(exchange, 405, "text/plain", "GET, PUT, POST or DELETE\n");
            }
        } catch (IllegalArgumentException e) {
            respond(exchange, 400, "text/plain", e.getMessage() + "\n");
        } catch (RuntimeException e) {
            respond(exchange, 500, "text/plain", e + "\n");
        }
    }

    private static String report(Reconciler.Report r) {
        return "{\"added\":" + r.added() + ",\"changed\":" + r.changed() + ",\"removed\":" + r.removed()
                + ",\"unchanged\":" + r.unchanged() + ",\"cellsWritten\":" + r.cellsWritten() + "}\n";
    }

    private static byte[] body(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY + 1);
            if (bytes.length > MAX_BODY) {
                throw new IllegalArgumentException("body exceeds " + MAX_BODY + " bytes");
            }
            return bytes;
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> map = new HashMap<>();
        if (raw == null) {
            return map;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                map.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return map;
    }

    private static void respond(HttpExchange exchange, int status, String type, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
