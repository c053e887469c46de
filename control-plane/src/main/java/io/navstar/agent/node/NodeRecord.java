package io.navstar.agent.node;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.kv.KvKey;
import io.navstar.gossip.kv.crdt.Crdt;
import io.navstar.gossip.kv.crdt.CrdtType;
import io.navstar.gossip.kv.crdt.Field;
import io.navstar.gossip.kv.crdt.LwwRegister;
import io.navstar.gossip.kv.crdt.Op;
import io.navstar.gossip.kv.crdt.OrMap;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One node's entry in the KV key {@code [navstar, nodes]}: an OR-map whose field is the node's gossip id and whose
 * value is an LWW register holding this record as JSON (the shape of dcos-net's {@code /v1/nodes}). Each node writes
 * only its own. Immutable.
 *
 * @param privateIp the node's private address
 * @param publicIps its public addresses
 * @param hostname  its name
 * @param updated   when it last wrote the record, in milliseconds since the epoch
 */
public record NodeRecord(@JsonProperty("private_ip") String privateIp, @JsonProperty("public_ips") List<String> publicIps,
                         String hostname, long updated) {
    public static final KvKey KEY = KvKey.of("navstar", "nodes");
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES); // newer agents may add fields

    public NodeRecord {
        Objects.requireNonNull(privateIp, "private_ip");
        Objects.requireNonNull(hostname, "hostname");
        publicIps = publicIps == null ? List.of() : List.copyOf(publicIps);
    }

    /** The operation that writes {@code record} as {@code node}'s entry. */
    public static Op writeOp(NodeId node, NodeRecord record) {
        try {
            return new Op.Update(Field.of(node.toString(), CrdtType.LWW_REGISTER), new Op.Assign(JSON.writeValueAsBytes(record)));
        } catch (IOException e) {
            throw new IllegalStateException("a record always serialises", e);
        }
    }

    /** The operation that removes {@code node}'s entry (a node pruned from membership). */
    public static Op removeOp(NodeId node) {
        return new Op.RemoveField(Field.of(node.toString(), CrdtType.LWW_REGISTER));
    }

    /** Every node's record in {@code value}, by node; entries that do not parse are left out. */
    public static NavigableMap<NodeId, NodeRecord> read(OrMap value) {
        NavigableMap<NodeId, NodeRecord> nodes = new TreeMap<>();
        if (value == null) {
            return nodes;
        }
        for (Map.Entry<Field, Crdt<?>> e : value.fields().entrySet()) {
            if (e.getKey().type() != CrdtType.LWW_REGISTER || !(e.getValue() instanceof LwwRegister register)
                    || !register.isSet()) {
                continue;
            }
            try {
                nodes.put(NodeId.parse(e.getKey().name()), JSON.readValue(register.value(), NodeRecord.class));
            } catch (IOException | RuntimeException skipped) {
                // a malformed entry: leave it out rather than stop every node's compile
            }
        }
        return nodes;
    }
}
