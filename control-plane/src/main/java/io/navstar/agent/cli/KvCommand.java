package io.navstar.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.navstar.agent.api.KvJson;
import io.navstar.gossip.kv.KvKey;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Stack;
import java.util.concurrent.Callable;

/**
 * {@code navstar kv get|put|watch}: the replicated key-value store through the local agent's
 * {@code /lashup/kv/{key...}} ({@link KvJson} has the JSON). A key is its path segments, given as separate
 * arguments or joined by '/' ({@code minuteman vips} or {@code minuteman/vips}); a value prints as a table of its
 * fields (nested maps' fields as {@code outer.inner}), or with {@code -o json} as
 * {@code {"key": [...], "clock": {...}, "value": {...}}}. {@code put} takes operations as options, applied in the
 * order given, or a list of them in a file ({@code --ops}); with {@code --if-clock} the write happens only if the key
 * is still at that clock (exit code 3 when it moved on). Stateless commands.
 */
@Command(name = "kv", description = "Read, write and watch the replicated key-value store.",
        subcommands = {KvCommand.Get.class, KvCommand.Put.class, KvCommand.Watch.class})
final class KvCommand {

    /** The key argument, shared by the three commands. */
    static final class Key {
        @Spec(Spec.Target.MIXEE)
        CommandSpec spec;

        @Parameters(arity = "1..*", paramLabel = "KEY",
                description = "The key's path segments, as separate arguments or joined by '/' (minuteman vips).")
        List<String> arguments;

        List<String> segments() {
            List<String> segments = new ArrayList<>();
            for (String argument : arguments) {
                for (String segment : argument.split("/")) {
                    if (segment.isEmpty()) {
                        continue;
                    }
                    if (segment.getBytes(StandardCharsets.UTF_8).length > KvKey.MAX_ELEMENT_BYTES) {
                        throw new ParameterException(spec.commandLine(), "KEY: a segment longer than "
                                + KvKey.MAX_ELEMENT_BYTES + " bytes");
                    }
                    segments.add(segment);
                }
            }
            if (segments.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "KEY: expected at least one non-empty segment");
            }
            return segments;
        }

