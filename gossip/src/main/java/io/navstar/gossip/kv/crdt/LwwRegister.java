package io.navstar.gossip.kv.crdt;

import java.util.Arrays;
import java.util.Objects;

/**
 * A last-writer-wins register: the value with the greatest (timestamp, replica) wins, with the
 * value bytes as a final tie-break so that the merge is a total order even if a replica misuses a
 * timestamp (Shapiro et al., INRIA RR-7506, 2011, §3.2.1 Specification 8; Johnson and Thomas,
 * RFC 677, 1975). Timestamps come from the writer's {@link MutationContext}; the KV store makes
 * them strictly increasing per replica. The delta of an assignment is the new register itself.
 *
 * <p>Immutable; safe to share between threads. {@link #value()} returns a copy.
 */
public final class LwwRegister implements Crdt<LwwRegister> {

    private static final LwwRegister EMPTY = new LwwRegister(null, 0, "");

    private final byte[] value;
    private final long timestamp;
    private final String replica;

    private LwwRegister(byte[] value, long timestamp, String replica) {
        this.value = value;
        this.timestamp = timestamp;
        this.replica = replica;
    }

    public static LwwRegister empty() {
        return EMPTY;
    }

    /** A register holding {@code value}, written at {@code timestamp} by {@code replica}. */
    public static LwwRegister of(byte[] value, long timestamp, String replica) {
        return new LwwRegister(Objects.requireNonNull(value).clone(), timestamp, Objects.requireNonNull(replica));
    }

    public boolean isSet() {
        return value != null;
    }

    /** The value, or null when never assigned. */
    public byte[] value() {
        return value == null ? null : value.clone();
    }

    int valueLength() {
        return value == null ? 0 : value.length;
    }

    byte[] rawValue() {
        return value;
    }

    public long timestamp() {
        return timestamp;
    }

    public String replica() {
        return replica;
    }

    @Override
    public CrdtType type() {
        return CrdtType.LWW_REGISTER;
    }

    @Override
    public LwwRegister merge(LwwRegister other) {
        return compareWrites(this, other) >= 0 ? this : other;
    }

    private static int compareWrites(LwwRegister a, LwwRegister b) {
        if (a.value == null || b.value == null) {
            return a.value == null ? (b.value == null ? 0 : -1) : 1;
        }
        int c = Long.compare(a.timestamp, b.timestamp);
        if (c == 0) {
            c = a.replica.compareTo(b.replica);
        }
        return c != 0 ? c : Arrays.compare(a.value, b.value);
    }

    @Override
    public Mutation<LwwRegister> apply(Op op, MutationContext context) {
        if (!(op instanceof Op.Assign assign)) {
            throw new IllegalArgumentException("LwwRegister accepts Assign, not " + op);
        }
        final LwwRegister written = new LwwRegister(assign.value(), context.timestamp(), context.replica());
        return new Mutation<>(merge(written), written);
    }

    @Override
    public Mutation<LwwRegister> reset() {
        return new Mutation<>(this, EMPTY);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LwwRegister other && timestamp == other.timestamp && replica.equals(other.replica)
                && Arrays.equals(value, other.value);
    }

    @Override
    public int hashCode() {
        return (Long.hashCode(timestamp) * 31 + replica.hashCode()) * 31 + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return value == null ? "LwwRegister[unset]"
                : "LwwRegister[" + value.length + " bytes @" + timestamp + " by " + replica + "]";
    }
}
