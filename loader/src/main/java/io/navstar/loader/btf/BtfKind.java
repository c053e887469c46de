package io.navstar.loader.btf;

/**
 * The kinds of BTF type ({@code BTF_KIND_*} in include/uapi/linux/btf.h, described in
 * Documentation/bpf/btf.rst §2.2). The numbers are the kernel's ABI.
 */
public enum BtfKind {
    VOID(0), INT(1), PTR(2), ARRAY(3), STRUCT(4), UNION(5), ENUM(6), FWD(7), TYPEDEF(8), VOLATILE(9),
    CONST(10), RESTRICT(11), FUNC(12), FUNC_PROTO(13), VAR(14), DATASEC(15), FLOAT(16), DECL_TAG(17),
    TYPE_TAG(18), ENUM64(19);

    private static final BtfKind[] BY_VALUE = values();

    private final int kernelValue;

    BtfKind(int kernelValue) {
        this.kernelValue = kernelValue;
    }

    /** The value of {@code BTF_KIND_*}. */
    public int kernelValue() {
        return kernelValue;
    }

    /** The kind with this number, or null when the number is not a known kind. */
    static BtfKind ofKernelValue(int value) {
        return value >= 0 && value < BY_VALUE.length ? BY_VALUE[value] : null;
    }

    /** True for the kinds that only qualify or rename another type (skipped when resolving). */
    public boolean isModifier() {
        return this == TYPEDEF || this == VOLATILE || this == CONST || this == RESTRICT || this == TYPE_TAG;
    }
}
