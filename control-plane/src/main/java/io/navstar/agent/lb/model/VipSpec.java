package io.navstar.agent.lb.model;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A VIP and the backends it should balance over, as desired. Backends are kept sorted by endpoint, so
 * equal sets compare equal and compile to the same Maglev table.
 *
 * @param key      the VIP
 * @param backends its backends, each endpoint once, all of the VIP's address family
 */
public record VipSpec(VipKey key, List<BackendSpec> backends) {

    public VipSpec {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(backends, "backends");
        Set<Endpoint> seen = new HashSet<>();
        for (BackendSpec backend : backends) {
            if (!seen.add(backend.endpoint())) {
                throw new IllegalArgumentException("VIP " + key + ": backend " + backend.endpoint() + " listed twice");
            }
            if (backend.endpoint().family() != key.endpoint().family()) {
                throw new IllegalArgumentException("VIP " + key + ": backend " + backend.endpoint()
                        + " is not of the VIP's address family");
            }
        }
        List<BackendSpec> sorted = new ArrayList<>(backends);
        sorted.sort(Comparator.comparing(BackendSpec::endpoint));
        backends = List.copyOf(sorted);
    }

    /** The number of backends that take new flows. */
    public int activeBackends() {
        int n = 0;
        for (BackendSpec b : backends) {
            if (b.active()) {
                n++;
            }
        }
        return n;
    }
}
