package io.navstar.agent.vip;

import io.navstar.agent.lb.model.BackendSpec;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.gossip.NodeId;

import java.util.Objects;

/**
 * One backend of a VIP as the KV store holds it: the node whose agent published it (and alone may change it),
 * where it listens and its weight (0: draining). Written in the VIP's OR-set as {@link #element()}:
 * {@code 10.0.0.1:62501|10.0.1.2:8080|1}.
 *
 * @param node     the publishing node's gossip identity
 * @param endpoint the backend's address and port
 * @param weight   0..{@link BackendSpec#MAX_WEIGHT}
 */
public record BackendEntry(NodeId node, Endpoint endpoint, int weight) implements Comparable<BackendEntry> {

    public BackendEntry {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(endpoint, "endpoint");
        if (weight < 0 || weight > BackendSpec.MAX_WEIGHT) {
            throw new IllegalArgumentException("weight " + weight + " out of range 0.." + BackendSpec.MAX_WEIGHT);
        }
    }

    /** Reads {@link #element()}. */
    public static BackendEntry parse(String element) {
        String[] parts = element.split("\\|", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("backend entry needs node|endpoint|weight: " + element);
        }
        int weight;
        try {
            weight = Integer.parseInt(parts[2]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("backend entry weight is not a number: " + element);
        }
        return new BackendEntry(NodeId.parse(parts[0]), Endpoint.parse(parts[1]), weight);
    }

    public String element() {
        return node + "|" + endpoint + "|" + weight;
    }

    @Override
    public int compareTo(BackendEntry other) {
        int c = endpoint.compareTo(other.endpoint);
        if (c != 0) {
            return c;
        }
        c = node.compareTo(other.node);
        return c != 0 ? c : Integer.compare(weight, other.weight);
    }
}
