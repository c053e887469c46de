package io.navstar.loader.btf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies CO-RE relocations ("compile once, run everywhere", Documentation/bpf/llvm_reflection.rst): each
 * {@link CoreRelocation} names an instruction whose immediate or offset the compiler computed from the object's
 * own ("local") BTF, and this class recomputes that value against a target BTF, normally the running kernel's
 * ({@code /sys/kernel/btf/vmlinux}), and patches the instruction. Pure data: no syscall, so it is testable
 * against any synthetic target.
 *
 * <p>The semantics follow the kernel's and libbpf's shared implementation (tools/lib/bpf/relo_core.c):
 * <ul>
 *   <li>Candidates: target types whose name equals the local type's name with any {@code ___flavor} suffix
 *       removed, and of the same kind (any two enums match).</li>
 *   <li>Fields: the access string {@code "0:1:2"} is walked on the local type (first index over the root as an
 *       array, then member or element indices); on a candidate, members are found by name, through anonymous
 *       structs and unions, and each must be of a compatible kind (both composite, both integers, both
 *       pointers, both enums, arrays of compatible elements).</li>
 *   <li>Bitfields: the value is read with the smallest aligned load, at least the member type's size, that
 *       holds it, then shifted left by {@code FIELD_LSHIFT_U64} and right by {@code FIELD_RSHIFT_U64}
 *       (little-endian), which is what {@code BPF_CORE_READ_BITFIELD} does.</li>
 *   <li>A relocation the target cannot satisfy yields 0 for the {@code _EXISTS} (and {@code TYPE_MATCHES})
 *       kinds; for every other kind it is an error that names the program, instruction, type and access.
 *       (libbpf instead poisons such an instruction and lets the verifier fail if it is reachable; navstar
 *       prefers an error it can word itself.)</li>
 *   <li>Patching: ALU/ALU64 with an immediate source get the new immediate, LDX/ST/STX the new offset (and a
 *       new load size when an unsigned integer field changed size), ld_imm64 the new 64-bit value. Each
 *       instruction must first hold the value computed locally, as libbpf checks, so a mis-parse cannot go
 *       unnoticed (bitfield offsets, sizes and shifts excepted: clang derives them from the struct's
 *       alignment, so libbpf does not check them either).</li>
 * </ul>
 *
 * <p>Immutable; safe to share between threads.
 */
public final class CoreRelocator {

    private static final int INSN = 8;
    private static final int MAX_DEPTH = 32;
    private static final int CLASS_LD = 0x00;
    private static final int CLASS_LDX = 0x01;
    private static final int CLASS_ST = 0x02;
    private static final int CLASS_STX = 0x03;
    private static final int CLASS_ALU = 0x04;
    private static final int CLASS_ALU64 = 0x07;
    private static final int SOURCE_REGISTER = 0x08;
    private static final int LD_IMM64 = 0x18;

    private final Btf local;
    private final Btf target;

    /**
     * @param local  the object's BTF, which the relocations' type ids and access strings refer to
     * @param target the BTF to relocate against (the kernel's vmlinux BTF, or a synthetic one in tests)
     */
    public CoreRelocator(Btf local, Btf target) {
        this.local = local;
        this.target = target;
    }

    /**
     * What one relocation resolves to.
     *
     * @param localValue      the value the compiler put in the instruction (from the local BTF)
     * @param targetValue     the value for the target
     * @param found           false when the target lacks the type, field or enumerator (an {@code _EXISTS} kind)
     * @param localFieldSize  for field relocations, the local field's size in bytes (0 for bitfields and others)
     * @param targetFieldSize for field relocations, the target field's size in bytes (0 for bitfields and others)
     * @param resizable       true when a load of the field may change size with it (an unsigned integer,
     *                        enum or pointer, not a bitfield)
     * @param description     the access in C terms ({@code sk_buff___navstar.mark}), for messages
     * @param validate        whether the instruction must hold {@code localValue}: not for a bitfield, whose
     *                        local offset and size clang derives from the struct's alignment rather than the
     *                        member's type (LLVM BPFAbstractMemberAccess; libbpf skips the check too)
     */
    public record Resolution(long localValue, long targetValue, boolean found, int localFieldSize,
                             int targetFieldSize, boolean resizable, String description, boolean validate) {

        Resolution(long localValue, long targetValue, boolean found, String description) {
            this(localValue, targetValue, found, 0, 0, false, description, true);
        }
    }

