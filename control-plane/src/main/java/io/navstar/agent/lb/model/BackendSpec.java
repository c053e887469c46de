package io.navstar.agent.lb.model;

import java.util.Objects;

/**
 * One backend of a VIP with its weight. Weight 0 means draining: the backend takes no new flow and
 * keeps the flows it has.
 *
 * @param endpoint where the backend listens
 * @param weight   0..{@link #MAX_WEIGHT}; new flows split in proportion to weight
 */
public record BackendSpec(Endpoint endpoint, int weight) {

    /** The largest weight accepted. */
    public static final int MAX_WEIGHT = 1000;

    public BackendSpec {
        Objects.requireNonNull(endpoint, "endpoint");
        if (weight < 0 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("backend " + endpoint + ": weight " + weight + " out of range 0.." + MAX_WEIGHT);
        }
    }

    /** True when the backend takes new flows. */
    public boolean active() {
        return weight > 0;
    }
}