        String path() {
            return ApiClient.path("/lashup/kv/", segments());
        }
    }

    @Command(name = "get", description = "Print a key's value: each field with its type (GET /lashup/kv/KEY).")
    static final class Get implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ApiOptions api;
        @Mixin
        Key key;

        @Override
        public Integer call() {
            ApiClient.Response value;
            try (ApiClient client = api.client()) {
                value = client.send("GET", key.path(), null, Map.of());
            }
            print(spec.commandLine().getOut(), api.output, key.segments(), value);
            return 0;
        }
    }

    @Command(name = "put", description = {"Apply operations to a key's fields (POST /lashup/kv/KEY) and print the "
            + "value written.", "Operations apply in the order given; each FIELD names a field of that type.",
            "Exit code 3: --if-clock did not match (the key changed meanwhile)."})
    static final class Put implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ApiOptions api;
        @Mixin
        Key key;

        private final ArrayNode ops = ApiClient.JSON.createArrayNode();

        /** Hands each operation option to {@link #operation} as it is parsed, so operations keep their order. */
        static final class InOrder implements CommandLine.IParameterConsumer {
            @Override
            public void consumeParameters(Stack<String> args, ArgSpec argSpec, CommandSpec commandSpec) {
                if (args.isEmpty()) {
                    throw new CommandLine.MissingParameterException(commandSpec.commandLine(), argSpec,
                            "Missing required parameter for option '" + ((OptionSpec) argSpec).longestName() + "'");
                }
                ((Put) commandSpec.userObject()).operation(((OptionSpec) argSpec).longestName(), args.pop());
            }
        }

        @Option(names = "--pncounter", paramLabel = "FIELD=AMOUNT", parameterConsumer = InOrder.class,
                description = "Add AMOUNT (may be negative) to a pncounter.")
        List<String> pncounter;

        @Option(names = "--gcounter", paramLabel = "FIELD=AMOUNT", parameterConsumer = InOrder.class,
                description = "Add AMOUNT (0 or more) to a gcounter.")
        List<String> gcounter;

        @Option(names = "--orswot-add", paramLabel = "FIELD=ELEMENT", parameterConsumer = InOrder.class,
                description = "Add an element to a set (orswot).")
        List<String> orswotAdd;

        @Option(names = "--orswot-remove", paramLabel = "FIELD=ELEMENT", parameterConsumer = InOrder.class,
                description = "Remove an element from a set.")
        List<String> orswotRemove;

        @Option(names = "--assign", paramLabel = "FIELD=TEXT", parameterConsumer = InOrder.class,
                description = "Set a register (lww_register) to TEXT.")
        List<String> assign;

        @Option(names = "--enable", paramLabel = "FIELD", parameterConsumer = InOrder.class, description = "Enable a flag.")
        List<String> enable;

        @Option(names = "--disable", paramLabel = "FIELD", parameterConsumer = InOrder.class, description = "Disable a flag.")
        List<String> disable;

        @Option(names = "--remove-field", paramLabel = "FIELD=TYPE", parameterConsumer = InOrder.class,
                description = "Remove a field of a type (gcounter, pncounter, lww_register, flag, orswot, ormap).")
        List<String> removeField;

        /** One operation option, as JSON in the API's form; throws naming the option when its value is malformed. */
        void operation(String option, String value) {
            switch (option) {
                case "--pncounter" -> counter(value, "pncounter", option);
                case "--gcounter" -> counter(value, "gcounter", option);
                case "--orswot-add" -> {
                    String[] parts = split(value, option);
                    op(parts[0], "orswot", "add").put("element", parts[1]);
                }
                case "--orswot-remove" -> {
                    String[] parts = split(value, option);
                    op(parts[0], "orswot", "remove").put("element", parts[1]);
                }
                case "--assign" -> {
                    String[] parts = split(value, option);
                    op(parts[0], "lww_register", "assign").put("value", parts[1]);
                }
                case "--enable" -> op(field(value, option), "flag", "enable");
                case "--disable" -> op(field(value, option), "flag", "disable");
                case "--remove-field" -> {
                    String[] parts = split(value, option);
                    op(parts[0], parts[1], "remove_field");
                }
                default -> throw new IllegalStateException("not an operation option: " + option);
            }
        }

        @Option(names = "--ops", paramLabel = "FILE",
                description = "Read the operations from a JSON file (- for standard input) instead, in the API's form.")
        String opsFile;

        @Option(names = "--if-clock", paramLabel = "CLOCK",
                description = "Write only if the key's clock is still CLOCK (as kv get -o json prints it).")
        String ifClock;

        @Override
        public Integer call() {
            byte[] body;
            if (opsFile != null) {
                if (!ops.isEmpty()) {
                    throw new ParameterException(spec.commandLine(), "--ops: give the operations in the file or as "
                            + "options, not both");
                }
                body = TaskCommand.read(opsFile);
                try {
                    KvJson.ops(body);
                } catch (IllegalArgumentException e) {
                    throw CliErrors.badInput(TaskCommand.name(opsFile) + ": " + e.getMessage());
                }
            } else if (ops.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "nothing to write: give operations (--pncounter, "
                        + "--orswot-add, --assign, ...) or --ops FILE");
            } else {
                body = VipCommand.bytes(ops);
                try {
                    KvJson.ops(body);
                } catch (IllegalArgumentException e) {
                    throw new ParameterException(spec.commandLine(), e.getMessage());
                }
            }
            Map<String, String> headers = new HashMap<>();
            if (ifClock != null) {
                try {
                    headers.put("clock", KvJson.clock(KvJson.parseClock(ifClock)));
                } catch (IllegalArgumentException e) {
                    throw new ParameterException(spec.commandLine(),
                            "--if-clock: " + e.getMessage().replace("clock header: ", ""));
                }
            }
            ApiClient.Response written;
            try (ApiClient client = api.client()) {
                written = client.send("POST", key.path(), body, headers);
            }
            print(spec.commandLine().getOut(), api.output, key.segments(), written);
            return 0;
        }

        private void counter(String operation, String type, String option) {
            String[] parts = split(operation, option);
            long amount;
            try {
                amount = Long.parseLong(parts[1]);
            } catch (NumberFormatException e) {
                throw new ParameterException(spec.commandLine(), option + ": expected FIELD=AMOUNT with a whole "
                        + "number, got \"" + operation + "\"");
            }
            op(parts[0], type, "increment").put("amount", amount);
        }

        private ObjectNode op(String field, String type, String verb) {
            ObjectNode op = ops.addObject();
            op.put("field", field);
            op.put("type", type);
            op.put("op", verb);
            return op;
        }

        /** FIELD=VALUE at the first '=': a value may hold '=', a field may not. */
        private String[] split(String operation, String option) {
            int equals = operation.indexOf('=');
            if (equals <= 0) {
                throw new ParameterException(spec.commandLine(), option + ": expected FIELD=VALUE, got \"" + operation + "\"");
            }
            return new String[] {operation.substring(0, equals), operation.substring(equals + 1)};
        }

        private String field(String field, String option) {
            if (field.isEmpty()) {
                throw new ParameterException(spec.commandLine(), option + ": expected a field name");
            }
            return field;
        }
    }

    @Command(name = "watch", description = {"Print a key's value, then again each time its clock changes (polls "
            + "GET /lashup/kv/KEY); Ctrl-C ends.", "With -o json, one JSON document a line."})
    static final class Watch implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ApiOptions api;
        @Mixin
        Key key;

        @Option(names = "--interval", paramLabel = "MILLISECONDS", defaultValue = "250",
                description = "Time between two reads (default 250).")
        int intervalMillis;

        @Option(names = "--count", paramLabel = "N", defaultValue = "0",
                description = "End after printing N values (default 0: never).")
        int count;

        @Override
        public Integer call() throws InterruptedException {
            if (intervalMillis < 10 || intervalMillis > 3_600_000) {
                throw new ParameterException(spec.commandLine(), "--interval: expected 10 to 3600000 milliseconds, got "
                        + intervalMillis);
            }
            if (count < 0) {
                throw new ParameterException(spec.commandLine(), "--count: expected 0 or more, got " + count);
            }
            PrintWriter out = spec.commandLine().getOut();
            String path = key.path();
            String lastClock = null;
            boolean failing = false;
            int printed = 0;
            try (ApiClient client = api.client()) {
                while (count == 0 || printed < count) {
                    ApiClient.Response value = null;
                    try {
                        value = client.send("GET", path, null, Map.of());
                        failing = false;
                    } catch (CliErrors.CommandFailure e) {
                        if (e.exitCode() != CommandLine.ExitCode.SOFTWARE) {
                            throw e; // the key itself is refused: retrying cannot help
                        }
                        if (!failing) { // once per outage (the agent restarting): keep polling
                            spec.commandLine().getErr().println(spec.qualifiedName() + ": " + e.getMessage() + "; retrying");
                            spec.commandLine().getErr().flush();
                            failing = true;
                        }
                    }
                    if (value != null && !Objects.equals(value.header("clock"), lastClock)) {
                        lastClock = value.header("clock");
                        if (api.output == Output.Format.JSON) {
                            Output.jsonLine(out, document(key.segments(), value));
                        } else {
                            if (printed > 0) {
                                out.println();
                            }
                            out.println("clock " + lastClock);
                            print(out, Output.Format.TABLE, key.segments(), value);
                        }
                        printed++;
                        continue;
                    }
                    Thread.sleep(intervalMillis);
                }
            }
            return 0;
        }
    }

    /** {@code {"key": [...], "clock": {...}, "value": {...}}} of an answer. */
    static ObjectNode document(List<String> key, ApiClient.Response answer) {
        ObjectNode document = ApiClient.JSON.createObjectNode();
        ArrayNode segments = document.putArray("key");
        key.forEach(segments::add);
        try {
            String clock = answer.header("clock");
            document.set("clock", clock == null ? ApiClient.JSON.createObjectNode() : ApiClient.JSON.readTree(clock));
        } catch (IOException e) {
            throw CliErrors.failed("the agent's clock header is not JSON: " + answer.header("clock"));
        }
        document.set("value", answer.json());
        return document;
    }

    /** A value as a table of FIELD TYPE VALUE, a set one element a line; or as {@link #document}. */
    static void print(PrintWriter out, Output.Format format, List<String> key, ApiClient.Response answer) {
        if (format == Output.Format.JSON) {
            Output.json(out, document(key, answer));
            return;
        }
        Output.Table table = new Output.Table("FIELD", "TYPE", "VALUE");
        addFields(table, "", answer.json());
        table.print(out);
    }

    private static void addFields(Output.Table table, String prefix, JsonNode fields) {
        for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = prefix + field.getKey();
            JsonNode typed = field.getValue();
            String type = typed.path("type").asText();
            JsonNode value = typed.path("value");
            if (type.equals("ormap")) {
                table.row(name, type, value.isEmpty() ? "(empty)" : "");
                addFields(table, name + ".", value);
            } else if (value.isArray()) {
                List<String> elements = new ArrayList<>();
                value.forEach(e -> elements.add(e.asText()));
                table.row(name, type, elements);
            } else if (typed.has("base64")) {
                table.row(name, type, "base64:" + typed.get("base64").asText());
            } else {
                table.row(name, type, value.isNull() ? null : value.asText());
            }
        }
    }
}
