package io.navstar.agent.lb.model;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Every VIP this node should balance, with its backends: what the control plane makes the kernel hold.
 * Immutable; VIPs are ordered by key.
 *
 * @param vips VIP specs by key
 */
public record DesiredState(Map<VipKey, VipSpec> vips) {

    private static final DesiredState EMPTY = new DesiredState(Map.of());

    public DesiredState {
        Objects.requireNonNull(vips, "vips");
        TreeMap<VipKey, VipSpec> sorted = new TreeMap<>();
        for (Map.Entry<VipKey, VipSpec> e : vips.entrySet()) {
            if (!e.getKey().equals(e.getValue().key())) {
                throw new IllegalArgumentException("VIP " + e.getKey() + " mapped to the spec of " + e.getValue().key());
            }
            sorted.put(e.getKey(), e.getValue());
        }
        vips = Collections.unmodifiableMap(sorted);
    }

    /** No VIP at all. */
    public static DesiredState empty() {
        return EMPTY;
    }

    /** A state of these VIPs; throws when a VIP appears twice. */
    public static DesiredState of(Collection<VipSpec> specs) {
        TreeMap<VipKey, VipSpec> map = new TreeMap<>();
        for (VipSpec spec : specs) {
            if (map.put(spec.key(), spec) != null) {
                throw new IllegalArgumentException("VIP " + spec.key() + " listed twice");
            }
        }
        return new DesiredState(map);
    }

    /** This state with one VIP added or replaced. */
    public DesiredState with(VipSpec spec) {
        TreeMap<VipKey, VipSpec> map = new TreeMap<>(vips);
        map.put(spec.key(), spec);
        return new DesiredState(map);
    }

    /** This state without one VIP. */
    public DesiredState without(VipKey key) {
        TreeMap<VipKey, VipSpec> map = new TreeMap<>(vips);
        map.remove(key);
        return new DesiredState(map);
    }
}
