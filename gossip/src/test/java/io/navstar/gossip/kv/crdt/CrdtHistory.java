package io.navstar.gossip.kv.crdt;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A random execution of a few replicas of one type: each step applies a random operation at one
 * replica, or merges another replica's state or a delta it produced earlier. Every state and
 * delta seen is recorded, so that laws can be checked on values that one real execution reaches
 * (dots of independent executions would clash).
 */
final class CrdtHistory {

    static final String[] REPLICAS = {"a", "b", "c"};

    final List<Crdt<?>> states = new ArrayList<>();
    final Crdt<?>[] replicas = new Crdt<?>[REPLICAS.length];
    final List<Crdt<?>> deltas = new ArrayList<>();
    private final CrdtType type;
    private final Random random;
    private long clock;

    CrdtHistory(CrdtType type, long seed) {
        this.type = type;
        this.random = new Random(seed);
        for (int i = 0; i < replicas.length; i++) {
            replicas[i] = type.empty();
        }
        states.add(type.empty());
    }

    static CrdtHistory run(CrdtType type, long seed, int steps) {
        final CrdtHistory h = new CrdtHistory(type, seed);
        for (int i = 0; i < steps; i++) {
            h.step();
        }
        return h;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    void step() {
        final int at = random.nextInt(replicas.length);
        final int kind = random.nextInt(10);
        if (kind < 6) {
            final Mutation<?> m = ((Crdt) replicas[at]).apply(randomOp(type, 0), context(at));
            replicas[at] = m.state();
            deltas.add(m.delta());
            states.add(m.state());
            states.add(m.delta());
        } else if (kind < 8 || deltas.isEmpty()) {
            replicas[at] = Crdt.mergeAny(replicas[at], replicas[random.nextInt(replicas.length)]);
            states.add(replicas[at]);
        } else {
            replicas[at] = Crdt.mergeAny(replicas[at], deltas.get(random.nextInt(deltas.size())));
            states.add(replicas[at]);
        }
    }

    MutationContext context(int replica) {
        return new MutationContext(REPLICAS[replica], ++clock / 3);
    }

    Crdt<?> pick() {
        return states.get(random.nextInt(states.size()));
    }

    Op randomOp(CrdtType t, int depth) {
        return randomOp(t, depth, true);
    }

    /** A random operation for {@code t}; with {@code allowRemoves} false, only inflationary ones. */
    Op randomOp(CrdtType t, int depth, boolean allowRemoves) {
        final boolean remove = allowRemoves && random.nextInt(3) == 0;
        return switch (t) {
            case GCOUNTER -> new Op.Increment(random.nextInt(5));
            case PNCOUNTER -> new Op.Increment(random.nextInt(11) - 5);
            case LWW_REGISTER -> new Op.Assign(("v" + random.nextInt(4)).getBytes(StandardCharsets.UTF_8));
            case ENABLE_WINS_FLAG -> remove ? new Op.Disable() : new Op.Enable();
            case ORSWOT -> {
                final String element = "e" + random.nextInt(5);
                yield remove ? new Op.Remove(element) : new Op.Add(element);
            }
            case ORMAP -> {
                final CrdtType[] nested = depth < 2
                        ? new CrdtType[] {CrdtType.PNCOUNTER, CrdtType.ORSWOT, CrdtType.ENABLE_WINS_FLAG,
                                CrdtType.LWW_REGISTER, CrdtType.GCOUNTER, CrdtType.ORMAP}
                        : new CrdtType[] {CrdtType.PNCOUNTER, CrdtType.ORSWOT, CrdtType.ENABLE_WINS_FLAG};
                final CrdtType fieldType = nested[random.nextInt(nested.length)];
                final Field field = Field.of("f" + random.nextInt(3), fieldType);
                yield remove ? new Op.RemoveField(field)
                        : new Op.Update(field, randomOp(fieldType, depth + 1, allowRemoves));
            }
        };
    }
}
