package io.navstar.loader.btf;

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
