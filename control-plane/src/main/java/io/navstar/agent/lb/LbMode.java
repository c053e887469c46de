package io.navstar.agent.lb;

import java.util.Locale;

/** The three data-plane modes (docs: DESIGN.md, "Data plane modes"); all share the maps. */
public enum LbMode {
    /** cgroup v2 sock_addr hooks: the destination is rewritten at connect()/sendmsg(). */
    SOCK,
    /** tcx ingress DNAT with connection tracking, tcx egress reverse NAT. */
    TC,
    /** XDP forward path, tcx egress reverse NAT. */
    XDP;

    public static LbMode parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown mode '" + name + "' (sock, tc or xdp)", e);
        }
    }
}
