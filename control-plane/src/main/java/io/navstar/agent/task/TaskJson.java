package io.navstar.agent.task;

import io.navstar.agent.lb.model.Endpoint;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.navstar.agent.config.JsonErrors;
import io.navstar.agent.lb.model.BackendSpec;
import io.navstar.agent.lb.model.Protocol;
import io.navstar.agent.vip.Vip;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads and writes tasks as JSON, the form of {@code POST /v1/tasks} and of the files in the tasks directory:
 * <pre>{@code
 * {"id": "web-1", "framework": "marathon", "address": "10.0.1.2",
 *  "ports": [{"port": 8080, "protocol": "tcp", "labels": {"VIP_0": "/web:80"}}]}
 * }</pre>
 * {@code framework} defaults to the agent's ({@code marathon}), {@code protocol} to tcp, {@code weight} to 1 and
 * {@code health_check} to true; labels other than {@code VIP_<n>} are kept out of the way. Every error names the
 * JSON path of the bad value ({@code ports[0].labels.VIP_0: ...}); nothing is half-read. Thread-safe.
 */
public final class TaskJson {
    /** Ids are file names too: letters, digits, '.', '_' and '-', not starting with '.'. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");
    private static final Pattern VIP_LABEL = Pattern.compile("VIP_[0-9]{1,3}");
    /** A task is small; anything larger is not one. */
    public static final int MAX_BYTES = 64 << 10;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8)
                .maxDocumentLength(MAX_BYTES).build());
    }

    private final String defaultFramework;

    public TaskJson(String defaultFramework) {
        this.defaultFramework = defaultFramework;
    }

    /** The task as written. */
    record TaskDocument(String id, String framework, String address, List<PortDocument> ports) {
    }

    record PortDocument(Integer port, String protocol, Map<String, String> labels, Integer weight,
                        @JsonProperty("health_check") Boolean healthCheck) {
    }

    /**
     * Parses and validates one task.
     *
     * @throws IllegalArgumentException naming the JSON path of the first bad value
     */
    public Task parse(byte[] json) {
        if (json.length > MAX_BYTES) {
            throw new IllegalArgumentException("(top): a task of " + json.length + " bytes exceeds " + MAX_BYTES);
        }
        TaskDocument doc;
        try {
            doc = JSON.readValue(json, TaskDocument.class);
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException(JsonErrors.path(e) + ": unknown field");
        } catch (JsonMappingException e) {
            throw new IllegalArgumentException(JsonErrors.path(e) + ": " + JsonErrors.firstLine(e.getOriginalMessage()));
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            throw new IllegalArgumentException("(top): not valid JSON at line " + (at == null ? "?" : at.getLineNr())
                    + ", column " + (at == null ? "?" : at.getColumnNr()) + ": " + JsonErrors.firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new IllegalArgumentException("(top): cannot read: " + e.getMessage());
        }
        if (doc == null) {
            throw new IllegalArgumentException("(top): expected a task object, got null");
        }
        if (doc.id() == null || !ID.matcher(doc.id()).matches()) {
            throw new IllegalArgumentException("id: expected 1-128 of A-Z a-z 0-9 . _ - (not starting with '.'), got "
                    + quoted(doc.id()));
        }
        String framework = doc.framework() == null ? defaultFramework : doc.framework().toLowerCase(Locale.ROOT);
        if (!framework.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
            throw new IllegalArgumentException("framework: expected a DNS label, got " + quoted(doc.framework()));
        }
        if (doc.address() == null) {
            throw new IllegalArgumentException("address: required (the task's IP address)");
        }
        InetAddress address;
        try {
            address = Endpoint.literal(doc.address());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("address: expected an IP address, got " + quoted(doc.address()));
        }
        if (address.isAnyLocalAddress() || address.isMulticastAddress()) {
            throw new IllegalArgumentException("address: expected a unicast address, got " + quoted(doc.address()));
        }
        if (doc.ports() == null || doc.ports().isEmpty()) {
            throw new IllegalArgumentException("ports: required, at least one");
        }
        List<Task.Port> ports = new ArrayList<>();
        for (int i = 0; i < doc.ports().size(); i++) {
            ports.add(port("ports[" + i + "]", doc.ports().get(i), framework));
        }
        for (int i = 0; i < ports.size(); i++) {
            for (int j = 0; j < i; j++) {
                if (ports.get(i).port() == ports.get(j).port() && ports.get(i).protocol() == ports.get(j).protocol()) {
                    throw new IllegalArgumentException("ports[" + i + "]: port " + ports.get(i).port() + "/"
                            + ports.get(i).protocol().name().toLowerCase(Locale.ROOT) + " listed twice");
                }
            }
        }
        return new Task(doc.id(), framework, address, ports);
    }

    private static Task.Port port(String path, PortDocument doc, String framework) {
        if (doc == null) {
            throw new IllegalArgumentException(path + ": expected a port object, got null");
        }
        if (doc.port() == null || doc.port() < 1 || doc.port() > 65535) {
            throw new IllegalArgumentException(path + ".port: expected 1..65535, got " + doc.port());
        }
        Protocol protocol;
        try {
            protocol = doc.protocol() == null ? Protocol.TCP : Protocol.parse(doc.protocol());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + ".protocol: expected tcp or udp, got " + quoted(doc.protocol()));
        }
        int weight = doc.weight() == null ? 1 : doc.weight();
        if (weight < 0 || weight > BackendSpec.MAX_WEIGHT) {
            throw new IllegalArgumentException(path + ".weight: expected 0.." + BackendSpec.MAX_WEIGHT + ", got " + weight);
        }
        List<Vip> vips = new ArrayList<>();
        Map<String, String> labels = doc.labels() == null ? Map.of() : new LinkedHashMap<>(doc.labels());
        for (Map.Entry<String, String> label : labels.entrySet()) {
            if (!VIP_LABEL.matcher(label.getKey()).matches()) {
                continue; // other labels belong to other tools
            }
            String labelPath = path + ".labels." + label.getKey();
            if (label.getValue() == null) {
                throw new IllegalArgumentException(labelPath + ": expected /name:port or address:port, got null");
            }
            Vip vip;
            try {
                vip = Vip.fromLabel(label.getValue().strip(), protocol, framework);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(labelPath + ": " + e.getMessage());
            }
            if (!vips.contains(vip)) {
                vips.add(vip);
            }
        }
        boolean check = doc.healthCheck() == null || doc.healthCheck();
        return new Task.Port(doc.port(), protocol, vips, weight, check && protocol == Protocol.TCP);
    }

    /** The task as JSON, in the form {@link #parse} reads. */
    public byte[] write(Task task) {
        List<PortDocument> ports = new ArrayList<>();
        for (Task.Port p : task.ports()) {
            Map<String, String> labels = new LinkedHashMap<>();
            for (int i = 0; i < p.vips().size(); i++) {
                labels.put("VIP_" + i, p.vips().get(i).display());
            }
            ports.add(new PortDocument(p.port(), p.protocol().name().toLowerCase(Locale.ROOT), labels, p.weight(),
                    p.healthCheck()));
        }
        try {
            return JSON.writeValueAsBytes(new TaskDocument(task.id(), task.framework(), task.address().getHostAddress(), ports));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a task always serialises", e);
        }
    }



    private static String quoted(String text) {
        return text == null ? "nothing" : "\"" + text + "\"";
    }
}
