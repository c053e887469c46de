package io.navstar.loader.btf;

import java.util.List;

/**
 * One BTF type, as decoded from the {@code .BTF} type section (Documentation/bpf/btf.rst §2.2). Each kind
 * is a record; {@code id} is the type's id in its {@link Btf}, {@code name} is "" for anonymous types.
 * Type references are ids into the same {@link Btf}, checked in range when it was parsed. Immutable.
 */
public sealed interface BtfType {

    /** The type's id (0 is void). */
    int id();

    /** The type's name, "" when anonymous. */
    String name();

    /** The type's kind. */
    BtfKind kind();

    /** Type 0: void. */
    record Void() implements BtfType {
        @Override public int id() { return 0; }
        @Override public String name() { return "void"; }
        @Override public BtfKind kind() { return BtfKind.VOID; }
    }

    /**
     * BTF_KIND_INT: an integer of {@code size} bytes; {@code bits} used from {@code bitOffset}.
     * {@code encoding} holds BTF_INT_SIGNED (1), BTF_INT_CHAR (2), BTF_INT_BOOL (4).
     */
    record Int(int id, String name, int size, int encoding, int bitOffset, int bits) implements BtfType {
        @Override public BtfKind kind() { return BtfKind.INT; }

        /** True when BTF_INT_SIGNED is set. */
        public boolean signed() { return (encoding & 1) != 0; }
    }

    /** BTF_KIND_FLOAT: a floating point type of {@code size} bytes. */
    record Float(int id, String name, int size) implements BtfType {
        @Override public BtfKind kind() { return BtfKind.FLOAT; }
    }

    /**
     * A type that refers to one other type without a layout of its own: PTR, TYPEDEF, VOLATILE, CONST,
     * RESTRICT and TYPE_TAG (whose name is the tag).
     */
    record Reference(int id, BtfKind kind, String name, int target) implements BtfType {
    }

    /** BTF_KIND_ARRAY: {@code count} elements of {@code elementType}, indexed by {@code indexType}. */
    record Array(int id, String name, int elementType, int indexType, int count) implements BtfType {
        @Override public BtfKind kind() { return BtfKind.ARRAY; }
    }

    /**
     * One member of a struct or union. {@code bitOffset} is from the start of the aggregate; {@code bitSize}
     * is non-zero only for bit fields encoded with kind_flag (btf.rst §2.2.4).
     */
    record Member(String name, int type, int bitOffset, int bitSize) {
    }

    /** BTF_KIND_STRUCT or BTF_KIND_UNION of {@code size} bytes. */
    record Composite(int id, BtfKind kind, String name, int size, List<Member> members) implements BtfType {
        public Composite {
            members = List.copyOf(members);
        }
    }

    /** One enumerator name and its value. */
    record Enumerator(String name, long value) {
    }

    /** BTF_KIND_ENUM (32-bit values) or BTF_KIND_ENUM64, {@code size} bytes wide. */
    record Enum(int id, BtfKind kind, String name, int size, boolean signed, List<Enumerator> values)
            implements BtfType {
        public Enum {
            values = List.copyOf(values);
        }
    }

    /** BTF_KIND_FWD: a forward declaration of a struct (or a union when {@code union}). */
    record Fwd(int id, String name, boolean union) implements BtfType {
        @Override public BtfKind kind() { return BtfKind.FWD; }
    }

    /** BTF_KIND_FUNC: a function named {@code name} of prototype {@code proto}; linkage 0 static, 1 global, 2 extern. */
    record Func(int id, String name, int proto, int linkage) implements BtfType {
        @Override public BtfKind kind() { return BtfKind.FUNC; }
    }

    /** One parameter of a function prototype; type 0 with no name is the "..." of a variadic function. */
    record Param(String name, int type) {
    }

    /** BTF_KIND_FUNC_PROTO: return type and parameters. */
    record FuncProto(int id, String name, int returnType, List<Param> params) implements BtfType {
        public FuncProto {
            params = List.copyOf(params);
        }

        @Override public BtfKind kind() { return BtfKind.FUNC_PROTO; }
    }

    /** BTF_KIND_VAR: a global variable; linkage 0 static, 1 global allocated, 2 extern. */
    record Var(int id, String name, int type, int linkage) implements BtfType {
        @Override public BtfKind kind() { return BtfKind.VAR; }
    }

    /** One variable placed in a data section: its VAR type id, byte offset and size. */
    record VarSecinfo(int type, int offset, int size) {
    }

    /** BTF_KIND_DATASEC: the variables of one ELF section (.data, .rodata, .bss, .maps, ...). */
    record Datasec(int id, String name, int size, List<VarSecinfo> variables) implements BtfType {
        public Datasec {
            variables = List.copyOf(variables);
        }

        @Override public BtfKind kind() { return BtfKind.DATASEC; }
    }

    /** BTF_KIND_DECL_TAG: a tag on a type, or on its member or parameter {@code componentIndex} (-1 for the type). */
    record DeclTag(int id, String name, int target, int componentIndex) implements BtfType {
        @Override public BtfKind kind() { return BtfKind.DECL_TAG; }
    }
}
