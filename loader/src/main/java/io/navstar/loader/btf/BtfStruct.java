package io.navstar.loader.btf;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The memory layout of a struct or union as its BTF says: total size and each member's byte offset and
 * size. It is what a Java {@code java.lang.foreign.StructLayout} mirror of a C struct is checked against
 * (STYLE.md: one ABI header, one Java mirror per struct, a test that fails on drift). Immutable.
 *
 * @param name    the struct's name ("" when anonymous)
 * @param union   true for a union
 * @param size    total size in bytes, tail padding included
 * @param members the members in declaration order
 */
public record BtfStruct(String name, boolean union, long size, List<Member> members) {

    public BtfStruct {
        members = List.copyOf(members);
    }

    /**
     * One member. For a bit field, {@code byteOffset} and {@code byteSize} describe the storage unit its
     * declared type occupies at the member's position, and {@code bitOffset}/{@code bitSize} are exact.
     *
     * @param name       member name ("" for an anonymous struct or union member)
     * @param typeId     BTF type id of the member's declared type
     * @param byteOffset offset from the start of the struct, in bytes (rounded down for bit fields)
     * @param byteSize   size of the member's type in bytes
     * @param bitOffset  offset from the start of the struct, in bits
     * @param bitSize    width in bits of a bit field, 0 when the member is not one
     */
    public record Member(String name, int typeId, long byteOffset, long byteSize, long bitOffset, int bitSize) {

        /** True when the member is a bit field. */
        public boolean bitField() {
            return bitSize != 0;
        }
    }

    /**
     * How a Java mirror of this struct differs from it, one sentence per difference; empty when they agree.
     * Compares the total size, then every named member of the Java layout (padding ignored) with the BTF
     * member of that name: byte offset and byte size. BTF members the Java layout lacks are differences too,
     * except bit fields, which a Java layout can only cover with an integer of their storage unit. This is
     * the drift check STYLE.md asks for between the ABI header and its Java mirrors.
     */
    public List<String> differencesFrom(GroupLayout javaLayout) {
        List<String> differences = new ArrayList<>();
        String label = "struct " + name;
        if (javaLayout.byteSize() != size) {
            differences.add(label + ": size " + size + " in BTF, " + javaLayout.byteSize() + " in Java");
        }
        List<String> javaNames = new ArrayList<>();
        long offset = 0;
        for (MemoryLayout element : javaLayout.memberLayouts()) {
            long elementOffset = javaLayout instanceof java.lang.foreign.UnionLayout ? 0 : offset;
            offset += element.byteSize();
            if (element instanceof PaddingLayout || element.name().isEmpty()) {
                continue;
            }
            String memberName = element.name().get();
            javaNames.add(memberName);
            Optional<Member> member = member(memberName);
            if (member.isEmpty()) {
                differences.add(label + ": member " + memberName + " is in Java but not in BTF");
                continue;
            }
            if (member.get().byteOffset() != elementOffset) {
                differences.add(label + "." + memberName + ": offset " + member.get().byteOffset() + " in BTF, "
                        + elementOffset + " in Java");
            }
            if (!member.get().bitField() && member.get().byteSize() != element.byteSize()) {
                differences.add(label + "." + memberName + ": size " + member.get().byteSize() + " in BTF, "
                        + element.byteSize() + " in Java");
            }
        }
        for (Member member : members) {
            if (!member.bitField() && !member.name().isEmpty() && !javaNames.contains(member.name())) {
                differences.add(label + ": member " + member.name() + " is in BTF but not in Java");
            }
        }
        return differences;
    }

    /** The member with this name, if any. */
    public Optional<Member> member(String memberName) {
        for (Member member : members) {
            if (member.name().equals(memberName)) {
                return Optional.of(member);
            }
        }
        return Optional.empty();
    }
}
