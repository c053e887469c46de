package io.navstar.agent.lb.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Reads and writes the desired state as JSON, the form of the agent's state file and of its API:
 * <pre>{@code
 * {"version": 1,
 *  "vips": [{"vip": "11.0.0.1:80", "protocol": "tcp",
 *            "backends": [{"endpoint": "10.0.1.2:8080", "weight": 1}, ...]}]}
 * }</pre>
 * {@code protocol} defaults to tcp and {@code weight} to 1. Any error names the JSON path of the bad
 * value; nothing is half-read. Stateless and thread-safe.
 */
public final class DesiredStateJson {

    /** The format version written, and the only one read. */
    public static final int VERSION = 1;
    /** Bound on the input size: 64 MiB holds far more than 65,536 VIPs of 10 backends. */
    public static final int MAX_BYTES = 64 << 20;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(16).maxDocumentLength(MAX_BYTES).build());
    }

    private DesiredStateJson() {
    }

    /** Parses a state; throws {@link IllegalArgumentException} naming the path of the first bad value. */
    public static DesiredState parse(byte[] json) {
        if (json.length > MAX_BYTES) {
            throw new IllegalArgumentException("desired state of " + json.length + " bytes exceeds " + MAX_BYTES);
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            String where = at == null ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
            throw new IllegalArgumentException(where + "not valid JSON: " + firstLine(e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("desired state cannot be read: " + e.getMessage(), e);
        }
        return fromTree(root);
    }

    /** Jackson's message up to its first line break or source excerpt: one line, no input echoed back. */
    private static String firstLine(String message) {
        String line = message.lines().findFirst().orElse("");
        int source = line.indexOf(" (start marker at");
        return source < 0 ? line : line.substring(0, source);
    }

    /** Parses a state from a string. */
    public static DesiredState parse(String json) {
        return parse(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Reads a state file. */
    public static DesiredState read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new IllegalArgumentException(file + ": " + size + " bytes exceeds " + MAX_BYTES);
        }
        try {
            return parse(Files.readAllBytes(file));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Writes a state file atomically (temporary file, then rename). */
    public static void write(Path file, DesiredState state) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, toJson(state));
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** The JSON text of a state. */
    public static String toJson(DesiredState state) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("version", VERSION);
        ArrayNode vips = root.putArray("vips");
        for (VipSpec spec : state.vips().values()) {
            ObjectNode vip = vips.addObject();
            vip.put("vip", spec.key().endpoint().toString());
            vip.put("protocol", spec.key().protocol().name().toLowerCase(java.util.Locale.ROOT));
            ArrayNode backends = vip.putArray("backends");
            for (BackendSpec b : spec.backends()) {
                backends.addObject().put("endpoint", b.endpoint().toString()).put("weight", b.weight());
            }
        }
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render desired state", e);
        }
    }

    /** Parses one VIP object (the API's body for a single VIP). */
    public static VipSpec parseVip(byte[] json) {
        try {
            return vip(MAPPER.readTree(json), "$");
        } catch (IOException e) {
            throw new IllegalArgumentException("VIP is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static DesiredState fromTree(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("$: expected an object with \"vips\"");
        }
        JsonNode version = root.get("version");
        if (version != null && (!version.isInt() || version.intValue() != VERSION)) {
            throw new IllegalArgumentException("$.version: unsupported version " + version + " (expected " + VERSION + ")");
        }
        JsonNode vips = root.get("vips");
        if (vips == null || !vips.isArray()) {
            throw new IllegalArgumentException("$.vips: expected an array");
        }
        List<VipSpec> specs = new ArrayList<>(vips.size());
        for (int i = 0; i < vips.size(); i++) {
            specs.add(vip(vips.get(i), "$.vips[" + i + "]"));
        }
        try {
            return DesiredState.of(specs);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("$.vips: " + e.getMessage(), e);
        }
    }

    private static VipSpec vip(JsonNode node, String path) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(path + ": expected an object");
        }
        checkFields(node, path, "vip", "protocol", "backends");
        Endpoint endpoint = endpoint(node.get("vip"), path + ".vip");
        Protocol protocol = Protocol.TCP;
        JsonNode proto = node.get("protocol");
        if (proto != null) {
            if (!proto.isTextual()) {
                throw new IllegalArgumentException(path + ".protocol: expected \"tcp\" or \"udp\"");
            }
            try {
                protocol = Protocol.parse(proto.textValue());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(path + ".protocol: " + e.getMessage(), e);
            }
        }
        JsonNode backends = node.get("backends");
        if (backends == null || !backends.isArray()) {
            throw new IllegalArgumentException(path + ".backends: expected an array");
        }
        List<BackendSpec> list = new ArrayList<>(backends.size());
        for (int i = 0; i < backends.size(); i++) {
            String at = path + ".backends[" + i + "]";
            JsonNode b = backends.get(i);
            if (!b.isObject()) {
                throw new IllegalArgumentException(at + ": expected an object");
            }
            checkFields(b, at, "endpoint", "weight");
            Endpoint backend = endpoint(b.get("endpoint"), at + ".endpoint");
            int weight = 1;
            JsonNode w = b.get("weight");
            if (w != null) {
                if (!w.isInt()) {
                    throw new IllegalArgumentException(at + ".weight: expected an integer");
                }
                weight = w.intValue();
            }
            try {
                list.add(new BackendSpec(backend, weight));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + ": " + e.getMessage(), e);
            }
        }
        try {
            return new VipSpec(new VipKey(endpoint, protocol), list);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
        }
    }

    private static Endpoint endpoint(JsonNode node, String path) {
        if (node == null || !node.isTextual()) {
            throw new IllegalArgumentException(path + ": expected \"ip:port\"");
        }
        try {
            return Endpoint.parse(node.textValue());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
        }
    }

    private static void checkFields(JsonNode node, String path, String... known) {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            boolean ok = false;
            for (String k : known) {
                ok |= k.equals(name);
            }
            if (!ok) {
                throw new IllegalArgumentException(path + "." + name + ": unknown field (known: " + String.join(", ", known) + ")");
            }
        }
    }
}
