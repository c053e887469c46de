package io.navstar.gossip.kv.crdt;

import io.navstar.gossip.kv.wire.CorruptDataException;
import io.navstar.gossip.kv.wire.WireReader;
import io.navstar.gossip.kv.wire.WireWriter;

import java.util.HashMap;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The binary encoding of the replicated types and version vectors. A top-level value is
 * {@code [version u8 = 1][type u8][body]}; bodies use LEB128 varints and length-prefixed UTF-8.
 * Maps and sets are written in sorted order and the decoder insists on strictly increasing keys,
 * so one value has exactly one encoding. Every count and length is bounded by a limit and by the
 * bytes left, nesting is bounded by {@link #MAX_DEPTH}, and every failure is a
 * {@link CorruptDataException}; the invariants of each type (dots inside the causal context,
 * one element per dot) are checked by the types' factories.
 *
 * <p>Stateless; safe to call from any thread.
 */
public final class CrdtCodec {

    /** The encoding version written in the first byte. */
    public static final int VERSION = 1;
    /** Deepest nesting of maps accepted. */
    public static final int MAX_DEPTH = 16;
    /** Longest replica id, element or field name, in UTF-8 bytes. */
    public static final int MAX_STRING_BYTES = 64 * 1024;
    /** Largest register value the decoder will allocate; the store's own limit is lower. */
    public static final int MAX_REGISTER_BYTES = 64 * 1024 * 1024;
    /** Most entries in one collection. */
    public static final int MAX_ENTRIES = 1 << 24;

    private static final int MAX_REPLICA_BYTES = 1024;

    private CrdtCodec() {
    }

    public static byte[] encode(Crdt<?> value) {
        final WireWriter out = new WireWriter();
        encode(value, out);
        return out.toByteArray();
    }

    public static void encode(Crdt<?> value, WireWriter out) {
        out.u8(VERSION).u8(value.type().code());
        writeBody(value, out);
    }

    public static Crdt<?> decode(byte[] bytes) {
        final WireReader in = new WireReader(bytes);
        final Crdt<?> value = decode(in);
        in.expectEnd("crdt");
        return value;
    }

    public static Crdt<?> decode(WireReader in) {
        final int version = in.u8("crdt version");
        if (version != VERSION) {
            throw in.corrupt("unsupported crdt encoding version " + version + " (this build reads " + VERSION + ")");
        }
        return readBody(readType(in), in, 0);
    }

    /** Decodes a value that must be an {@link OrMap}, as every KV value is. */
    public static OrMap decodeMap(byte[] bytes) {
        final Crdt<?> value = decode(bytes);
        if (!(value instanceof OrMap map)) {
            throw new CorruptDataException("expected an ORMAP value, found " + value.type());
        }
        return map;
    }

    public static void writeVector(VersionVector vector, WireWriter out) {
        out.varuint(vector.size());
        vector.asMap().forEach((replica, counter) -> out.string(replica).varuint(counter));
    }

    public static VersionVector readVector(WireReader in) {
        final int n = in.count("vector size", MAX_ENTRIES, 2);
        final TreeMap<String, Long> counters = new TreeMap<>();
        String previous = null;
        for (int i = 0; i < n; i++) {
            final String replica = in.string("replica", MAX_REPLICA_BYTES);
            if (previous != null && previous.compareTo(replica) >= 0) {
                throw in.corrupt("vector entries not in strictly increasing order");
            }
            previous = replica;
            counters.put(replica, in.varuint("counter", 1, Long.MAX_VALUE));
        }
        return VersionVector.of(counters);
    }

    public static byte[] encodeVector(VersionVector vector) {
        final WireWriter out = new WireWriter(16 + vector.size() * 16);
        out.u8(VERSION);
        writeVector(vector, out);
        return out.toByteArray();
    }

    public static VersionVector decodeVector(byte[] bytes) {
        final WireReader in = new WireReader(bytes);
        final int version = in.u8("vector version");
        if (version != VERSION) {
            throw in.corrupt("unsupported vector encoding version " + version);
        }
        final VersionVector vector = readVector(in);
        in.expectEnd("vector");
        return vector;
    }

    private static CrdtType readType(WireReader in) {
        final int code = in.u8("crdt type");
        final CrdtType type = CrdtType.ofCode(code);
        if (type == null) {
            throw in.corrupt("unknown crdt type " + code);
        }
        return type;
    }

    private static void writeBody(Crdt<?> value, WireWriter out) {
        switch (value) {
            case GCounter g -> writeVector(VersionVector.of(g.counts()), out);
            case PnCounter p -> {
                writeVector(VersionVector.of(p.increments().counts()), out);
                writeVector(VersionVector.of(p.decrements().counts()), out);
            }
            case LwwRegister r -> {
                if (!r.isSet()) {
                    out.u8(0);
                } else {
                    out.u8(1).i64(r.timestamp()).string(r.replica()).bytes(r.rawValue());
                }
            }
            case EnableWinsFlag f -> {
                writeContext(f.context(), out);
                writeDots(f.dots(), out);
            }
            case OrSwot s -> {
                writeContext(s.context(), out);
                out.varuint(s.entries().size());
                s.entries().forEach((element, dots) -> {
                    out.string(element);
                    writeDots(dots, out);
                });
            }
            case OrMap m -> {
                writeContext(m.context(), out);
                out.varuint(m.fieldStates().size());
                m.fieldStates().forEach((field, state) -> {
                    out.string(field.name()).u8(field.type().code());
                    writeDots(state.presence(), out);
                    writeBody(state.value(), out);
                });
            }
        }
    }

    private static Crdt<?> readBody(CrdtType type, WireReader in, int depth) {
        if (depth > MAX_DEPTH) {
            throw in.corrupt("maps nested deeper than " + MAX_DEPTH);
        }
        try {
            return switch (type) {
                case GCOUNTER -> GCounter.of(readVector(in).asMap());
                case PNCOUNTER -> PnCounter.of(GCounter.of(readVector(in).asMap()), GCounter.of(readVector(in).asMap()));
                case LWW_REGISTER -> readRegister(in);
                case ENABLE_WINS_FLAG -> {
                    final DotContext context = readContext(in);
                    yield EnableWinsFlag.of(readDots(in), context);
                }
                case ORSWOT -> readSet(in);
                case ORMAP -> readMap(in, depth);
            };
        } catch (IllegalArgumentException e) {
            throw in.corrupt("invalid " + type + ": " + e.getMessage());
        }
    }

    private static LwwRegister readRegister(WireReader in) {
        final int flag = in.u8("register flag");
        if (flag == 0) {
            return LwwRegister.empty();
        }
        if (flag != 1) {
            throw in.corrupt("register flag " + flag);
        }
        final long timestamp = in.i64("register timestamp");
        final String replica = in.string("register replica", MAX_REPLICA_BYTES);
        return LwwRegister.of(in.bytes("register value", MAX_REGISTER_BYTES), timestamp, replica);
    }

    private static OrSwot readSet(WireReader in) {
        final DotContext context = readContext(in);
        final int n = in.count("set size", MAX_ENTRIES, 2);
        final TreeMap<String, Set<Dot>> entries = new TreeMap<>();
        String previous = null;
        for (int i = 0; i < n; i++) {
            final String element = in.string("element", MAX_STRING_BYTES);
            if (previous != null && previous.compareTo(element) >= 0) {
                throw in.corrupt("set elements not in strictly increasing order");
            }
            previous = element;
            final Set<Dot> dots = readDots(in);
            if (dots.isEmpty()) {
                throw in.corrupt("set element without dots");
            }
            entries.put(element, dots);
        }
        return OrSwot.of(entries, context);
    }

    private static OrMap readMap(WireReader in, int depth) {
        final DotContext context = readContext(in);
        final int n = in.count("map size", MAX_ENTRIES, 3);
        final Map<Field, OrMap.FieldState> fields = new HashMap<>();
        Field previous = null;
        for (int i = 0; i < n; i++) {
            final String name = in.string("field name", MAX_STRING_BYTES);
            final Field field = Field.of(name, readType(in));
            if (previous != null && previous.compareTo(field) >= 0) {
                throw in.corrupt("map fields not in strictly increasing order");
            }
            previous = field;
            final NavigableSet<Dot> presence = readDots(in);
            final Crdt<?> value = readBody(field.type(), in, depth + 1);
            if (presence.isEmpty() && value.equals(field.type().empty())) {
                throw in.corrupt("map field " + name + " has neither presence nor value");
            }
            fields.put(field, new OrMap.FieldState(presence, value));
        }
        return OrMap.of(fields, context);
    }

    private static void writeContext(DotContext context, WireWriter out) {
        writeVector(context.compact(), out);
        writeDots(context.cloud(), out);
    }

    private static DotContext readContext(WireReader in) {
        final VersionVector compact = readVector(in);
        final NavigableSet<Dot> cloud = readDots(in);
        final DotContext context = DotContext.of(compact, cloud);
        if (context.cloud().size() != cloud.size() || !context.compact().equals(compact)) {
            throw in.corrupt("causal context is not compacted");
        }
        return context;
    }

    private static void writeDots(Set<Dot> dots, WireWriter out) {
        out.varuint(dots.size());
        for (Dot dot : dots) {
            out.string(dot.replica()).varuint(dot.counter());
        }
    }

    private static NavigableSet<Dot> readDots(WireReader in) {
        final int n = in.count("dot count", MAX_ENTRIES, 2);
        final TreeSet<Dot> dots = new TreeSet<>();
        Dot previous = null;
        for (int i = 0; i < n; i++) {
            final Dot dot = new Dot(in.string("dot replica", MAX_REPLICA_BYTES), in.varuint("dot counter", 1, Long.MAX_VALUE));
            if (previous != null && previous.compareTo(dot) >= 0) {
                throw in.corrupt("dots not in strictly increasing order");
            }
            previous = dot;
            dots.add(dot);
        }
        return dots;
    }
}
