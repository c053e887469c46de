package io.navstar.loader.btf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * An object's BTF (Documentation/bpf/btf.rst): the type graph decoded from a {@code .BTF} section, with
 * lookups by id and name, resolution through typedefs and qualifiers, sizes, struct layouts and short
 * human descriptions; and the bytes to upload with BPF_BTF_LOAD ({@link #kernelBytes()}).
 *
 * <p>Parsing checks every offset, length, string offset and type id against the blob, and walks of the
 * graph are bounded by the number of types, so garbage yields a {@link BtfFormatException}, never another
 * exception or a hang. Only little-endian BTF is read (what clang emits for {@code -target bpf} on x86
 * and arm64). Immutable after construction; safe to share between threads.
 */
public final class Btf {

    /** BTF_MAGIC, read little-endian. */
    static final int MAGIC = 0xEB9F;
    /** Size of struct btf_header (btf.rst §2.1). */
    static final int HEADER_SIZE = 24;
    /** How deep sizes are followed through arrays, as the kernel's MAX_RESOLVE_DEPTH (kernel/bpf/btf.c). */
    static final int MAX_RESOLVE_DEPTH = 32;
    /** Size of struct btf_type, the fixed part of every type. */
    static final int TYPE_HEADER_SIZE = 12;

    private final byte[] raw;
    private final List<BtfType> types;
    private final int[] typeOffsets;
    private final Map<String, List<Integer>> idsByName;
    private final int typesStart;
    private final int stringsStart;
    private final int stringsLength;
    /** For each byte of the string section, the index of the next NUL at or after it (-1 when none). */
    private final int[] stringEnds;

    /**
     * Parses a BTF blob and uses it as is for upload. Kept for callers that already hold fixed-up bytes;
     * objects read from ELF come from {@link #parse(byte[])} and {@link #withDataSectionsFixed}.
     *
     * @throws BtfFormatException when the blob is not valid BTF
     */
    public Btf(byte[] kernelBytes) {
        this(kernelBytes.clone(), true);
    }

    /** Parses {@code raw}, which the caller has already copied ({@code copied} only tells the overloads apart). */
    private Btf(byte[] raw, boolean copied) {
        this.raw = raw;
        if (raw.length < HEADER_SIZE) {
            throw new BtfFormatException("BTF: " + raw.length + " bytes is shorter than the " + HEADER_SIZE
                    + "-byte header");
        }
        int magic = u16(raw, 0);
        if (magic != MAGIC) {
            throw new BtfFormatException(magic == 0x9FEB
                    ? "BTF: big-endian BTF is not supported"
                    : String.format("BTF: bad magic 0x%04x (expected 0xeb9f)", magic));
        }
        int version = raw[2] & 0xff;
        if (version != 1) {
            throw new BtfFormatException("BTF: unsupported version " + version);
        }
        long headerLength = u32(raw, 4);
        if (headerLength < HEADER_SIZE || headerLength > raw.length) {
            throw new BtfFormatException("BTF: header length " + headerLength + " outside [" + HEADER_SIZE + ", "
                    + raw.length + "]");
        }
        long typeOff = u32(raw, 8);
        long typeLen = u32(raw, 12);
        long strOff = u32(raw, 16);
        long strLen = u32(raw, 20);
        long typeStart = headerLength + typeOff;
        long strStart = headerLength + strOff;
        if (typeStart + typeLen > raw.length) {
            throw new BtfFormatException("BTF: type section " + typeOff + " + " + typeLen + " beyond blob size "
                    + (raw.length - headerLength));
        }
        if (strStart + strLen > raw.length) {
            throw new BtfFormatException("BTF: string section " + strOff + " + " + strLen + " beyond blob size "
                    + (raw.length - headerLength));
        }
        if ((typeOff & 3) != 0) {
            throw new BtfFormatException("BTF: type section offset " + typeOff + " is not 4-byte aligned");
        }
        if (strLen == 0 || raw[(int) strStart] != 0) {
            throw new BtfFormatException("BTF: string section must start with an empty string");
        }
        if (typeStart < strStart + strLen && strStart < typeStart + typeLen) {
            throw new BtfFormatException("BTF: type and string sections overlap");
        }
        // The kernel takes BTF only when its sections, in offset order, follow the header without a gap and end
        // the blob (kernel/bpf/btf.c btf_check_sec_info, "Unsupported section found"): refuse the rest here.
        boolean typesFirst = typeOff < strOff || (typeOff == strOff && typeLen <= strLen);
        long firstOff = typesFirst ? typeOff : strOff;
        long firstEnd = firstOff + (typesFirst ? typeLen : strLen);
        long secondOff = typesFirst ? strOff : typeOff;
        long secondEnd = secondOff + (typesFirst ? strLen : typeLen);
        if (firstOff != 0 || secondOff != firstEnd || secondEnd != raw.length - headerLength) {
            throw new BtfFormatException("BTF: type section " + typeOff + " + " + typeLen + " and string section "
                    + strOff + " + " + strLen + " do not fill the " + (raw.length - headerLength)
                    + " bytes after the header without a gap (the kernel refuses gaps and trailing bytes)");
        }
        this.typesStart = (int) typeStart;
        this.stringsStart = (int) strStart;
        this.stringsLength = (int) strLen;
        this.stringEnds = new int[stringsLength];
        int nextNul = -1;
        for (int i = stringsLength - 1; i >= 0; i--) {
            if (raw[stringsStart + i] == 0) {
                nextNul = i;
            }
            stringEnds[i] = nextNul;
        }

        List<BtfType> parsed = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        parsed.add(new BtfType.Void());
        offsets.add(-1);
        int pos = typesStart;
        int end = (int) (typeStart + typeLen);
        while (pos < end) {
            int id = parsed.size();
            offsets.add(pos);
            int consumed = decodeType(id, pos, end, parsed);
            pos += consumed;
        }
        this.types = Collections.unmodifiableList(parsed);
        this.typeOffsets = offsets.stream().mapToInt(Integer::intValue).toArray();
        checkReferences();
        checkValueChainsEnd();
        Map<String, List<Integer>> byName = new HashMap<>();
        for (BtfType type : types) {
            if (!type.name().isEmpty() && type.id() != 0) {
                byName.computeIfAbsent(type.name(), k -> new ArrayList<>(1)).add(type.id());
            }
        }
        this.idsByName = byName;
    }

    /**
     * Parses the contents of a {@code .BTF} section.
     *
     * @throws BtfFormatException naming what is wrong when the bytes are not valid BTF
     */
    public static Btf parse(byte[] sectionBytes) {
        return new Btf(sectionBytes.clone(), true);
    }

    // ---------------------------------------------------------------- decoding

    private int decodeType(int id, int pos, int end, List<BtfType> out) {
        if (pos + TYPE_HEADER_SIZE > end) {
            throw new BtfFormatException("BTF: type " + id + " at offset " + (pos - typesStart)
                    + ": header truncated (" + (end - pos) + " bytes left)");
        }
        String name = string(u32(raw, pos), new Where(id, null, null, 0));
        long info = u32(raw, pos + 4);
        int vlen = (int) (info & 0xffff);
        int kindValue = (int) ((info >>> 24) & 0x1f);
        boolean kindFlag = (info >>> 31) != 0;
        long sizeOrType = u32(raw, pos + 8);
        BtfKind kind = BtfKind.ofKernelValue(kindValue);
        if (kind == null || kind == BtfKind.VOID) {
            throw new BtfFormatException("BTF: type " + id + ": unknown kind " + kindValue);
        }
        int extra = switch (kind) {
            case INT, VAR, DECL_TAG -> 4;
            case ARRAY -> 12;
            case STRUCT, UNION, DATASEC -> 12 * vlen;
            case ENUM, FUNC_PROTO -> 8 * vlen;
            case ENUM64 -> 12 * vlen;
            default -> 0;
        };
        int body = pos + TYPE_HEADER_SIZE;
        if ((long) body + extra > end) {
            throw new BtfFormatException("BTF: type " + id + " (" + kind + ") at offset " + (pos - typesStart)
                    + ": " + extra + " bytes of data beyond the type section");
        }
        Where where = new Where(id, kind, null, 0);
        int size = (int) sizeOrType;
        BtfType type = switch (kind) {
            case INT -> {
                long data = u32(raw, body);
                int bits = (int) (data & 0xff);
                int bitOffset = (int) ((data >>> 16) & 0xff);
                int encoding = (int) ((data >>> 24) & 0x0f);
                checkSize(where, sizeOrType, 16);
                if (bits + bitOffset > sizeOrType * 8) {
                    throw new BtfFormatException("BTF: " + where + ": " + bits + " bits at offset " + bitOffset
                            + " do not fit " + sizeOrType + " bytes");
                }
                yield new BtfType.Int(id, name, size, encoding, bitOffset, bits);
            }
            case FLOAT -> {
                checkSize(where, sizeOrType, 16);
                yield new BtfType.Float(id, name, size);
            }
            case PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG ->
                    new BtfType.Reference(id, kind, name, typeId(sizeOrType, where));
            case ARRAY -> new BtfType.Array(id, name, typeId(u32(raw, body), where), typeId(u32(raw, body + 4), where),
                    count(u32(raw, body + 8), where));
            case STRUCT, UNION -> {
                checkSize(where, sizeOrType, Integer.MAX_VALUE);
                List<BtfType.Member> members = new ArrayList<>(vlen);
                for (int i = 0; i < vlen; i++) {
                    int m = body + 12 * i;
                    String memberName = string(u32(raw, m), where.at("member", i));
                    int memberType = typeId(u32(raw, m + 4), where.at("member", i));
                    long offset = u32(raw, m + 8);
                    int bitOffset = kindFlag ? (int) (offset & 0xffffff) : (int) offset;
                    int bitSize = kindFlag ? (int) (offset >>> 24) : 0;
                    if (bitOffset < 0 || bitOffset + (long) bitSize > sizeOrType * 8) {
                        throw new BtfFormatException("BTF: " + where + " member " + i + " '" + memberName
                                + "': bit offset " + bitOffset + " outside the " + sizeOrType + "-byte aggregate");
                    }
                    members.add(new BtfType.Member(memberName, memberType, bitOffset, bitSize));
                }
                yield new BtfType.Composite(id, kind, name, size, members);
            }
            case ENUM -> {
                checkSize(where, sizeOrType, 8);
                List<BtfType.Enumerator> values = new ArrayList<>(vlen);
                for (int i = 0; i < vlen; i++) {
                    int e = body + 8 * i;
                    long value = kindFlag ? (int) u32(raw, e + 4) : u32(raw, e + 4);
                    values.add(new BtfType.Enumerator(string(u32(raw, e), where.at("value", i)), value));
                }
                yield new BtfType.Enum(id, kind, name, size, kindFlag, values);
            }
            case ENUM64 -> {
                checkSize(where, sizeOrType, 8);
                List<BtfType.Enumerator> values = new ArrayList<>(vlen);
                for (int i = 0; i < vlen; i++) {
                    int e = body + 12 * i;
                    long value = u32(raw, e + 4) | (u32(raw, e + 8) << 32);
                    values.add(new BtfType.Enumerator(string(u32(raw, e), where.at("value", i)), value));
                }
                yield new BtfType.Enum(id, kind, name, size, kindFlag, values);
            }
            case FWD -> new BtfType.Fwd(id, name, kindFlag);
            case FUNC -> new BtfType.Func(id, name, typeId(sizeOrType, where), vlen);
            case FUNC_PROTO -> {
                List<BtfType.Param> params = new ArrayList<>(vlen);
                for (int i = 0; i < vlen; i++) {
                    int p = body + 8 * i;
                    params.add(new BtfType.Param(string(u32(raw, p), where.at("param", i)),
                            typeId(u32(raw, p + 4), where.at("param", i))));
                }
                yield new BtfType.FuncProto(id, name, typeId(sizeOrType, where), params);
            }
            case VAR -> new BtfType.Var(id, name, typeId(sizeOrType, where), (int) u32(raw, body));
            case DATASEC -> {
                checkSize(where, sizeOrType, Integer.MAX_VALUE);
                List<BtfType.VarSecinfo> vars = new ArrayList<>(vlen);
                for (int i = 0; i < vlen; i++) {
                    int v = body + 12 * i;
                    vars.add(new BtfType.VarSecinfo(typeId(u32(raw, v), where.at("var", i)),
                            count(u32(raw, v + 4), where.at("var", i)), count(u32(raw, v + 8), where.at("var", i))));
                }
                yield new BtfType.Datasec(id, name, size, vars);
            }
            case DECL_TAG -> new BtfType.DeclTag(id, name, typeId(sizeOrType, where), (int) u32(raw, body));
            case VOID -> throw new AssertionError("unreachable");
        };
        out.add(type);
        return TYPE_HEADER_SIZE + extra;
    }

    /**
     * Where in the type section a value was read, for error messages: a record, so that the text is built
     * only when an error is thrown and parsing a valid blob concatenates no strings.
     */
    private record Where(int id, BtfKind kind, String component, int index) {
        Where at(String newComponent, int newIndex) {
            return new Where(id, kind, newComponent, newIndex);
        }

        @Override
        public String toString() {
            return "type " + id + (kind == null ? "" : " (" + kind + ")")
                    + (component == null ? "" : " " + component + " " + index);
        }
    }

    private static void checkSize(Object where, long size, long max) {
        if (size > max) {
            throw new BtfFormatException("BTF: " + where + ": size " + size + " is larger than " + max);
        }
    }

    private static int typeId(long value, Object where) {
        if (value > Integer.MAX_VALUE) {
            throw new BtfFormatException("BTF: " + where + ": type id " + value + " out of range");
        }
        return (int) value;
    }

    private static int count(long value, Object where) {
        if (value > Integer.MAX_VALUE) {
            throw new BtfFormatException("BTF: " + where + ": " + value + " is too large");
        }
        return (int) value;
    }

    private void checkReferences() {
        for (BtfType type : types) {
            switch (type) {
                case BtfType.Reference r -> checkId(r.target(), type);
                case BtfType.Array a -> {
                    checkId(a.elementType(), type);
                    checkId(a.indexType(), type);
                }
                case BtfType.Composite c -> c.members().forEach(m -> checkId(m.type(), type));
                case BtfType.Func f -> {
                    checkId(f.proto(), type);
                    if (types.get(f.proto()).kind() != BtfKind.FUNC_PROTO) {
                        throw new BtfFormatException("BTF: type " + f.id() + " (FUNC " + f.name()
                                + ") refers to type " + f.proto() + " which is not a FUNC_PROTO");
                    }
                }
                case BtfType.FuncProto p -> {
                    checkId(p.returnType(), type);
                    p.params().forEach(param -> checkId(param.type(), type));
                }
                case BtfType.Var v -> checkId(v.type(), type);
                case BtfType.Datasec d -> d.variables().forEach(v -> {
                    checkId(v.type(), type);
                    BtfKind kind = types.get(v.type()).kind();
                    if (kind != BtfKind.VAR && kind != BtfKind.FUNC) { // FUNC: extern kfuncs in .ksyms
                        throw new BtfFormatException("BTF: type " + d.id() + " (DATASEC " + d.name()
                                + ") lists type " + v.type() + " which is neither a VAR nor a FUNC");
                    }
                });
                case BtfType.DeclTag t -> checkId(t.target(), type);
                default -> {
                }
            }
        }
    }

    /**
     * Refuses loops that do not pass through a pointer: typedefs, qualifiers, type tags and array elements
     * that lead back to themselves (the kernel refuses them too, btf.c "Loop detected"). Each type's chain
     * is walked once, with marks, so this is linear in the number of types.
     */
    private void checkValueChainsEnd() {
        byte[] state = new byte[types.size()]; // 0 unvisited, 1 on the current walk, 2 known to end
        for (int start = 1; start < types.size(); start++) {
            int current = start;
            while (current != 0 && state[current] == 0) {
                state[current] = 1;
                current = valueTarget(types.get(current));
            }
            if (current != 0 && state[current] == 1) {
                BtfType looped = types.get(current);
                throw new BtfFormatException("BTF: type " + current + " (" + looped.kind()
                        + (looped.name().isEmpty() ? "" : " " + looped.name()) + ") loops back to itself through "
                        + "typedefs, qualifiers or array elements");
            }
            for (int mark = start; mark != 0 && state[mark] == 1; mark = valueTarget(types.get(mark))) {
                state[mark] = 2;
            }
        }
    }

    /** The type a value of this type is made of without indirection, or 0 when there is none to follow. */
    private static int valueTarget(BtfType type) {
        return switch (type) {
            case BtfType.Reference ref when ref.kind().isModifier() -> ref.target();
            case BtfType.Array array -> array.elementType();
            default -> 0;
        };
    }

    private void checkId(int id, BtfType from) {
        if (id < 0 || id >= types.size()) {
            String label = from.name().isEmpty() ? from.kind().toString() : from.kind() + " " + from.name();
            throw new BtfFormatException("BTF: type " + from.id() + " (" + label + ") refers to type id " + id
                    + ", but the last id is " + (types.size() - 1));
        }
    }

    // ---------------------------------------------------------------- lookups

    /** The blob for BPF_BTF_LOAD: header, types, strings, with any fix-ups applied. A copy. */
    public byte[] kernelBytes() {
        return raw.clone();
    }

    /** Number of type ids, void (id 0) included: valid ids are 0 to {@code typeCount() - 1}. */
    public int typeCount() {
        return types.size();
    }

    /** The type with this id. */
    public BtfType type(int id) {
        if (id < 0 || id >= types.size()) {
            throw new BtfFormatException("BTF: type id " + id + " out of range [0, " + types.size() + ")");
        }
        return types.get(id);
    }

    /** All types in id order, void first. */
    public List<BtfType> types() {
        return types;
    }

    /** The first type with this name and kind, if any. */
    public Optional<BtfType> type(String name, BtfKind kind) {
        for (int id : idsByName.getOrDefault(name, List.of())) {
            if (types.get(id).kind() == kind) {
                return Optional.of(types.get(id));
            }
        }
        return Optional.empty();
    }

    /** The ids of every type with this name, in id order (a struct and its typedef can share a name). */
    public List<Integer> idsNamed(String name) {
        return List.copyOf(idsByName.getOrDefault(name, List.of()));
    }

    /** The id of the DATASEC of this ELF section, if the BTF describes it. */
    public OptionalInt dataSectionId(String sectionName) {
        return type(sectionName, BtfKind.DATASEC).map(t -> OptionalInt.of(t.id())).orElse(OptionalInt.empty());
    }

    /** The string at this offset of the string section (names, and line info file names and source lines). */
    public String string(long offset) {
        return string(offset, "string");
    }

    /** As {@link #string(long)}, naming {@code where} the offset came from in an error. */
    String string(long offset, Object where) {
        if (offset >= stringsLength) {
            throw new BtfFormatException("BTF: " + where + ": string offset " + offset + " beyond string section of "
                    + stringsLength + " bytes");
        }
        int nul = stringEnds[(int) offset];
        if (nul < 0) {
            throw new BtfFormatException("BTF: " + where + ": string at offset " + offset + " is not terminated");
        }
        return new String(raw, stringsStart + (int) offset, nul - (int) offset, StandardCharsets.UTF_8);
    }

    /** Checks that a string starts at this offset, without making it; {@code where} names it in an error. */
    void checkString(long offset, Object where) {
        if (offset >= stringsLength || stringEnds[(int) offset] < 0) {
            string(offset, where); // throws the specific error
        }
    }

    /**
     * The id reached from {@code id} by skipping typedefs, const, volatile, restrict and type tags.
     *
     * @throws BtfFormatException when the chain loops
     */
    public int resolve(int id) {
        int current = id;
        for (int steps = 0; steps <= types.size(); steps++) {
            BtfType type = type(current);
            if (!(type instanceof BtfType.Reference ref) || !type.kind().isModifier()) {
                return current;
            }
            current = ref.target();
        }
        throw new BtfFormatException("BTF: type " + id + ": typedef/qualifier chain loops");
    }

    /**
     * The size in bytes of a value of this type, as C's sizeof.
     *
     * @throws BtfFormatException when the type has no size (void, function, forward declaration) or loops
     */
    public long sizeOf(int id) {
        return sizeOf(id, 0);
    }

    private long sizeOf(int id, int depth) {
        if (depth > MAX_RESOLVE_DEPTH) {
            throw new BtfFormatException("BTF: type " + id + ": arrays and variables nest deeper than "
                    + MAX_RESOLVE_DEPTH + " (a loop?)");
        }
        BtfType type = type(resolve(id));
        return switch (type) {
            case BtfType.Int t -> t.size();
            case BtfType.Float t -> t.size();
            case BtfType.Enum t -> t.size();
            case BtfType.Composite t -> t.size();
            case BtfType.Datasec t -> t.size();
            case BtfType.Reference t when t.kind() == BtfKind.PTR -> 8;
            case BtfType.Var t -> sizeOf(t.type(), depth + 1);
            case BtfType.Array t -> {
                long element = sizeOf(t.elementType(), depth + 1);
                if (element != 0 && t.count() > Long.MAX_VALUE / element) {
                    throw new BtfFormatException("BTF: type " + id + ": array size overflows");
                }
                yield element * t.count();
            }
            default -> throw new BtfFormatException("BTF: type " + id + " (" + type.kind() + " " + type.name()
                    + ") has no size");
        };
    }

    /**
     * The layout of the struct (or union) with this name, if the BTF has one; failing that, of the struct a
     * typedef of this name stands for ({@code typedef struct {...} backend_t}).
     */
    public Optional<BtfStruct> struct(String name) {
        List<Integer> ids = idsByName.getOrDefault(name, List.of());
        for (int id : ids) {
            BtfKind kind = types.get(id).kind();
            if (kind == BtfKind.STRUCT || kind == BtfKind.UNION) {
                return Optional.of(layout(id));
            }
        }
        for (int id : ids) {
            BtfKind resolved = types.get(resolve(id)).kind();
            if (types.get(id).kind() == BtfKind.TYPEDEF && (resolved == BtfKind.STRUCT || resolved == BtfKind.UNION)) {
                return Optional.of(layout(id));
            }
        }
        return Optional.empty();
    }

    /**
     * The layout of the struct or union this id resolves to.
     *
     * @throws BtfFormatException when the id does not resolve to a struct or union
     */
    public BtfStruct layout(int id) {
        if (!(type(resolve(id)) instanceof BtfType.Composite composite)) {
            throw new BtfFormatException("BTF: type " + id + " (" + type(id).kind() + ") is not a struct or union");
        }
        List<BtfStruct.Member> members = new ArrayList<>(composite.members().size());
        for (BtfType.Member member : composite.members()) {
            long size = sizeOf(member.type());
            members.add(new BtfStruct.Member(member.name(), member.type(), member.bitOffset() / 8, size,
                    member.bitOffset(), member.bitSize()));
        }
        return new BtfStruct(composite.name(), composite.kind() == BtfKind.UNION, composite.size(), members);
    }

    // ---------------------------------------------------------------- descriptions

    private static final int DESCRIBE_DEPTH = 4;

    /**
     * A one-line C-like description of a type, expanding a struct's members one level:
     * {@code struct backend {__u32 ip; __u16 port; __u8 proto; __u8 pad; __u32 weight;}}.
     * For a DATASEC, its variables with their offsets. Meant for people (the {@code make run} tour).
     */
    public String describe(int id) {
        BtfType type = type(id);
        StringBuilder out = new StringBuilder();
        BtfType resolved = type(resolve(id));
        if (type.kind() == BtfKind.TYPEDEF) {
            out.append(type.name()).append(" = ");
        }
        switch (resolved) {
            case BtfType.Composite c -> {
                out.append(c.kind() == BtfKind.UNION ? "union " : "struct ");
                if (!c.name().isEmpty()) {
                    out.append(c.name()).append(' ');
                }
                appendMembers(out, c, 0);
            }
            case BtfType.Datasec d -> {
                out.append("datasec ").append(d.name()).append(" {");
                for (BtfType.VarSecinfo v : d.variables()) {
                    if (type(v.type()) instanceof BtfType.Var var) {
                        declaration(out, var.type(), var.name(), 1);
                    } else {
                        out.append("func ").append(type(v.type()).name());
                    }
                    out.append(" @").append(v.offset()).append("; ");
                }
                trimSeparator(out);
                out.append('}');
            }
            case BtfType.Enum e -> {
                out.append("enum ").append(e.name().isEmpty() ? "" : e.name() + " ").append('{');
                for (BtfType.Enumerator value : e.values()) {
                    out.append(value.name()).append(" = ").append(value.value()).append(", ");
                }
                trimSeparator(out);
                out.append('}');
            }
            default -> out.append(typeName(resolved.id(), 0));
        }
        return out.toString();
    }

    private void appendMembers(StringBuilder out, BtfType.Composite c, int depth) {
        out.append('{');
        for (BtfType.Member member : c.members()) {
            declaration(out, member.type(), member.name(), depth + 1);
            if (member.bitSize() != 0) {
                out.append(':').append(member.bitSize());
            }
            out.append("; ");
        }
        trimSeparator(out);
        out.append('}');
    }

    private static void trimSeparator(StringBuilder out) {
        if (out.length() >= 2 && out.charAt(out.length() - 1) == ' ' && out.charAt(out.length() - 2) == ';') {
            out.setLength(out.length() - 1);
        } else if (out.length() >= 2 && out.charAt(out.length() - 1) == ' ' && out.charAt(out.length() - 2) == ',') {
            out.setLength(out.length() - 2);
        }
    }

    /** Appends "type name" with C's array suffix placement ({@code __u8 addr[4]}). */
    private void declaration(StringBuilder out, int typeId, String name, int depth) {
        StringBuilder suffix = new StringBuilder();
        int current = typeId;
        for (int steps = 0; steps < types.size() && type(current) instanceof BtfType.Array array; steps++) {
            suffix.append('[').append(array.count()).append(']');
            current = array.elementType();
        }
        String typeName = typeName(current, depth);
        out.append(typeName);
        if (!name.isEmpty()) {
            out.append(typeName.endsWith("*") ? "" : " ").append(name);
        }
        out.append(suffix);
    }

    private String typeName(int id, int depth) {
        if (depth > DESCRIBE_DEPTH) {
            return "...";
        }
        BtfType type = type(id);
        return switch (type) {
            case BtfType.Void v -> "void";
            case BtfType.Int t -> t.name();
            case BtfType.Float t -> t.name();
            case BtfType.Enum t -> t.name().isEmpty() ? "enum {...}" : "enum " + t.name();
            case BtfType.Fwd t -> (t.union() ? "union " : "struct ") + t.name();
            case BtfType.Composite t -> {
                String keyword = t.kind() == BtfKind.UNION ? "union" : "struct";
                if (!t.name().isEmpty()) {
                    yield keyword + " " + t.name();
                }
                StringBuilder anonymous = new StringBuilder(keyword).append(' ');
                appendMembers(anonymous, t, depth + 1);
                yield anonymous.toString();
            }
            case BtfType.Reference t -> switch (t.kind()) {
                case PTR -> typeName(t.target(), depth + 1) + " *";
                case TYPEDEF -> t.name();
                case CONST -> "const " + typeName(t.target(), depth + 1);
                case VOLATILE -> "volatile " + typeName(t.target(), depth + 1);
                case RESTRICT -> typeName(t.target(), depth + 1) + " restrict";
                default -> typeName(t.target(), depth + 1); // TYPE_TAG
            };
            case BtfType.Array t -> typeName(t.elementType(), depth + 1) + "[" + t.count() + "]";
            case BtfType.Func t -> "func " + t.name();
            case BtfType.FuncProto t -> "func_proto";
            case BtfType.Var t -> t.name();
            case BtfType.Datasec t -> "datasec " + t.name();
            case BtfType.DeclTag t -> "decl_tag " + t.name();
        };
    }

    // ---------------------------------------------------------------- fix-up for the kernel

    /**
     * A copy whose DATASECs carry their section's size and each variable's offset, read from the ELF
     * object, and whose variables are sorted by offset: clang leaves sizes and offsets 0 and the kernel
     * rejects a DATASEC of size 0 (kernel/bpf/btf.c btf_datasec_check_meta). Variables whose symbol is
     * hidden become static, as libbpf does. DATASECs with a size already set only have their variables
     * sorted.
     *
     * @throws BtfFormatException when a DATASEC names a section or variable the object does not have, or a
     *                            variable does not fit its section
     */
    public Btf withDataSectionsFixed(DataSectionLayout layout) {
        byte[] fixed = raw.clone();
        BtfType.Datasec ksyms = null;
        for (BtfType type : types) {
            if (!(type instanceof BtfType.Datasec datasec)) {
                continue;
            }
            if (datasec.name().equals(KSYMS)) {
                ksyms = datasec;
                continue;
            }
            int at = typeOffsets[datasec.id()];
            long size = datasec.size();
            boolean fixOffsets = false;
            if (size == 0) {
                OptionalLong sectionSize = layout.sectionSize(datasec.name());
                if (datasec.name().equals(".kconfig")) {
                    throw new BtfFormatException("BTF: DATASEC .kconfig: extern variables (__kconfig) are not"
                            + " supported");
                }
                if (sectionSize.isEmpty() || sectionSize.getAsLong() == 0) {
                    throw new BtfFormatException("BTF: DATASEC " + datasec.name() + " (type " + datasec.id()
                            + "): the object has no non-empty ELF section of that name to take its size from");
                }
                size = sectionSize.getAsLong();
                if (size > Integer.MAX_VALUE) {
                    throw new BtfFormatException("BTF: DATASEC " + datasec.name() + ": section size " + size
                            + " too large");
                }
                putU32(fixed, at + 8, size);
                fixOffsets = true;
            }
            List<int[]> entries = new ArrayList<>(datasec.variables().size());
            for (BtfType.VarSecinfo info : datasec.variables()) {
                if (!(types.get(info.type()) instanceof BtfType.Var var)) {
                    throw new BtfFormatException("BTF: DATASEC " + datasec.name() + ": entry " + info.type()
                            + " is a " + types.get(info.type()).kind() + ", not a VAR");
                }
                long offset = info.offset();
                Optional<DataSectionLayout.VariableSymbol> symbol = layout.variable(datasec.name(), var.name());
                if (fixOffsets) {
                    if (symbol.isEmpty()) {
                        throw new BtfFormatException("BTF: DATASEC " + datasec.name() + ": no ELF symbol for variable "
                                + var.name());
                    }
                    offset = symbol.get().offset();
                }
                if (symbol.isPresent() && symbol.get().hidden()) {
                    putU32(fixed, typeOffsets[var.id()] + TYPE_HEADER_SIZE, 0);
                }
                if (offset < 0 || offset + info.size() > size) {
                    throw new BtfFormatException("BTF: DATASEC " + datasec.name() + ": variable " + var.name() + " at "
                            + offset + " + " + info.size() + " does not fit the section's " + size + " bytes");
                }
                entries.add(new int[] {info.type(), (int) offset, info.size()});
            }
            entries.sort(Comparator.comparingInt(entry -> entry[1]));
            int pos = at + TYPE_HEADER_SIZE;
            for (int[] entry : entries) {
                putU32(fixed, pos, entry[0]);
                putU32(fixed, pos + 4, entry[1]);
                putU32(fixed, pos + 8, entry[2]);
                pos += 12;
            }
        }
        if (ksyms != null) {
            fixed = ksymsSanitised(fixed, ksyms);
        }
        return Arrays.equals(fixed, raw) ? this : new Btf(fixed, true);
    }

    /** The DATASEC clang emits for {@code __ksym} externs: kfunc declarations. */
    static final String KSYMS = ".ksyms";
    /** Name of the placeholder variable that stands for every kfunc in the .ksyms DATASEC. */
    static final String KSYM_PLACEHOLDER = "navstar_ksym";
    private static final int FUNC_LINKAGE_GLOBAL = 1;
    private static final int FUNC_LINKAGE_EXTERN = 2;

    /**
     * The kfunc declarations ({@code extern ... __ksym}) of a .ksyms DATASEC, in the form the kernel accepts,
     * as libbpf rewrites them (bpf_object__collect_externs): the kernel takes neither an extern FUNC (linkage 2,
     * btf.c "Invalid func linkage"), nor a FUNC in a DATASEC ("Not a VAR kind member"), nor a prototype with
     * an unnamed parameter ("Invalid arg#"). So each FUNC becomes global, its unnamed parameters take the
     * function's name, and the DATASEC lists one 4-byte placeholder int VAR per kfunc (a VAR appended to the
     * types, with its name appended to the strings). The calls themselves are patched at load time with the
     * kernel's FUNC ids (BPF_PSEUDO_KFUNC_CALL), so nothing refers to these types.
     */
    private byte[] ksymsSanitised(byte[] fixed, BtfType.Datasec ksyms) {
        if (ksyms.variables().isEmpty()) {
            throw new BtfFormatException("BTF: DATASEC .ksyms (type " + ksyms.id() + ") is empty");
        }
        for (BtfType.VarSecinfo info : ksyms.variables()) {
            BtfType entry = types.get(info.type());
            if (!(entry instanceof BtfType.Func func)) {
                throw new BtfFormatException("BTF: DATASEC .ksyms: " + entry.kind() + " " + entry.name()
                        + ": only kfunc declarations (extern functions marked __ksym) are supported, not extern"
                        + " variables");
            }
            int funcAt = typeOffsets[func.id()];
            long info32 = u32(fixed, funcAt + 4);
            if ((info32 & 0xffff) == FUNC_LINKAGE_EXTERN) {
                putU32(fixed, funcAt + 4, (info32 & ~0xffffL) | FUNC_LINKAGE_GLOBAL);
            }
            BtfType.FuncProto proto = (BtfType.FuncProto) types.get(func.proto());
            int protoAt = typeOffsets[proto.id()];
            for (int i = 0; i < proto.params().size(); i++) {
                int paramAt = protoAt + TYPE_HEADER_SIZE + 8 * i;
                if (u32(fixed, paramAt) == 0 && u32(fixed, paramAt + 4) != 0) {
                    putU32(fixed, paramAt, u32(fixed, funcAt)); // the kfunc's own name: a valid identifier
                }
            }
        }
        int intId = -1;
        for (BtfType type : types) {
            if (type instanceof BtfType.Int i && i.size() == 4 && i.bits() == 32 && i.bitOffset() == 0) {
                intId = i.id();
                break;
            }
        }
        // Appended: [INT "int" if the object has none], VAR navstar_ksym (global allocated) of that int.
        long headerLength = u32(raw, 4);
        int typeLength = (int) u32(raw, 12);
        byte[] name = (KSYM_PLACEHOLDER + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] intName = "int\0".getBytes(StandardCharsets.US_ASCII);
        boolean addInt = intId < 0;
        int addedTypes = (addInt ? 16 : 0) + 16;
        int addedStrings = name.length + (addInt ? intName.length : 0);
        byte[] out = new byte[HEADER_SIZE + typeLength + addedTypes + stringsLength + addedStrings];
        System.arraycopy(fixed, 0, out, 0, 4);
        putU32(out, 4, HEADER_SIZE);
        putU32(out, 8, 0);
        putU32(out, 12, typeLength + addedTypes);
        putU32(out, 16, typeLength + addedTypes);
        putU32(out, 20, stringsLength + addedStrings);
        System.arraycopy(fixed, typesStart, out, HEADER_SIZE, typeLength);
        int stringsAt = HEADER_SIZE + typeLength + addedTypes;
        System.arraycopy(fixed, stringsStart, out, stringsAt, stringsLength);
        System.arraycopy(name, 0, out, stringsAt + stringsLength, name.length);
        int pos = HEADER_SIZE + typeLength;
        int nextId = types.size();
        if (addInt) {
            System.arraycopy(intName, 0, out, stringsAt + stringsLength + name.length, intName.length);
            putU32(out, pos, stringsLength + name.length);
            putU32(out, pos + 4, (long) BtfKind.INT.kernelValue() << 24);
            putU32(out, pos + 8, 4);
            putU32(out, pos + 12, 1L << 24 | 32); // BTF_INT_SIGNED, 32 bits at offset 0
            intId = nextId++;
            pos += 16;
        }
        int varId = nextId;
        putU32(out, pos, stringsLength);
        putU32(out, pos + 4, (long) BtfKind.VAR.kernelValue() << 24);
        putU32(out, pos + 8, intId);
        putU32(out, pos + 12, 1); // BTF_VAR_GLOBAL_ALLOCATED
        int datasecAt = HEADER_SIZE + typeOffsets[ksyms.id()] - typesStart;
        for (int i = 0; i < ksyms.variables().size(); i++) {
            int entry = datasecAt + TYPE_HEADER_SIZE + 12 * i;
            putU32(out, entry, varId);
            putU32(out, entry + 4, 4L * i);
            putU32(out, entry + 8, 4);
        }
        putU32(out, datasecAt + 8, 4L * ksyms.variables().size());
        return out;
    }

    // ---------------------------------------------------------------- little-endian access

    static int u16(byte[] bytes, int at) {
        return (bytes[at] & 0xff) | (bytes[at + 1] & 0xff) << 8;
    }

    static long u32(byte[] bytes, int at) {
        return (bytes[at] & 0xffL) | (bytes[at + 1] & 0xffL) << 8 | (bytes[at + 2] & 0xffL) << 16
                | (bytes[at + 3] & 0xffL) << 24;
    }

    static void putU32(byte[] bytes, int at, long value) {
        bytes[at] = (byte) value;
        bytes[at + 1] = (byte) (value >>> 8);
        bytes[at + 2] = (byte) (value >>> 16);
        bytes[at + 3] = (byte) (value >>> 24);
    }

    @Override
    public String toString() {
        return "Btf[" + (types.size() - 1) + " types, " + raw.length + " bytes]";
    }
}
