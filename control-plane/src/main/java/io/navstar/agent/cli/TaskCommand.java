package io.navstar.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.navstar.agent.config.AgentConfig;
import io.navstar.agent.task.TaskJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code navstar task ls|add|rm}: this node's tasks ({@code GET|POST /v1/tasks}, {@code DELETE /v1/tasks/{id}}), in
 * the JSON of {@link TaskJson}. {@code add} checks the file as the agent would before sending it, so a bad task is
 * one line naming the file and the JSON path, exit code 2. Stateless commands.
 */
@Command(name = "task", description = "List, register or remove this node's tasks.",
        subcommands = {TaskCommand.Ls.class, TaskCommand.Add.class, TaskCommand.Rm.class})
final class TaskCommand {

    @Command(name = "ls", description = "List this node's tasks (GET /v1/tasks).")
    static final class Ls implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ApiOptions api;

        @Override
        public Integer call() {
            JsonNode tasks = api.fetchForTable("/v1/tasks");
            if (tasks == null) {
                return 0;
            }
            List<JsonNode> list = new ArrayList<>();
            tasks.forEach(list::add);
            print(spec, Output.Format.TABLE, list, tasks);
            return 0;
        }
    }

    @Command(name = "add", description = {"Register a task from a JSON file, or standard input for '-' (POST /v1/tasks):",
            "{\"id\": \"web-1\", \"address\": \"10.0.1.2\", \"ports\": [{\"port\": 8080, \"labels\": {\"VIP_0\": \"/web:80\"}}]}"})
    static final class Add implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ApiOptions api;

        @Parameters(index = "0", paramLabel = "FILE", description = "The task's JSON, or - for standard input.")
        String file;

        @Override
        public Integer call() {
            byte[] body = read(file);
            try {
                new TaskJson(AgentConfig.DEFAULT_FRAMEWORK).parse(body);
            } catch (IllegalArgumentException e) {
                throw CliErrors.badInput(name(file) + ": " + e.getMessage());
            }
            JsonNode registered;
            try (ApiClient client = api.client()) {
                registered = client.send("POST", "/v1/tasks", body, Map.of()).json();
            }
            print(spec, api.output, List.of(registered), registered);
            return 0;
        }
    }

    @Command(name = "rm", description = "Remove tasks of this node by id (DELETE /v1/tasks/{id}).")
    static final class Rm implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ApiOptions api;

        @Parameters(arity = "1..*", paramLabel = "ID", description = "The ids of the tasks to remove.")
        List<String> ids;

        @Override
        public Integer call() {
            try (ApiClient client = api.client()) {
                for (String id : ids) {
                    client.send("DELETE", ApiClient.path("/v1/tasks/", List.of(id)), null, Map.of());
                    if (api.output == Output.Format.TABLE) {
                        spec.commandLine().getOut().println("removed task " + id);
                    }
                }
            }
            if (api.output == Output.Format.JSON) {
                Output.json(spec.commandLine().getOut(), Map.of("removed", ids));
            }
            return 0;
        }
    }

    /** Prints tasks: a table of one row per port, or {@code json} as the API gave it. */
    static void print(CommandSpec spec, Output.Format format, List<JsonNode> tasks, JsonNode json) {
        if (format == Output.Format.JSON) {
            Output.json(spec.commandLine().getOut(), json);
            return;
        }
        Output.Table table = new Output.Table("ID", "FRAMEWORK", "ADDRESS", "PORT", "VIPS", "WEIGHT", "CHECKED");
        for (JsonNode task : tasks) {
            List<String> ports = new ArrayList<>();
            List<String> vips = new ArrayList<>();
            List<String> weights = new ArrayList<>();
            List<String> checked = new ArrayList<>();
            for (JsonNode port : task.path("ports")) {
                ports.add(port.path("port").asInt() + "/" + port.path("protocol").asText());
                List<String> labels = new ArrayList<>();
                for (Iterator<JsonNode> it = port.path("labels").elements(); it.hasNext(); ) {
                    labels.add(it.next().asText());
                }
                vips.add(labels.isEmpty() ? "-" : String.join(", ", labels));
                weights.add(port.path("weight").asText());
                checked.add(port.path("health_check").asBoolean() ? "yes" : "no");
            }
            table.row(task.path("id").asText(), task.path("framework").asText(), task.path("address").asText(),
                    ports, vips, weights, checked);
        }
        table.print(spec.commandLine().getOut());
    }

    /** A file's bytes, or standard input's for "-"; a missing file is bad input naming it. */
    static byte[] read(String file) {
        try {
            return file.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(file));
        } catch (NoSuchFileException e) {
            throw CliErrors.badInput(file + ": no such file");
        } catch (IOException e) {
            throw CliErrors.badInput(name(file) + ": cannot read: " + e.getMessage());
        }
    }

    static String name(String file) {
        return file.equals("-") ? "standard input" : file;
    }
}
