package io.navstar.agent.api;

import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The API's routing on a real socket: exact templates, 404 and 405, body limits, handler errors. */
class ApiServerTest {
    private ApiServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        server = ApiServer.start(new InetSocketAddress("127.0.0.1", 0), new ApiServer.Routes()
                .add(HttpMethod.GET, "/v1/things", request -> ApiServer.Reply.ok(Map.of("things", 2)))
                .add(HttpMethod.GET, "/v1/things/{id}", request -> {
                    if (request.params().get("id").equals("missing")) {
                        throw new ApiServer.ApiException(404, "no thing missing");
                    }
                    return ApiServer.Reply.ok(Map.of("id", request.params().get("id")));
                })
                .addBlocking(HttpMethod.POST, "/v1/things", request ->
                        ApiServer.Reply.status(201, Map.of("length", request.body().length)))
                .addUnder(HttpMethod.GET, "/v1/tree/", false, request -> ApiServer.Reply.ok(Map.of(
                        "rest", request.params().get("rest"), "header", String.valueOf(request.header("x-test"))))));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void routesMatchWholePathsByTemplate() throws Exception {
        assertEquals("{\"things\":2}", get("/v1/things").body());
        assertEquals("{\"id\":\"abc\"}", get("/v1/things/abc").body());
        HttpResponse<String> missing = get("/v1/things/missing");
        assertEquals(404, missing.statusCode());
        assertEquals("{\"error\":\"no thing missing\"}", missing.body());
        assertEquals(404, get("/v1/things/abc/more").statusCode(), "no prefix matching");
        assertEquals(404, get("/v1/thingsx").statusCode());
        assertEquals(404, get("/").statusCode());
    }

    @Test
    void aKnownPathAskedWithAnotherMethodIs405WithAllow() throws Exception {
        HttpResponse<String> put = send(HttpRequest.newBuilder(uri("/v1/things")).PUT(body("{}")));
        assertEquals(405, put.statusCode());
        assertEquals("GET, POST", put.headers().firstValue("allow").orElse(""));
        HttpResponse<String> delete = send(HttpRequest.newBuilder(uri("/v1/things/x")).DELETE());
        assertEquals(405, delete.statusCode());
        assertEquals("GET", delete.headers().firstValue("allow").orElse(""));
    }

    @Test
    void aPrefixRouteTakesPathsOfAnyDepthUnderItAndSeesHeaders() throws Exception {
        HttpResponse<String> deep = send(HttpRequest.newBuilder(uri("/v1/tree/a/b%2Fc/d")).header("X-Test", "yes").GET());
        assertEquals(Map.of("rest", "a/b%2Fc/d", "header", "yes"), ApiServer.JSON.readValue(deep.body(), Map.class),
                "Map.of has no fixed order: compare the JSON's content");
        assertEquals(404, get("/v1/tree/").statusCode(), "the prefix itself names nothing");
        HttpResponse<String> post = send(HttpRequest.newBuilder(uri("/v1/tree/a")).POST(body("[]")));
        assertEquals(405, post.statusCode());
        assertEquals("GET", post.headers().firstValue("allow").orElse(""));
    }

    @Test
    void bodiesAreReadWholeAndBounded() throws Exception {
        HttpResponse<String> created = send(HttpRequest.newBuilder(uri("/v1/things")).POST(body("x".repeat(5000))));
        assertEquals(201, created.statusCode());
        assertEquals("{\"length\":5000}", created.body());
        HttpResponse<String> tooBig = send(HttpRequest.newBuilder(uri("/v1/things"))
                .POST(body("x".repeat(ApiServer.MAX_BODY + 1))));
        assertEquals(413, tooBig.statusCode());
        assertTrue(tooBig.body().contains("exceeds"), tooBig.body());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.address().getPort() + path);
    }

    private static HttpRequest.BodyPublisher body(String text) {
        return HttpRequest.BodyPublishers.ofString(text, StandardCharsets.UTF_8);
    }
}
