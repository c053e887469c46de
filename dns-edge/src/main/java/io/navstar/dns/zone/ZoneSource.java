package io.navstar.dns.zone;

/**
 * Where the server reads its local zones: the control plane implements or fills this (normally
 * through {@link LocalZones}). {@link #current()} is called once per query on event loops, so it must
 * be a cheap read of an already-built {@link ZoneSnapshot}.
 */
@FunctionalInterface
public interface ZoneSource {
    /** The snapshot to answer from; never null. */
    ZoneSnapshot current();
}