    /**
     * Resolves one relocation against the target.
     *
     * @throws CoreRelocationException when it cannot be satisfied (see the class comment); the message names the
     *                                 kind, type and access but not the program (see {@link #apply})
     */
    public Resolution resolve(CoreRelocation relocation) {
        if (relocation.typeId() <= 0 || relocation.typeId() >= local.typeCount()) {
            throw fail(relocation, "type id " + relocation.typeId() + " is not in the object's BTF");
        }
        int[] access = parseAccess(relocation);
        CoreRelocation.Kind kind = relocation.kind();
        if (kind.isField()) {
            return resolveField(relocation, access);
        }
        if (kind.isEnumValue()) {
            return resolveEnumValue(relocation, access);
        }
        return resolveType(relocation, access);
    }

    /**
     * A copy of {@code instructions} with every relocation applied.
     *
     * @param program     the program's name, for messages
     * @param relocations relocations whose {@link CoreRelocation#instruction()} index {@code instructions}
     * @throws CoreRelocationException naming the program and instruction when one cannot be applied
     */
    public byte[] apply(String program, byte[] instructions, List<CoreRelocation> relocations) {
        byte[] out = instructions.clone();
        for (CoreRelocation relocation : relocations) {
            Resolution resolution;
            try {
                resolution = resolve(relocation);
                patch(out, relocation, resolution);
            } catch (CoreRelocationException e) {
                throw new CoreRelocationException("program " + program + ": CO-RE relocation at instruction "
                        + relocation.instruction() + ": " + e.getMessage());
            } catch (BtfFormatException e) {
                throw new CoreRelocationException("program " + program + ": CO-RE relocation at instruction "
                        + relocation.instruction() + " (" + relocation.kind() + ", access \"" + relocation.access()
                        + "\"): " + e.getMessage());
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- fields

    /** One step of a field access: a member (by name, "" for an anonymous one) or an array element. */
    private record Step(String member, int index, int localType) {
        boolean isMember() {
            return member != null;
        }
    }

    /** A field located in some BTF: its type, bit offset from the root's start and bit size (0 unless bitfield). */
    private record Field(int type, long bitOffset, int bitSize) {
    }

    private Resolution resolveField(CoreRelocation relocation, int[] access) {
        List<Step> steps = new ArrayList<>(access.length);
        Field localField = walkLocal(relocation, access, steps);
        String description = describe(relocation, steps);
        long localValue = fieldValue(local, localField, relocation, description);
        List<Integer> candidates = candidates(relocation, description);
        Field match = null;
        long targetValue = 0;
        int matchedCandidate = 0;
        for (int candidate : candidates) {
            Field field = walkTarget(candidate, access[0], steps);
            if (field == null) {
                continue;
            }
            long value = fieldValue(target, field, relocation, description);
            if (match != null && value != targetValue) {
                throw fail(relocation, description, "target types " + matchedCandidate + " and " + candidate
                        + " are both named " + essentialName(local.type(relocation.typeId()).name())
                        + " and disagree (" + targetValue + " vs " + value + ")");
            }
            if (match == null) {
                match = field;
                targetValue = value;
                matchedCandidate = candidate;
            }
        }
        if (match == null) {
            if (relocation.kind().isExistence()) {
                return new Resolution(localValue, 0, false, 0, 0, false, description, localField.bitSize() == 0);
            }
            throw fail(relocation, description, candidates.isEmpty()
                    ? "the target has no " + kindWord(local.type(relocation.typeId())) + " named "
                      + essentialName(local.type(relocation.typeId()).name())
                    : "no field of that name and kind in the target's " + kindWord(local.type(relocation.typeId()))
                      + " " + essentialName(local.type(relocation.typeId()).name()) + " (type ids " + candidates + ")");
        }
        int localSize = localField.bitSize() == 0 ? sizeOrZero(local, localField.type()) : 0;
        int targetSize = match.bitSize() == 0 ? sizeOrZero(target, match.type()) : 0;
        return new Resolution(localValue, targetValue, true, localSize, targetSize,
                match.bitSize() == 0 && resizable(target, match.type()), description,
                localField.bitSize() == 0 || relocation.kind() == CoreRelocation.Kind.FIELD_EXISTS
                        || relocation.kind() == CoreRelocation.Kind.FIELD_SIGNED);
    }

    private Field walkLocal(CoreRelocation relocation, int[] access, List<Step> steps) {
        int current = relocation.typeId();
        long bitOffset = access[0] == 0 ? 0 : access[0] * local.sizeOf(current) * 8;
        int bitSize = 0;
        for (int i = 1; i < access.length; i++) {
            BtfType type = local.type(local.resolve(current));
            int index = access[i];
            if (type instanceof BtfType.Composite composite) {
                if (index >= composite.members().size()) {
                    throw fail(relocation, "access index " + index + " at step " + i + " is beyond the "
                            + composite.members().size() + " members of " + kindWord(composite) + " "
                            + display(composite.name()));
                }
                BtfType.Member member = composite.members().get(index);
                bitOffset += member.bitOffset();
                bitSize = member.bitSize();
                current = member.type();
                steps.add(new Step(member.name(), index, current));
            } else if (type instanceof BtfType.Array array) {
                if (array.count() != 0 && index >= array.count()) {
                    throw fail(relocation, "array index " + index + " at step " + i + " is beyond the array's "
                            + array.count() + " elements");
                }
                bitOffset += index * local.sizeOf(array.elementType()) * 8;
                bitSize = 0;
                current = array.elementType();
                steps.add(new Step(null, index, current));
            } else {
                throw fail(relocation, "step " + i + " of the access reaches a " + type.kind()
                        + ", which is neither a struct, a union nor an array");
            }
        }
        return new Field(current, bitOffset, bitSize);
    }

    /** The field the local steps lead to in target type {@code candidate}, or null when it has none. */
    private Field walkTarget(int candidate, int rootIndex, List<Step> steps) {
        int current = candidate;
        long bitOffset = rootIndex == 0 ? 0 : rootIndex * target.sizeOf(candidate) * 8;
        int bitSize = 0;
        for (Step step : steps) {
            if (step.isMember()) {
                if (step.member().isEmpty()) {
                    continue; // anonymous local member: named members below are searched through the target's
                }
                MemberAt found = findMember(current, step.member(), 0);
                if (found == null || !fieldsCompatible(step.localType(), found.member().type(), 0)) {
                    return null;
                }
                bitOffset += found.bitOffset();
                bitSize = found.member().bitSize();
                current = found.member().type();
            } else {
                if (!(target.type(target.resolve(current)) instanceof BtfType.Array array)
                        || (array.count() != 0 && step.index() >= array.count())) {
                    return null;
                }
                bitOffset += step.index() * target.sizeOf(array.elementType()) * 8;
                bitSize = 0;
                current = array.elementType();
            }
        }
        return new Field(current, bitOffset, bitSize);
    }

    private record MemberAt(BtfType.Member member, long bitOffset) {
    }

    /** The member called {@code name} of the target composite, looking through anonymous members. */
    private MemberAt findMember(int composite, String name, int depth) {
        if (depth > MAX_DEPTH || !(target.type(target.resolve(composite)) instanceof BtfType.Composite type)) {
            return null;
        }
        for (BtfType.Member member : type.members()) {
            if (member.name().equals(name)) {
                return new MemberAt(member, member.bitOffset());
            }
        }
        for (BtfType.Member member : type.members()) {
            if (member.name().isEmpty()) {
                MemberAt inner = findMember(member.type(), name, depth + 1);
                if (inner != null) {
                    return new MemberAt(inner.member(), member.bitOffset() + inner.bitOffset());
                }
            }
        }
        return null;
    }

    /** bpf_core_fields_are_compat: whether a local field's type may be read as the target's. */
    private boolean fieldsCompatible(int localId, int targetId, int depth) {
        if (depth > MAX_DEPTH) {
            return false;
        }
        BtfType localType = local.type(local.resolve(localId));
        BtfType targetType = target.type(target.resolve(targetId));
        if (localType instanceof BtfType.Composite && targetType instanceof BtfType.Composite) {
            return true;
        }
        if (localType instanceof BtfType.Enum && targetType instanceof BtfType.Enum) {
            return true;
        }
        if (localType.kind() != targetType.kind()) {
            return false;
        }
        return switch (localType) {
            case BtfType.Int l -> l.bitOffset() == 0 && ((BtfType.Int) targetType).bitOffset() == 0;
            case BtfType.Array l -> fieldsCompatible(l.elementType(), ((BtfType.Array) targetType).elementType(),
                    depth + 1);
            case BtfType.Fwd l -> essentialName(l.name()).equals(essentialName(targetType.name()));
            case BtfType.Reference l -> l.kind() == BtfKind.PTR;
            case BtfType.Float l -> true;
            default -> false;
        };
    }

    /** The value a field relocation of this kind has for {@code field} in {@code btf}. */
    private long fieldValue(Btf btf, Field field, CoreRelocation relocation, String description) {
        int memberType = btf.resolve(field.type());
        long byteSize;
        long byteOffset;
        boolean bitfield = field.bitSize() != 0;
        if (!bitfield) {
            CoreRelocation.Kind kind = relocation.kind();
            boolean needsSize = kind == CoreRelocation.Kind.FIELD_BYTE_SIZE || kind == CoreRelocation.Kind.FIELD_LSHIFT_U64
                    || kind == CoreRelocation.Kind.FIELD_RSHIFT_U64;
            byteSize = needsSize ? btf.sizeOf(field.type()) : 0;
            byteOffset = field.bitOffset() / 8;
        } else {
            byteSize = btf.sizeOf(memberType);
            if (byteSize <= 0) {
                throw fail(relocation, description, "bitfield of a type without size");
            }
            byteOffset = field.bitOffset() / 8 / byteSize * byteSize;
            while (field.bitOffset() + field.bitSize() - byteOffset * 8 > byteSize * 8) {
                if (byteSize >= 8) {
                    throw fail(relocation, description, "the bitfield at bit " + field.bitOffset() + " ("
                            + field.bitSize() + " bits) cannot be read with one 64-bit load");
                }
                byteSize *= 2;
                byteOffset = field.bitOffset() / 8 / byteSize * byteSize;
            }
        }
        return switch (relocation.kind()) {
            case FIELD_BYTE_OFFSET -> byteOffset;
            case FIELD_BYTE_SIZE -> byteSize;
            case FIELD_EXISTS -> 1;
            case FIELD_SIGNED -> switch (btf.type(memberType)) {
                case BtfType.Int i -> i.signed() ? 1 : 0;
                case BtfType.Enum e -> e.signed() ? 1 : 0;
                default -> 0;
            };
            case FIELD_LSHIFT_U64 -> bitfield ? 64 - (field.bitOffset() + field.bitSize() - byteOffset * 8)
                    : 64 - byteSize * 8;
            case FIELD_RSHIFT_U64 -> bitfield ? 64 - field.bitSize() : 64 - byteSize * 8;
            default -> throw new AssertionError(relocation.kind());
        };
    }

    /** The size of a field's type for a load's width, or 0 when it has none a load could take (over 8 bytes). */
    private static int sizeOrZero(Btf btf, int typeId) {
        try {
            long size = btf.sizeOf(typeId);
            return size > 8 ? 0 : (int) size;
        } catch (BtfFormatException e) {
            return 0;
        }
    }

    /** libbpf adjusts a load's size only for unsigned integers, enums and pointers. */
    private static boolean resizable(Btf btf, int typeId) {
        return switch (btf.type(btf.resolve(typeId))) {
            case BtfType.Int i -> !i.signed();
            case BtfType.Enum e -> !e.signed();
            case BtfType.Reference r -> r.kind() == BtfKind.PTR;
            default -> false;
        };
    }

    // ---------------------------------------------------------------- types and enum values

    private Resolution resolveType(CoreRelocation relocation, int[] access) {
        if (access.length != 1 || access[0] != 0) {
            throw fail(relocation, "a type relocation's access string must be \"0\"");
        }
        BtfType localType = local.type(relocation.typeId());
        String description = kindWord(localType) + " " + display(localType.name());
        CoreRelocation.Kind kind = relocation.kind();
        long localValue = switch (kind) {
            case TYPE_ID_LOCAL, TYPE_ID_TARGET -> relocation.typeId();
            case TYPE_EXISTS, TYPE_MATCHES -> 1;
            case TYPE_SIZE -> local.sizeOf(relocation.typeId());
            default -> throw new AssertionError(kind);
        };
        if (kind == CoreRelocation.Kind.TYPE_ID_LOCAL) {
            return new Resolution(localValue, localValue, true, description);
        }
        for (int candidate : candidates(relocation, description)) {
            if (kind == CoreRelocation.Kind.TYPE_MATCHES && !layoutsMatch(relocation.typeId(), candidate)) {
                continue;
            }
            long value = switch (kind) {
                case TYPE_ID_TARGET -> candidate;
                case TYPE_SIZE -> target.sizeOf(candidate);
                default -> 1;
            };
            return new Resolution(localValue, value, true, description);
        }
        if (kind.isExistence()) {
            return new Resolution(localValue, 0, false, description);
        }
        throw fail(relocation, description, "the target has no " + kindWord(localType) + " named "
                + essentialName(localType.name()));
    }

    /** A shallow bpf_core_type_matches: every local member (or enumerator) name is in the target. */
    private boolean layoutsMatch(int localId, int targetId) {
        BtfType localType = local.type(local.resolve(localId));
        BtfType targetType = target.type(target.resolve(targetId));
        if (localType instanceof BtfType.Composite l && targetType instanceof BtfType.Composite t) {
            return l.kind() == t.kind() && l.members().stream().allMatch(m -> m.name().isEmpty()
                    || t.members().stream().anyMatch(tm -> tm.name().equals(m.name())));
        }
        if (localType instanceof BtfType.Enum l && targetType instanceof BtfType.Enum t) {
            return l.values().stream().allMatch(v -> t.values().stream()
                    .anyMatch(tv -> essentialName(tv.name()).equals(essentialName(v.name()))));
        }
        return localType.kind() == targetType.kind();
    }

    private Resolution resolveEnumValue(CoreRelocation relocation, int[] access) {
        if (!(local.type(local.resolve(relocation.typeId())) instanceof BtfType.Enum localEnum)) {
            throw fail(relocation, "type " + relocation.typeId() + " is a "
                    + local.type(local.resolve(relocation.typeId())).kind() + ", not an enum");
        }
        if (access.length != 1 || access[0] >= localEnum.values().size()) {
            throw fail(relocation, "an enum value relocation's access string is one index below "
                    + localEnum.values().size());
        }
        BtfType.Enumerator enumerator = localEnum.values().get(access[0]);
        String description = "enum " + display(local.type(relocation.typeId()).name()) + "::" + enumerator.name();
        boolean exists = relocation.kind() == CoreRelocation.Kind.ENUMVAL_EXISTS;
        long localValue = exists ? 1 : enumerator.value();
        String wanted = essentialName(enumerator.name());
        for (int candidate : candidates(relocation, description)) {
            if (target.type(target.resolve(candidate)) instanceof BtfType.Enum targetEnum) {
                for (BtfType.Enumerator value : targetEnum.values()) {
                    if (essentialName(value.name()).equals(wanted)) {
                        return new Resolution(localValue, exists ? 1 : value.value(), true, description);
                    }
                }
            }
        }
        if (exists) {
            return new Resolution(localValue, 0, false, description);
        }
        throw fail(relocation, description, "the target has no enumerator " + wanted + " in an enum named "
                + essentialName(local.type(relocation.typeId()).name()));
    }

    // ---------------------------------------------------------------- candidates and names

    /** Target types named as the local type without its flavor, of a compatible kind. */
    private List<Integer> candidates(CoreRelocation relocation, String description) {
        BtfType localType = local.type(relocation.typeId());
        String name = essentialName(localType.name());
        if (name.isEmpty()) {
            throw fail(relocation, description, "an anonymous type cannot be matched by name; give it a name");
        }
        List<Integer> found = new ArrayList<>(1);
        for (int id : target.idsNamed(name)) {
            BtfType candidate = target.type(id);
            boolean bothEnums = candidate instanceof BtfType.Enum && localType instanceof BtfType.Enum;
            if (bothEnums || candidate.kind() == localType.kind()) {
                found.add(id);
            }
        }
        return found;
    }

    /** A type name without its flavor: {@code sk_buff___navstar} is {@code sk_buff} (relo_core.c, ___ suffix). */
    public static String essentialName(String name) {
        int flavor = name.indexOf("___");
        return flavor > 0 ? name.substring(0, flavor) : name;
    }

    private int[] parseAccess(CoreRelocation relocation) {
        String access = relocation.access();
        if (access.isEmpty() || access.length() > 1024) {
            throw fail(relocation, "malformed access string");
        }
        String[] parts = access.split(":", -1);
        int[] indices = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > 9 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw fail(relocation, "malformed access string (expected indices like 0:1:2)");
            }
            indices[i] = Integer.parseInt(part);
        }
        return indices;
    }

    private String describe(CoreRelocation relocation, List<Step> steps) {
        StringBuilder out = new StringBuilder(display(local.type(relocation.typeId()).name()));
        for (Step step : steps) {
            if (!step.isMember()) {
                out.append('[').append(step.index()).append(']');
            } else if (!step.member().isEmpty()) {
                out.append('.').append(step.member());
            }
        }
        return out.toString();
    }

    private static String display(String name) {
        return name.isEmpty() ? "(anonymous)" : name;
    }

    private static String kindWord(BtfType type) {
        return switch (type.kind()) {
            case STRUCT -> "struct";
            case UNION -> "union";
            case ENUM, ENUM64 -> "enum";
            case TYPEDEF -> "typedef";
            default -> type.kind().name().toLowerCase();
        };
    }

    private CoreRelocationException fail(CoreRelocation relocation, String why) {
        return fail(relocation, null, why);
    }

    private CoreRelocationException fail(CoreRelocation relocation, String description, String why) {
        BtfType type = relocation.typeId() > 0 && relocation.typeId() < local.typeCount()
                ? local.type(relocation.typeId()) : null;
        String typeText = type == null ? "type " + relocation.typeId()
                : kindWord(type) + " " + display(type.name()) + " (type " + relocation.typeId() + ")";
        return new CoreRelocationException(relocation.kind() + " of " + typeText + ", access \"" + relocation.access()
                + "\"" + (description == null ? "" : " = " + description) + ": " + why);
    }

    // ---------------------------------------------------------------- patching

    private void patch(byte[] code, CoreRelocation relocation, Resolution resolution) {
        if (relocation.instruction() < 0 || (long) relocation.instruction() * INSN + INSN > code.length) {
            throw fail(relocation, "instruction " + relocation.instruction() + " is outside the program's "
                    + code.length / INSN + " instructions");
        }
        int at = relocation.instruction() * INSN;
        ByteBuffer buffer = ByteBuffer.wrap(code).order(ByteOrder.LITTLE_ENDIAN);
        int opcode = code[at] & 0xff;
        int instructionClass = opcode & 0x07;
        long value = resolution.targetValue();
        switch (instructionClass) {
            case CLASS_ALU, CLASS_ALU64 -> {
                if ((opcode & SOURCE_REGISTER) != 0) {
                    throw fail(relocation, resolution.description(), String.format(
                            "instruction code 0x%02x takes a register, not an immediate", opcode));
                }
                int imm = buffer.getInt(at + 4);
                if (resolution.validate() && imm != (int) resolution.localValue()) {
                    throw unexpected(relocation, resolution, imm);
                }
                if (value < Integer.MIN_VALUE || value > 0xffff_ffffL) {
                    throw fail(relocation, resolution.description(), "value " + value + " does not fit an immediate");
                }
                buffer.putInt(at + 4, (int) value);
            }
            case CLASS_LDX, CLASS_ST, CLASS_STX -> {
                short offset = buffer.getShort(at + 2);
                if (resolution.validate() && offset != resolution.localValue()) {
                    throw unexpected(relocation, resolution, offset);
                }
                if (value < Short.MIN_VALUE || value > Short.MAX_VALUE) {
                    throw fail(relocation, resolution.description(), "offset " + value
                            + " does not fit a load or store's 16-bit offset");
                }
                buffer.putShort(at + 2, (short) value);
                if (relocation.kind() == CoreRelocation.Kind.FIELD_BYTE_OFFSET && resolution.found()
                        && resolution.localFieldSize() != resolution.targetFieldSize()
                        && resolution.localFieldSize() != 0 && resolution.targetFieldSize() != 0) {
                    resize(code, at, relocation, resolution);
                }
            }
            case CLASS_LD -> {
                if (opcode != LD_IMM64 || at + 2 * INSN > code.length) {
                    throw fail(relocation, resolution.description(), String.format(
                            "instruction code 0x%02x is a legacy packet load, not an ld_imm64", opcode));
                }
                long imm = (buffer.getInt(at + 4) & 0xffff_ffffL) | (long) buffer.getInt(at + INSN + 4) << 32;
                if (resolution.validate() && imm != resolution.localValue()) {
                    throw unexpected(relocation, resolution, imm);
                }
                buffer.putInt(at + 4, (int) value);
                buffer.putInt(at + INSN + 4, (int) (value >>> 32));
            }
            default -> throw fail(relocation, resolution.description(), String.format(
                    "instruction code 0x%02x is not one CO-RE patches (ALU immediate, load, store, ld_imm64)",
                    opcode));
        }
    }

    /** Changes a load's or store's width to the target field's size (BPF_SIZE: W=0x00, H=0x08, B=0x10, DW=0x18). */
    private void resize(byte[] code, int at, CoreRelocation relocation, Resolution resolution) {
        int opcode = code[at] & 0xff;
        int width = switch (opcode & 0x18) {
            case 0x00 -> 4;
            case 0x08 -> 2;
            case 0x10 -> 1;
            default -> 8;
        };
        if (width != resolution.localFieldSize()) {
            return; // the program reads part of the field on purpose (or an array, a struct): leave the width
        }
        if (!resolution.resizable()) {
            throw fail(relocation, resolution.description(), "the field is " + resolution.localFieldSize()
                    + " bytes here but " + resolution.targetFieldSize() + " in the target, and its type is not an"
                    + " unsigned integer, enum or pointer whose load could change size");
        }
        int size = switch (resolution.targetFieldSize()) {
            case 1 -> 0x10;
            case 2 -> 0x08;
            case 4 -> 0x00;
            case 8 -> 0x18;
            default -> throw fail(relocation, resolution.description(), "the target field is "
                    + resolution.targetFieldSize() + " bytes, which no single load reads");
        };
        code[at] = (byte) ((opcode & ~0x18) | size);
    }

    private CoreRelocationException unexpected(CoreRelocation relocation, Resolution resolution, long found) {
        return fail(relocation, resolution.description(), "the instruction holds " + found + " where the object's"
                + " own BTF gives " + resolution.localValue() + " (relocation and instruction disagree)");
    }
}
