package io.navstar.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The local agent's HTTP API as the command line uses it: the JDK's {@link HttpClient}, JSON through Jackson. An
 * answer outside 2xx becomes a {@link CliErrors.CommandFailure} carrying the agent's {@code error} text: exit code
 * 2 for 400 (the agent refused the input), {@link CliErrors#EXIT_CONFLICT} for 409, 1 otherwise; an agent that
 * cannot be reached is exit code 1, saying where it was looked for.
 *
 * <p>Threading: one command run, one thread. The client's selector thread is started by the thread that makes this
 * object and lives in its network namespace; {@link #close} ends it.
 */
final class ApiClient implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /** Longer than the agent's own wait for a KV write (10 s), so its answer arrives rather than ours. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

    private final URI base;
    private final HttpClient http;

    /** An answer of the agent: status, body and headers. */
    record Response(int status, byte[] body, Map<String, List<String>> headers) {
        JsonNode json() {
            try {
                return body.length == 0 ? JSON.nullNode() : JSON.readTree(body);
            } catch (IOException e) {
                throw CliErrors.failed("the agent answered with a body that is not JSON: " + e.getMessage());
            }
        }

        String header(String name) {
            List<String> values = headers.get(name);
            return values == null || values.isEmpty() ? null : values.getFirst();
        }
    }

    ApiClient(URI base) {
        this.base = base;
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    }

    /** The path of URL-encoded segments under a prefix: {@code /lashup/kv/} + {@code [minuteman, vips]}. */
    static String path(String prefix, List<String> segments) {
        return prefix + segments.stream().map(s -> URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20"))
                .collect(Collectors.joining("/"));
    }

    /** GET {@code path} and its JSON body. */
    JsonNode get(String path) {
        return send("GET", path, null, Map.of()).json();
    }

    /**
     * Sends a request and returns a 2xx answer; anything else throws, with the agent's reason.
     *
     * @param body    JSON to send, or null for none
     * @param headers extra request headers
     */
    Response send(String method, String path, byte[] body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(REQUEST_TIMEOUT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        headers.forEach(request::header);
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpConnectTimeoutException | ConnectException e) {
            throw CliErrors.failed("cannot reach the agent at " + base + " (is navstar agent running? --api or "
                    + "NAVSTAR_API say where): " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (HttpTimeoutException e) {
            throw CliErrors.failed(method + " " + path + ": the agent did not answer within " + REQUEST_TIMEOUT.toSeconds() + " s");
        } catch (IOException e) {
            throw CliErrors.failed(method + " " + path + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliErrors.failed("interrupted");
        }
        Response answer = new Response(response.statusCode(), response.body(), response.headers().map());
        if (answer.status() / 100 == 2 || answer.status() == 304) {
            return answer;
        }
        String reason = reason(answer);
        int exitCode = switch (answer.status()) {
            case 400 -> CommandLine.ExitCode.USAGE;
            case 409 -> CliErrors.EXIT_CONFLICT;
            default -> CommandLine.ExitCode.SOFTWARE;
        };
        throw new CliErrors.CommandFailure(exitCode, reason);
    }

    /** The agent's {@code {"error": "..."}} text, else the status. */
    private static String reason(Response answer) {
        try {
            JsonNode error = JSON.readTree(answer.body()).path("error");
            if (error.isTextual()) {
                return error.asText();
            }
        } catch (IOException | RuntimeException e) {
            // not the agent's error shape: fall back to the status
        }
        return "the agent answered " + answer.status();
    }

    @Override
    public void close() {
        http.close();
    }
}
