package io.navstar.agent.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.agent.support.AgentInNamespace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every route of the API against one real agent in a namespace of its own ({@link AgentInNamespace}), asked from a
 * thread inside that namespace: status, headers and JSON shape; the ETag flow of /v1/vips; the KV store's
 * compare-and-set conflict; malformed input on every route that takes a body or a key (400 naming the JSON path,
 * nothing applied).
 */
class AgentApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RFC_3339_MILLIS_Z = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

    @TempDir
    static Path work;
    private static AgentInNamespace agent;
    private static ServerSocket backend;

    @BeforeAll
    static void startAgent() throws Exception {
        LbTestSupport.assumeRoot();
        agent = AgentInNamespace.start("api", work, "--log-level", "warn");
        backend = agent.run(() -> {
            ServerSocket socket = new ServerSocket();
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket;
        });
        HttpResponse<String> created = send("POST", "/v1/tasks", task("web-1", backend.getLocalPort()), Map.of());
        assertEquals(201, created.statusCode(), created.body());
        eventually(() -> json(send("GET", "/v1/vips", null, Map.of()).body()).size() == 1);
    }

    @AfterAll
    static void stopAgent() throws Exception {
        if (backend != null) {
            backend.close();
        }
        if (agent != null) {
            agent.close();
        }
    }

    private static String task(String id, int port) {
        return "{\"id\": \"" + id + "\", \"address\": \"127.0.0.1\", \"ports\": [{\"port\": " + port
                + ", \"labels\": {\"VIP_0\": \"/" + id + ":80\"}}]}";
    }

    @Test
    void vipsAndNodesInDcosNetsShapes() {
        HttpResponse<String> vips = send("GET", "/v1/vips", null, Map.of());
        assertEquals(200, vips.statusCode());
        assertEquals("application/json", vips.headers().firstValue("content-type").orElse(""));
        JsonNode vip = json(vips.body()).get(0);
        assertEquals(List.of("vip", "protocol", "backend"), fieldNames(vip));
        assertEquals("/web-1:80", vip.get("vip").asText());
        assertEquals("tcp", vip.get("protocol").asText());
        assertEquals("127.0.0.1", vip.get("backend").get(0).get("ip").asText());
        assertEquals(backend.getLocalPort(), vip.get("backend").get(0).get("port").asInt());

        JsonNode node = json(send("GET", "/v1/nodes", null, Map.of()).body()).get(0);
        assertEquals(List.of("private_ip", "public_ips", "hostname", "updated"), fieldNames(node));
        assertEquals("127.0.0.1", node.get("private_ip").asText());
        assertTrue(node.get("public_ips").isArray());
        assertTrue(node.get("updated").asText().matches(RFC_3339_MILLIS_Z), node.toString());

        JsonNode version = json(send("GET", "/v1/version", null, Map.of()).body());
        assertEquals(List.of("Service", "Version"), fieldNames(version));
        assertEquals("navstar", version.get("Service").asText());
    }

    @Test
    void recordsHostsAndServicesListWhatSpartanServes() {
        String name = "web-1.marathon.l4lb.thisdcos.directory";
        JsonNode records = json(send("GET", "/v1/records", null, Map.of()).body());
        JsonNode address = null;
        for (JsonNode record : records) {
            assertEquals(List.of("name", "host", "rtype"), fieldNames(record));
            if (record.get("name").asText().equals(name) && record.get("rtype").asText().equals("A")) {
                address = record;
            }
        }
        assertTrue(address != null && address.get("host").asText().startsWith("11."), records.toString());

        JsonNode hosts = json(send("GET", "/v1/hosts/" + name, null, Map.of()).body());
        assertEquals(1, hosts.size(), hosts.toString());
        assertEquals(List.of("host", "ip"), fieldNames(hosts.get(0)));
        assertEquals(address.get("host").asText(), hosts.get(0).get("ip").asText());

        JsonNode services = json(send("GET", "/v1/services/_web-1._tcp.marathon.l4lb.thisdcos.directory", null,
                Map.of()).body());
        assertEquals(1, services.size(), services.toString());
        assertEquals(List.of("host", "port", "service", "ip"), fieldNames(services.get(0)));
        assertEquals(80, services.get(0).get("port").asInt());
        assertEquals("[]", send("GET", "/v1/hosts/nothing.thisdcos.directory", null, Map.of()).body());
    }

    @Test
    void vipsCarryAnEtagThatChangesWithTheVips() {
        HttpResponse<String> first = send("GET", "/v1/vips", null, Map.of());
        String etag = first.headers().firstValue("etag").orElseThrow();
        HttpResponse<String> unchanged = send("GET", "/v1/vips", null, Map.of("If-None-Match", etag));
        assertEquals(304, unchanged.statusCode());
        assertEquals("", unchanged.body());
        assertEquals(etag, unchanged.headers().firstValue("etag").orElse(""));

        assertEquals(201, send("POST", "/v1/tasks", task("web-2", backend.getLocalPort()), Map.of()).statusCode());
        try {
            eventually(() -> send("GET", "/v1/vips", null, Map.of("If-None-Match", etag)).statusCode() == 200);
            String changed = send("GET", "/v1/vips", null, Map.of()).headers().firstValue("etag").orElseThrow();
            assertNotEquals(etag, changed);
        } finally {
            assertEquals(204, send("DELETE", "/v1/tasks/web-2", null, Map.of()).statusCode());
        }
    }

    @Test
    void kvCompareAndSetRefusesAConcurrentUpdate() {
        String increment = "[{\"field\": \"users\", \"type\": \"pncounter\", \"op\": \"increment\", \"amount\": 5}]";
        HttpResponse<String> first = send("POST", "/lashup/kv/test/cas", increment, Map.of());
        assertEquals(200, first.statusCode(), first.body());
        String clock = first.headers().firstValue("clock").orElseThrow();
        assertEquals(5, json(first.body()).get("users").get("value").asInt());

        // a writer that read the key before the first write holds an older clock: refused, nothing applied
        HttpResponse<String> stale = send("POST", "/lashup/kv/test/cas", increment, Map.of("clock", "{}"));
        assertEquals(409, stale.statusCode(), stale.body());
        HttpResponse<String> read = send("GET", "/lashup/kv/test/cas", null, Map.of());
        assertEquals(5, json(read.body()).get("users").get("value").asInt());
        assertEquals(clock, read.headers().firstValue("clock").orElse(""));

        HttpResponse<String> current = send("POST", "/lashup/kv/test/cas", increment, Map.of("clock", clock));
        assertEquals(200, current.statusCode(), current.body());
        assertEquals(10, json(current.body()).get("users").get("value").asInt());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "POST | /v1/tasks | {\"id\": \"bad\", \"address\": \"127.0.0.1\", \"ports\": [{\"port\": 99999}]} | ports[0].port: expected 1..65535",
            "POST | /v1/tasks | {\"id\": \"bad\", \"address\": \"127.0.0.1\", \"ports\": [{\"port\": 80, \"labels\": {\"VIP_0\": \"/x\"}}]} | ports[0].labels.VIP_0: expected /name:port",
            "POST | /v1/tasks | {\"id\": \"bad\" | (top): not valid JSON",
            "POST | /lashup/kv/test/bad | [{\"field\": \"n\", \"type\": \"pncounter\", \"op\": \"add\"}] | [0].op: a pncounter takes increment",
            "POST | /lashup/kv/test/bad | [{\"field\": \"n\", \"type\": \"ormap\", \"op\": \"update\", \"ops\": [{\"field\": \"m\", \"type\": \"gcounter\", \"op\": \"increment\", \"amount\": -1}]}] | [0].ops[0].amount: a gcounter only grows",
            "POST | /lashup/kv/test/bad | {} | (top): expected a list of operations",
            "POST | /lashup/kv/test//bad | [{\"field\": \"n\", \"type\": \"flag\", \"op\": \"enable\"}] | key: empty segment"})
    void malformedInputIsRefusedNamingItsPathAndNothingIsApplied(String method, String path, String body, String expected) {
        String tasksBefore = send("GET", "/v1/tasks", null, Map.of()).body();
        HttpResponse<String> refused = send(method, path, body, Map.of());
        assertEquals(400, refused.statusCode(), refused.body());
        assertEquals("application/json", refused.headers().firstValue("content-type").orElse(""));
        assertTrue(json(refused.body()).get("error").asText().startsWith(expected), refused.body());
        assertEquals(tasksBefore, send("GET", "/v1/tasks", null, Map.of()).body());
        assertEquals("{}", send("GET", "/lashup/kv/test/bad", null, Map.of()).body(), "nothing written");
    }

    @Test
    void aBadClockHeaderIsRefused() {
        HttpResponse<String> refused = send("POST", "/lashup/kv/test/bad",
                "[{\"field\": \"n\", \"type\": \"flag\", \"op\": \"enable\"}]", Map.of("clock", "[1"));
        assertEquals(400, refused.statusCode());
        assertTrue(refused.body().contains("clock header"), refused.body());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "GET | /v1/config | 501", "GET | /v1/enumerate | 501", "GET | /v1/nothing | 404", "GET | /v2/vips | 404",
            "PUT | /v1/vips | 405", "DELETE | /v1/nodes | 405", "POST | /v1/records | 405", "DELETE | /lashup/kv/a | 405",
            "GET | /v1/tasks/none | 404", "DELETE | /v1/tasks/none | 404"})
    void statusOfEveryOtherRequest(String method, String path, int status) {
        HttpResponse<String> response = send(method, path, method.equals("PUT") ? "{}" : null, Map.of());
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(json(response.body()).has("error"), response.body());
        if (status == 405) {
            assertTrue(response.headers().firstValue("allow").isPresent());
        }
    }

    @Test
    void metricsAreTheExpositionFormat() {
        HttpResponse<String> metrics = send("GET", "/metrics", null, Map.of());
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
        assertTrue(metrics.body().contains("# TYPE navstar_lb_apply_duration_seconds histogram"), metrics.body());
    }

    private static HttpResponse<String> send(String method, String path, String body, Map<String, String> headers) {
        return agent.run(() -> {
            try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
                HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(AgentInNamespace.API + path))
                        .timeout(Duration.ofSeconds(10))
                        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(body));
                headers.forEach(request::header);
                return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            }
        });
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static void eventually(Supplier<Boolean> condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 10 s");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
