package io.navstar.dns.zone;

import java.util.Objects;

/**
 * The records interface the control plane fills: it builds a {@link ZoneSnapshot} from the KV store
 * (VIP names, node names, custom records) and {@link #publish}es it; event loops read
 * {@link #current()}. Copy-on-write: a snapshot is never modified after publication, and the
 * volatile reference makes it safely visible to every event loop (the write is a release, the read
 * an acquire, so the snapshot's fields are seen fully built).
 */
public final class LocalZones implements ZoneSource {
    private volatile ZoneSnapshot current;

    public LocalZones() {
        this(ZoneSnapshot.empty());
    }

    public LocalZones(ZoneSnapshot initial) {
        this.current = Objects.requireNonNull(initial);
    }

    /** Replaces every local zone and record at once. Any thread. */
    public void publish(ZoneSnapshot snapshot) {
        this.current = Objects.requireNonNull(snapshot);
    }

    @Override
    public ZoneSnapshot current() {
        return current;
    }
}
