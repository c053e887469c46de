package io.navstar.agent.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.navstar.gossip.kv.KvKey;
import io.navstar.gossip.kv.crdt.Crdt;
import io.navstar.gossip.kv.crdt.CrdtType;
import io.navstar.gossip.kv.crdt.EnableWinsFlag;
import io.navstar.gossip.kv.crdt.Field;
import io.navstar.gossip.kv.crdt.GCounter;
import io.navstar.gossip.kv.crdt.LwwRegister;
import io.navstar.gossip.kv.crdt.Op;
import io.navstar.gossip.kv.crdt.OrMap;
import io.navstar.gossip.kv.crdt.OrSwot;
import io.navstar.gossip.kv.crdt.PnCounter;
import io.navstar.gossip.kv.crdt.VersionVector;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The KV store as JSON, for {@code /lashup/kv}. A value is an object of its fields, each typed:
 * <pre>{@code
 * {"erlang_users": {"type": "pncounter", "value": 26},
 *  "tags": {"type": "orswot", "value": ["a", "b"]},
 *  "owner": {"type": "lww_register", "value": "alice"},   (or "base64": "..." when not UTF-8)
 *  "on": {"type": "flag", "value": true},
 *  "sub": {"type": "ormap", "value": {...}}}
 * }</pre>
 * and a clock is an object of replica to counter. Operations are data, read from a JSON list and validated
 * against the types (never evaluated, as dcos-net's Erlang terms were):
 * <pre>{@code
 * [{"field": "erlang_users", "type": "pncounter", "op": "increment", "amount": 5},
 *  {"field": "tags", "type": "orswot", "op": "add", "element": "x"},          (or "remove")
 *  {"field": "owner", "type": "lww_register", "op": "assign", "value": "alice"},
 *  {"field": "on", "type": "flag", "op": "enable"},                          (or "disable")
 *  {"field": "sub", "type": "ormap", "op": "update", "ops": [...]},
 *  {"field": "tags", "type": "orswot", "op": "remove_field"}]
 * }</pre>
 * Errors name the JSON path of the bad value. Stateless and thread-safe.
 */
public final class KvJson {
    /** Most operations in one request. */
    public static final int MAX_OPS = 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).build());
    }

    private KvJson() {
    }

    /** The API's name of a type. */
    static String typeName(CrdtType type) {
        return switch (type) {
            case GCOUNTER -> "gcounter";
            case PNCOUNTER -> "pncounter";
            case LWW_REGISTER -> "lww_register";
            case ENABLE_WINS_FLAG -> "flag";
            case ORSWOT -> "orswot";
            case ORMAP -> "ormap";
        };
    }

    private static CrdtType type(String name) {
        for (CrdtType type : CrdtType.values()) {
            if (typeName(type).equals(name)) {
                return type;
            }
        }
        return null;
    }

    /** A map's value as typed JSON. */
    public static ObjectNode value(OrMap map) {
        ObjectNode out = NODES.objectNode();
        for (Map.Entry<Field, Crdt<?>> field : map.fields().entrySet()) {
            // two fields may share a name with different types: the second is listed as name#type
            String name = out.has(field.getKey().name())
                    ? field.getKey().name() + "#" + typeName(field.getKey().type()) : field.getKey().name();
            ObjectNode typed = out.putObject(name);
            typed.put("type", typeName(field.getKey().type()));
            switch (field.getValue()) {
                case GCounter c -> typed.put("value", c.value());
                case PnCounter c -> typed.put("value", c.value());
                case EnableWinsFlag f -> typed.put("value", f.enabled());
                case OrSwot s -> {
                    ArrayNode elements = typed.putArray("value");
                    s.elements().stream().sorted().forEach(elements::add);
                }
                case LwwRegister r -> {
                    String text = r.isSet() ? utf8(r.value()) : null;
                    if (!r.isSet()) {
                        typed.putNull("value");
                    } else if (text != null) {
                        typed.put("value", text);
                    } else {
                        typed.put("base64", Base64.getEncoder().encodeToString(r.value()));
                    }
                }
                case OrMap m -> typed.set("value", value(m));
                default -> typed.put("value", field.getValue().toString());
            }
        }
        return out;
    }

    private static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** A clock as JSON text: {@code {"10.0.0.1:62501": 3}}. */
    public static String clock(VersionVector clock) {
        try {
            return JSON.writeValueAsString(new java.util.TreeMap<>(clock.asMap()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads a clock header. */
    public static VersionVector parseClock(String text) {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("clock header: not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("clock header: expected an object of replica to counter");
        }
        Map<String, Long> counters = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().canConvertToLong() || !e.getValue().isIntegralNumber() || e.getValue().asLong() < 0) {
                throw new IllegalArgumentException("clock header: " + e.getKey() + ": expected a counter >= 0");
            }
            counters.put(e.getKey(), e.getValue().asLong());
        }
        return VersionVector.of(counters);
    }

    /**
     * The key a path names: each '/'-separated segment percent-decoded and kept as a string.
     *
     * @throws IllegalArgumentException for an empty segment or one that does not decode
     */
    public static KvKey key(String rawPath) {
        List<String> path = new ArrayList<>();
        for (String segment : rawPath.split("/", -1)) {
            String decoded;
            try {
                decoded = URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("key: segment '" + segment + "' is not percent-encoded text");
            }
            if (decoded.isEmpty()) {
                throw new IllegalArgumentException("key: empty segment in /" + rawPath);
            }
            if (decoded.getBytes(StandardCharsets.UTF_8).length > KvKey.MAX_ELEMENT_BYTES) {
                throw new IllegalArgumentException("key: a segment longer than " + KvKey.MAX_ELEMENT_BYTES + " bytes");
            }
            path.add(decoded);
        }
        return new KvKey(path);
    }

    /** Reads a list of operations; throws naming the JSON path of the first bad value. */
    public static List<Op> ops(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            throw new IllegalArgumentException("(top): not valid JSON at line " + (at == null ? "?" : at.getLineNr())
                    + ", column " + (at == null ? "?" : at.getColumnNr()));
        } catch (IOException e) {
            throw new IllegalArgumentException("(top): cannot read the body");
        }
        if (root == null || !root.isArray()) {
            throw new IllegalArgumentException("(top): expected a list of operations");
        }
        if (root.isEmpty() || root.size() > MAX_OPS) {
            throw new IllegalArgumentException("(top): expected 1 to " + MAX_OPS + " operations, got " + root.size());
        }
        List<Op> ops = new ArrayList<>();
        readOps(root, "", ops);
        return ops;
    }

    private static void readOps(JsonNode list, String path, List<Op> out) {
        for (int i = 0; i < list.size(); i++) {
            String at = path + "[" + i + "]";
            JsonNode op = list.get(i);
            if (!op.isObject()) {
                throw new IllegalArgumentException(at + ": expected an operation object");
            }
            String name = text(op, at, "field");
            CrdtType type = type(text(op, at, "type"));
            if (type == null) {
                throw new IllegalArgumentException(at + ".type: expected one of gcounter, pncounter, lww_register, "
                        + "flag, orswot, ormap, got \"" + op.get("type").asText() + "\"");
            }
            Field field = Field.of(name, type);
            String verb = text(op, at, "op").toLowerCase(Locale.ROOT);
            if (verb.equals("remove_field")) {
                out.add(new Op.RemoveField(field));
                continue;
            }
            if (type == CrdtType.ORMAP) {
                if (!verb.equals("update") || !op.path("ops").isArray() || op.get("ops").isEmpty()) {
                    throw new IllegalArgumentException(at + ": an ormap field takes \"op\": \"update\" with a non-empty "
                            + "\"ops\" list, or \"remove_field\"");
                }
                List<Op> nested = new ArrayList<>();
                readOps(op.get("ops"), at + ".ops", nested);
                nested.forEach(n -> out.add(new Op.Update(field, n)));
                continue;
            }
            out.add(new Op.Update(field, leaf(op, at, type, verb)));
        }
    }

    private static Op leaf(JsonNode op, String at, CrdtType type, String verb) {
        return switch (type) {
            case GCOUNTER, PNCOUNTER -> {
                expect(at, verb, "increment", type);
                JsonNode amount = op.get("amount");
                if (amount == null || !amount.isIntegralNumber() || !amount.canConvertToLong()) {
                    throw new IllegalArgumentException(at + ".amount: expected a whole number");
                }
                if (type == CrdtType.GCOUNTER && amount.asLong() < 0) {
                    throw new IllegalArgumentException(at + ".amount: a gcounter only grows, got " + amount.asLong());
                }
                yield new Op.Increment(amount.asLong());
            }
            case LWW_REGISTER -> {
                expect(at, verb, "assign", type);
                JsonNode value = op.get("value");
                JsonNode base64 = op.get("base64");
                if (value != null && value.isTextual()) {
                    yield new Op.Assign(value.asText().getBytes(StandardCharsets.UTF_8));
                }
                if (base64 != null && base64.isTextual()) {
                    try {
                        yield new Op.Assign(Base64.getDecoder().decode(base64.asText()));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(at + ".base64: not base64");
                    }
                }
                throw new IllegalArgumentException(at + ".value: expected text (or \"base64\")");
            }
            case ENABLE_WINS_FLAG -> switch (verb) {
                case "enable" -> new Op.Enable();
                case "disable" -> new Op.Disable();
                default -> throw new IllegalArgumentException(at + ".op: a flag takes enable or disable, got \"" + verb + "\"");
            };
            case ORSWOT -> {
                String element = text(op, at, "element");
                yield switch (verb) {
                    case "add" -> new Op.Add(element);
                    case "remove" -> new Op.Remove(element);
                    default -> throw new IllegalArgumentException(at + ".op: an orswot takes add or remove, got \"" + verb + "\"");
                };
            }
            case ORMAP -> throw new IllegalStateException("handled by the caller");
        };
    }

    private static void expect(String at, String verb, String wanted, CrdtType type) {
        if (!verb.equals(wanted)) {
            throw new IllegalArgumentException(at + ".op: a " + typeName(type) + " takes " + wanted + ", got \"" + verb + "\"");
        }
    }

    private static String text(JsonNode op, String at, String name) {
        JsonNode value = op.get(name);
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            throw new IllegalArgumentException(at + "." + name + ": expected non-empty text");
        }
        return value.asText();
    }
}
