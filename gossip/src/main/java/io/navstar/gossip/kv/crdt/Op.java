package io.navstar.gossip.kv.crdt;

import java.util.Arrays;
import java.util.Objects;

/** Operations that update the replicated types; each type accepts only its own. */
public sealed interface Op {

    /** Adds {@code amount} to a {@link GCounter} (amount &gt;= 0) or a {@link PnCounter} (any sign). */
    record Increment(long amount) implements Op {
    }

    /** Sets a {@link LwwRegister}; the value is copied. */
    record Assign(byte[] value) implements Op {
        public Assign {
            value = Objects.requireNonNull(value, "value").clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Assign other && Arrays.equals(value, other.value);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "Assign[" + value.length + " bytes]";
        }
    }

    /** Enables an {@link EnableWinsFlag}. */
    record Enable() implements Op {
    }

    /** Disables an {@link EnableWinsFlag}. */
    record Disable() implements Op {
    }

    /** Adds an element to an {@link OrSwot}. */
    record Add(String element) implements Op {
        public Add {
            Objects.requireNonNull(element, "element");
        }
    }

    /** Removes an element from an {@link OrSwot} (only the adds this replica has observed). */
    record Remove(String element) implements Op {
        public Remove {
            Objects.requireNonNull(element, "element");
        }
    }

    /** Applies {@code op} to the value of {@code field} of an {@link OrMap}, creating the field if absent. */
    record Update(Field field, Op op) implements Op {
        public Update {
            Objects.requireNonNull(field, "field");
            Objects.requireNonNull(op, "op");
        }
    }

    /** Removes a field of an {@link OrMap} (observed-remove; a concurrent update wins). */
    record RemoveField(Field field) implements Op {
        public RemoveField {
            Objects.requireNonNull(field, "field");
        }
    }

    static Op increment(long amount) {
        return new Increment(amount);
    }

    static Op update(String name, CrdtType type, Op op) {
        return new Update(Field.of(name, type), op);
    }
}
