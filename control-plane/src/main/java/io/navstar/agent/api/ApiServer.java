package io.navstar.agent.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.HttpServerRoutes;
import reactor.netty.resources.LoopResources;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;

/**
 * The agent's local HTTP API: netty's HTTP/1.1 codec through Reactor Netty, whose routes match whole paths by URI
 * template ({@code /v1/tasks/{id}}), never by prefix. A path that no route has is 404; a path some route has,
 * asked with another method, is 405 with an {@code Allow} header. Bodies are JSON through Jackson, at most
 * {@link #MAX_BODY} bytes (413 beyond); a handler's {@link ApiException} becomes its status with
 * {@code {"error": "..."}}. Handlers that write files run off the event loop.
 *
 * <p>Threading: started and closed from any one thread; handlers run on the API's single event loop or on
 * Reactor's bounded elastic threads.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    /** The largest request body accepted. */
    public static final int MAX_BODY = 1 << 20;
    static final ObjectMapper JSON = new ObjectMapper();
    /** The body sent when a handler's reply cannot be written as JSON (a bug): written once, by Jackson too. */
    private static final byte[] NOT_SERIALISABLE = notSerialisable();

    private static byte[] notSerialisable() {
        try {
            return JSON.writeValueAsBytes(Map.of("error", "response not serialisable"));
        } catch (JsonProcessingException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One route's handler: the request to a response. */
    @FunctionalInterface
    public interface Handler {
        Reply handle(Request request) throws ApiException;
    }

    /**
     * A request as handlers see it.
     *
     * @param params  the path's template variables ({@code id} of {@code /v1/tasks/{id}}); for a prefix route,
     *                {@code rest}: the path after the prefix, still percent-encoded
     * @param headers request headers, names in lower case
     * @param body    the body, whole (empty for GET and DELETE)
     */
    public record Request(Map<String, String> params, Map<String, String> headers, byte[] body) {
        public String header(String name) {
            return headers.get(name);
        }
    }

    /**
     * A response: its status, a JSON-serialisable body (null for none; a byte[] is sent as it is, as JSON unless
     * a {@code content-type} header says otherwise) and extra headers.
     */
    public record Reply(int status, Object body, Map<String, String> headers) {
        public static Reply ok(Object body) {
            return new Reply(200, body, Map.of());
        }

        public static Reply status(int status, Object body) {
            return new Reply(status, body, Map.of());
        }
    }

    /** A request the handler refuses: its HTTP status and one-line reason. */
    public static final class ApiException extends Exception {
        private final int status;

        public ApiException(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /** Collects routes before {@link #start}. */
    public static final class Routes {
        private record Route(HttpMethod method, String template, Handler handler, boolean blocking, boolean prefix) {
        }

        private final List<Route> routes = new ArrayList<>();

        /** A route whose handler does not block (answers from memory). */
        public Routes add(HttpMethod method, String template, Handler handler) {
            routes.add(new Route(method, template, handler, false, false));
            return this;
        }

        /**
         * A route for every path under {@code prefix} (which ends in '/'), for resources named by a path of any
         * depth ({@code /lashup/kv/minuteman/vips}); the handler gets the rest of the path as {@code rest}.
         */
        public Routes addUnder(HttpMethod method, String prefix, boolean blocking, Handler handler) {
            if (!prefix.endsWith("/")) {
                throw new IllegalArgumentException("a prefix route ends in '/': " + prefix);
            }
            routes.add(new Route(method, prefix, handler, blocking, true));
            return this;
        }

        /** A route whose handler may block (writes a file, waits for the KV store): run off the event loop. */
        public Routes addBlocking(HttpMethod method, String template, Handler handler) {
            routes.add(new Route(method, template, handler, true, false));
            return this;
        }
    }

    private final DisposableServer server;
    private final LoopResources loops;

    private ApiServer(DisposableServer server, LoopResources loops) {
        this.server = server;
        this.loops = loops;
    }

    /** Binds {@code address} and serves {@code routes}; blocks until bound. */
    public static ApiServer start(InetSocketAddress address, Routes routes) {
        LoopResources loops = LoopResources.create("navstar-api", 1, true);
        try {
            DisposableServer server = HttpServer.create()
                    .runOn(loops)
                    .bindAddress(() -> address)
                    .httpRequestDecoder(spec -> spec.maxInitialLineLength(8192).maxHeaderSize(16384))
                    .idleTimeout(Duration.ofSeconds(60))
                    .route(r -> install(r, routes))
                    .bindNow(Duration.ofSeconds(10));
            LOG.info("API serving http://{}", hostPort(server.address()));
            return new ApiServer(server, loops);
        } catch (RuntimeException e) {
            loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(6));
            throw new IllegalStateException("cannot serve the API on " + hostPort(address) + ": " + rootMessage(e), e);
        }
    }

    private static String hostPort(java.net.SocketAddress address) {
        return address instanceof InetSocketAddress a ? a.getAddress().getHostAddress() + ":" + a.getPort()
                : String.valueOf(address);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    /** Methods a path may be asked with: on a path with routes, each one it lacks answers 405. */
    private static final List<HttpMethod> METHODS = List.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT,
            HttpMethod.DELETE, HttpMethod.HEAD, HttpMethod.OPTIONS);

    private static void install(HttpServerRoutes r, Routes routes) {
        Map<String, Set<String>> allowed = new LinkedHashMap<>();
        Map<String, Set<String>> allowedUnder = new LinkedHashMap<>();
        for (Routes.Route route : routes.routes) {
            if (route.prefix()) {
                allowedUnder.computeIfAbsent(route.template(), t -> new TreeSet<>()).add(route.method().name());
                r.route(request -> request.method().equals(route.method()) && under(request, route.template()),
                        (request, response) -> serve(request, response, route));
                continue;
            }
            allowed.computeIfAbsent(route.template(), t -> new TreeSet<>()).add(route.method().name());
            on(r, route.method(), route.template(), (request, response) -> serve(request, response, route));
        }
        for (Map.Entry<String, Set<String>> prefix : allowedUnder.entrySet()) {
            String allow = String.join(", ", prefix.getValue());
            r.route(request -> under(request, prefix.getKey()), (request, response) -> send(response, new Reply(405,
                    error(request.method().name() + " is not allowed on " + request.fullPath()),
                    Map.of(HttpHeaderNames.ALLOW.toString(), allow))));
        }
        for (Map.Entry<String, Set<String>> path : allowed.entrySet()) {
            String allow = String.join(", ", path.getValue());
            for (HttpMethod method : METHODS) {
                if (!path.getValue().contains(method.name())) {
                    on(r, method, path.getKey(), (request, response) -> send(response, new Reply(405,
                            error(method.name() + " is not allowed on " + request.fullPath()),
                            Map.of(HttpHeaderNames.ALLOW.toString(), allow))));
                }
            }
        }
        r.route(request -> true, (request, response) ->
                send(response, Reply.status(404, error("no route " + request.fullPath()))));
    }

    /** Whether the request's path lies strictly under {@code prefix} (its rest is not empty). */
    private static boolean under(HttpServerRequest request, String prefix) {
        String path = request.fullPath();
        return path.startsWith(prefix) && path.length() > prefix.length();
    }

    private static void on(HttpServerRoutes r, HttpMethod method, String template,
                           BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> handler) {
        switch (method.name()) {
            case "GET" -> r.get(template, handler);
            case "POST" -> r.post(template, handler);
            case "PUT" -> r.put(template, handler);
            case "DELETE" -> r.delete(template, handler);
            case "HEAD" -> r.head(template, handler);
            case "OPTIONS" -> r.options(template, handler);
            default -> throw new IllegalArgumentException("no route for method " + method);
        }
    }

    private static Publisher<Void> serve(HttpServerRequest request, HttpServerResponse response, Routes.Route route) {
        Map<String, String> params = route.prefix()
                ? Map.of("rest", rawPath(request).substring(route.template().length()))
                : request.params() == null ? Map.of() : Map.copyOf(request.params());
        Map<String, String> headers = new java.util.HashMap<>();
        request.requestHeaders().forEach(h -> headers.putIfAbsent(h.getKey().toLowerCase(java.util.Locale.ROOT), h.getValue()));
        Mono<byte[]> body;
        if (route.method() == HttpMethod.GET || route.method() == HttpMethod.DELETE) {
            body = Mono.just(new byte[0]);
        } else {
            String length = request.requestHeaders().get(HttpHeaderNames.CONTENT_LENGTH);
            long declared;
            try {
                declared = length == null ? -1 : Long.parseLong(length);
            } catch (NumberFormatException e) {
                declared = -1;
            }
            if (declared < 0) {
                return send(response, Reply.status(411, error("a body needs a Content-Length")));
            }
            if (declared > MAX_BODY) {
                return send(response, Reply.status(413, error("a body of " + declared + " bytes exceeds " + MAX_BODY)));
            }
            body = request.receive().aggregate().asByteArray().defaultIfEmpty(new byte[0]);
        }
        if (route.blocking()) {
            body = body.publishOn(Schedulers.boundedElastic());
        }
        return body.map(bytes -> call(route.handler(), new Request(params, Map.copyOf(headers), bytes)))
                .flatMap(r -> Mono.from(send(response, r)));
    }

    /** The request's path without its query, still percent-encoded. */
    private static String rawPath(HttpServerRequest request) {
        String uri = request.uri();
        int query = uri.indexOf('?');
        return query < 0 ? uri : uri.substring(0, query);
    }

    private static Reply call(Handler handler, Request request) {
        try {
            return handler.handle(request);
        } catch (ApiException e) {
            return Reply.status(e.status(), error(e.getMessage()));
        } catch (RuntimeException e) {
            LOG.warn("API handler failed", e);
            return Reply.status(500, error("internal error: " + e));
        }
    }

    private static Publisher<Void> send(HttpServerResponse response, Reply reply) {
        response.status(HttpResponseStatus.valueOf(reply.status()));
        reply.headers().forEach(response::header);
        if (reply.body() == null) {
            return response.send();
        }
        byte[] json;
        try {
            json = reply.body() instanceof byte[] raw ? raw : JSON.writeValueAsBytes(reply.body());
        } catch (JsonProcessingException e) {
            response.status(HttpResponseStatus.INTERNAL_SERVER_ERROR);
            json = NOT_SERIALISABLE;
        }
        if (!reply.headers().containsKey(HttpHeaderNames.CONTENT_TYPE.toString())) {
            response.header(HttpHeaderNames.CONTENT_TYPE, "application/json");
        }
        return response.sendByteArray(Mono.just(json));
    }

    /** The body of an error response. */
    public static Map<String, String> error(String message) {
        return Map.of("error", message);
    }

    /** The address actually bound (its port when port 0 was asked for). */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.address();
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(5));
        // the connections are closed: no quiet period for late tasks (Reactor's default waits 2 s)
        loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(6));
    }
}
