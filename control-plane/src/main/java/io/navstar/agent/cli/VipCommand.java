package io.navstar.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.navstar.agent.config.AgentConfig;
import io.navstar.agent.lb.model.AddressText;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.Protocol;
import io.navstar.agent.task.TaskJson;
import io.navstar.agent.vip.Vip;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code navstar vip ls|add|rm}. {@code ls} lists every VIP of the cluster ({@code GET /v1/vips}). {@code add}
 * registers a backend of a VIP on this node as a task of one port carrying the VIP's label ({@code POST /v1/tasks}),
 * so the agent publishes it, checks its health and removes it with {@code rm} ({@code DELETE /v1/tasks/{id}}) as
 * for any task. The task's id is made from the VIP, the backend and the protocol, so {@code rm} finds it from the
 * same arguments: {@code vip-<vip>-<port>-<backend address>-<backend port>}, with a VIP name's leading '/' dropped,
 * every character other than letters, digits and '.' written '-', and {@code -udp} appended for UDP
 * ({@code /web:80 --backend 10.0.1.2:8080} is {@code vip-web-80-10.0.1.2-8080}). Stateless commands.
 */
@Command(name = "vip", description = "List the cluster's VIPs; add or remove a backend of a VIP on this node.",
        subcommands = {VipCommand.Ls.class, VipCommand.Add.class, VipCommand.Rm.class})
final class VipCommand {

    @Command(name = "ls", description = "List every VIP of the cluster with its backends (GET /v1/vips).")
    static final class Ls implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ApiOptions api;

        @Override
        public Integer call() {
            JsonNode vips = api.fetchForTable("/v1/vips");
            if (vips == null) {
                return 0;
            }
            Output.Table table = new Output.Table("VIP", "PROTOCOL", "BACKENDS");
            for (JsonNode vip : vips) {
                List<String> backends = new ArrayList<>();
                for (JsonNode backend : vip.path("backend")) {
                    backends.add(endpoint(backend.path("ip").asText(), backend.path("port").asInt()));
                }
                table.row(vip.path("vip").asText(), vip.path("protocol").asText(), backends);
            }
            table.print(spec.commandLine().getOut());
            return 0;
        }
    }

    /** The arguments that name one backend of one VIP, shared by add and rm. */
    static final class Backend {
        @Spec(Spec.Target.MIXEE)
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "VIP", description = "/name:port (a named VIP) or address:port.")
        String vip;

        @Option(names = "--backend", required = true, paramLabel = "IP:PORT",
                description = "Where the backend listens (IPv6 as [address]:port).")
        String backend;

        @Option(names = "--protocol", paramLabel = "tcp|udp", defaultValue = "tcp",
                description = "The VIP's protocol (default tcp).")
        String protocol;

        Protocol protocol() {
            try {
                return Protocol.parse(protocol);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--protocol: expected tcp or udp, got \"" + protocol + "\"");
            }
        }

        /** The VIP, checked; framework only matters for a named VIP. */
        Vip vip(String framework) {
            try {
                return Vip.fromLabel(vip, protocol(), framework);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "VIP: " + e.getMessage());
            }
        }

        Endpoint endpoint() {
            try {
                return Endpoint.parse(backend);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--backend: " + e.getMessage());
            }
        }

        /** The id of the task that carries this backend (see {@link VipCommand}). */
        String taskId() {
            Vip checked = vip(AgentConfig.DEFAULT_FRAMEWORK);
            Endpoint endpoint = endpoint();
            String vipPart = (checked.isNamed() ? checked.name() : AddressText.of(checked.address())) + "-" + checked.port();
            String id = "vip-" + idText(vipPart) + "-" + idText(AddressText.of(endpoint.address())) + "-" + endpoint.port()
                    + (checked.protocol() == Protocol.UDP ? "-udp" : "");
            if (id.length() > 128) {
                throw new ParameterException(spec.commandLine(), "VIP: the task id " + id + " would be longer than "
                        + "128 characters; register the backend with navstar task add");
            }
            return id;
        }

        private static String idText(String text) {
            return text.replaceAll("[^A-Za-z0-9.]", "-");
        }
    }

    @Command(name = "add", description = {
            "Register a backend of a VIP on this node: a task of one port carrying the VIP (POST /v1/tasks).",
            "Its id is vip-<vip>-<port>-<backend address>-<backend port>[-udp]: /web:80 --backend 10.0.1.2:8080 "
                    + "is vip-web-80-10.0.1.2-8080. The agent checks a TCP backend's health (a TCP connect)."})
    static final class Add implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ApiOptions api;
        @Mixin
        Backend backend;

        @Option(names = "--framework", paramLabel = "NAME",
                description = "The framework of a named VIP, part of its DNS name (default: the agent's, marathon).")
        String framework;

        @Override
        public Integer call() {
            backend.vip(framework == null ? AgentConfig.DEFAULT_FRAMEWORK : framework.toLowerCase(Locale.ROOT));
            Endpoint endpoint = backend.endpoint();
            ObjectNode task = ApiClient.JSON.createObjectNode();
            task.put("id", backend.taskId());
            if (framework != null) {
                task.put("framework", framework);
            }
            task.put("address", AddressText.of(endpoint.address()));
            ObjectNode port = task.putArray("ports").addObject();
            port.put("port", endpoint.port());
            port.put("protocol", backend.protocol().name().toLowerCase(Locale.ROOT));
            port.putObject("labels").put("VIP_0", backend.vip);
            byte[] body = bytes(task);
            try {
                new TaskJson(AgentConfig.DEFAULT_FRAMEWORK).parse(body); // the agent would refuse what this refuses
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            JsonNode registered;
            try (ApiClient client = api.client()) {
                registered = client.send("POST", "/v1/tasks", body, Map.of()).json();
            }
            TaskCommand.print(spec, api.output, List.of(registered), registered);
            return 0;
        }
    }

    @Command(name = "rm", description = "Remove a backend that vip add registered (DELETE /v1/tasks/{id}).")
    static final class Rm implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ApiOptions api;
        @Mixin
        Backend backend;

        @Override
        public Integer call() {
            String id = backend.taskId();
            try (ApiClient client = api.client()) {
                client.send("DELETE", ApiClient.path("/v1/tasks/", List.of(id)), null, Map.of());
            }
            if (api.output == Output.Format.JSON) {
                Output.json(spec.commandLine().getOut(), Map.of("removed", id));
            } else {
                spec.commandLine().getOut().println("removed task " + id);
            }
            return 0;
        }
    }

    static String endpoint(String address, int port) {
        return address.indexOf(':') >= 0 ? "[" + address + "]:" + port : address + ":" + port;
    }

    static byte[] bytes(JsonNode json) {
        try {
            return ApiClient.JSON.writeValueAsBytes(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
