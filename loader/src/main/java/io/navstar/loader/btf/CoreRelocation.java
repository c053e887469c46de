package io.navstar.loader.btf;

import java.util.Objects;

/**
 * One CO-RE relocation (struct bpf_core_relo, include/uapi/linux/bpf.h; Documentation/bpf/llvm_reflection.rst):
 * the instruction whose immediate or offset holds a value the compiler computed from the object's own BTF,
 * and what that value is ({@link Kind}), so the loader can recompute it against the running kernel's BTF.
 *
 * @param instruction the instruction's index: in its ELF section when read from {@code .BTF.ext}, in the linked
 *                    program once the ELF reader placed it
 * @param typeId      the local (object BTF) type the access starts from
 * @param access      the access string: for fields "0:1:2" (the first index steps over the root pointer as an
 *                    array, the others are member or array indices), for enum values "0:N" (enumerator N),
 *                    "0" for type relocations
 * @param kind        what value the instruction holds
 */
public record CoreRelocation(int instruction, int typeId, String access, Kind kind) {

    /** Size of struct bpf_core_relo: insn_off, type_id, access_str_off, kind. */
    public static final int RECORD_SIZE = 16;

    public CoreRelocation {
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(kind, "kind");
    }

    /** The same relocation at another instruction (the ELF reader moves it into the linked program). */
    public CoreRelocation at(int newInstruction) {
        return new CoreRelocation(newInstruction, typeId, access, kind);
    }

    @Override
    public String toString() {
        return kind + " of type " + typeId + " access \"" + access + "\" at instruction " + instruction;
    }

    /** enum bpf_core_relo_kind; the numbers are the kernel's and LLVM's ABI. */
    public enum Kind {
        /** Byte offset of a field from the start of the root type. */
        FIELD_BYTE_OFFSET(0),
        /** Size in bytes of a field (of the smallest load that holds it, for a bitfield). */
        FIELD_BYTE_SIZE(1),
        /** 1 when the field exists in the target, else 0. */
        FIELD_EXISTS(2),
        /** 1 when the field is signed. */
        FIELD_SIGNED(3),
        /** Left shift that puts a bitfield's top bit at bit 63 of a 64-bit load. */
        FIELD_LSHIFT_U64(4),
        /** Right shift that then brings the bitfield down to bit 0. */
        FIELD_RSHIFT_U64(5),
        /** The type's id in the object's BTF. */
        TYPE_ID_LOCAL(6),
        /** The matching type's id in the target BTF. */
        TYPE_ID_TARGET(7),
        /** 1 when the target has a matching type, else 0. */
        TYPE_EXISTS(8),
        /** The matching type's size in bytes. */
        TYPE_SIZE(9),
        /** 1 when the target's enum has an enumerator of this name, else 0. */
        ENUMVAL_EXISTS(10),
        /** The target enumerator's value. */
        ENUMVAL_VALUE(11),
        /** 1 when the target has a type of this name whose layout matches (bpf_core_type_matches), else 0. */
        TYPE_MATCHES(12);

        private static final Kind[] BY_VALUE = values();

        private final int kernelValue;

        Kind(int kernelValue) {
            this.kernelValue = kernelValue;
        }

        /** The value of {@code BPF_CORE_*}. */
        public int kernelValue() {
            return kernelValue;
        }

        /** The kind with this number, or null when unknown. */
        public static Kind ofKernelValue(long value) {
            return value >= 0 && value < BY_VALUE.length ? BY_VALUE[(int) value] : null;
        }

        /** True for the field kinds, whose access string walks members. */
        public boolean isField() {
            return kernelValue <= FIELD_RSHIFT_U64.kernelValue;
        }

        /** True for the enum value kinds. */
        public boolean isEnumValue() {
            return this == ENUMVAL_EXISTS || this == ENUMVAL_VALUE;
        }

        /** True for the kinds whose answer is 0 when the target lacks the type, field or value. */
        public boolean isExistence() {
            return this == FIELD_EXISTS || this == TYPE_EXISTS || this == ENUMVAL_EXISTS || this == TYPE_MATCHES;
        }
    }
}
