package io.navstar.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * The options of every command that talks to the local agent: where its API is ({@code --api}, else the
 * {@code NAVSTAR_API} environment variable, else {@code http://127.0.0.1:62080}) and how to print ({@code -o}).
 * A picocli mixin; one instance per command run.
 */
final class ApiOptions {
    /** The agent's API when neither {@code --api} nor {@code NAVSTAR_API} says otherwise. */
    static final String DEFAULT_API = "http://127.0.0.1:62080";

    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;

    @Option(names = "--api", paramLabel = "URL", defaultValue = "${env:NAVSTAR_API:-" + DEFAULT_API + "}",
            description = "The agent's API (default: $NAVSTAR_API, else " + DEFAULT_API + ").")
    private String api;

    @Option(names = {"-o", "--output"}, paramLabel = "table|json", defaultValue = "table",
            converter = Output.FormatConverter.class,
            description = "table (aligned columns, the default) or json (the API's JSON, indented).")
    Output.Format output;

    /** The API's base address, checked: http(s)://host[:port] with no path. */
    URI base() {
        try {
            URI uri = new URI(api);
            if ((!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) || uri.getHost() == null
                    || (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))) {
                throw new URISyntaxException(api, "not http://HOST:PORT");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ParameterException(command.commandLine(), "--api: expected http://HOST:PORT, got \"" + api + "\"");
        }
    }

    /** A client of the API for one command run. */
    ApiClient client() {
        return new ApiClient(base());
    }

    /**
     * GETs {@code path}: with {@code -o json} prints the body and returns null (the command is done), else returns
     * the body for the command's table.
     */
    JsonNode fetchForTable(String path) {
        JsonNode body;
        try (ApiClient client = client()) {
            body = client.get(path);
        }
        if (output == Output.Format.JSON) {
            Output.json(command.commandLine().getOut(), body);
            return null;
        }
        return body;
    }
}
