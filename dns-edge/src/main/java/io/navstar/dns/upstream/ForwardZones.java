package io.navstar.dns.upstream;

import io.navstar.dns.wire.Names;

import java.util.Arrays;
import java.util.Map;

/**
 * Forward zones: which {@link UpstreamGroup} answers a name, by the longest matching domain, falling
 * back to the default group. Immutable; lookups allocate nothing.
 */
public final class ForwardZones {
    private final byte[][] domains;
    private final UpstreamGroup[] groups;
    private final UpstreamGroup defaultGroup;

    /** @param byDomain forward zone name (text) to its group; {@code defaultGroup} answers the rest */
    public ForwardZones(Map<String, UpstreamGroup> byDomain, UpstreamGroup defaultGroup) {
        this.domains = new byte[byDomain.size()][];
        this.groups = new UpstreamGroup[byDomain.size()];
        int i = 0;
        for (Map.Entry<String, UpstreamGroup> e : byDomain.entrySet()) {
            domains[i] = Names.toWire(e.getKey());
            groups[i++] = e.getValue();
        }
        this.defaultGroup = defaultGroup;
    }

    /** The group for lowercase wire name {@code name[0, length)}: longest domain match, else default. */
    public UpstreamGroup find(byte[] name, int length) {
        UpstreamGroup best = defaultGroup;
        int bestLength = -1;
        for (int i = 0; i < domains.length; i++) {
            byte[] d = domains[i];
            if (d.length > bestLength && Names.isUnder(name, length, d)) {
                best = groups[i];
                bestLength = d.length;
            }
        }
        return best;
    }

    public UpstreamGroup defaultGroup() {
        return defaultGroup;
    }

    /** Every group, default first. */
    public UpstreamGroup[] all() {
        UpstreamGroup[] out = Arrays.copyOf(new UpstreamGroup[]{defaultGroup}, groups.length + 1);
        System.arraycopy(groups, 0, out, 1, groups.length);
        return out;
    }
}
