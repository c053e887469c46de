package io.navstar.loader.btf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes BTF blobs by hand for tests of kinds and faults clang 14 does not produce (ENUM64, loops,
 * dangling ids). Each {@code add} returns the new type's id. Not thread-safe; test use only.
 */
final class BtfBuilder {
    private final ByteArrayOutputStream types = new ByteArrayOutputStream();
    private final ByteArrayOutputStream strings = new ByteArrayOutputStream();
    private final Map<String, Integer> stringOffsets = new HashMap<>();
    private int nextId = 1;

    BtfBuilder() {
        strings.write(0);
        stringOffsets.put("", 0);
    }

    int string(String value) {
        return stringOffsets.computeIfAbsent(value, v -> {
            int offset = strings.size();
            strings.writeBytes(v.getBytes(StandardCharsets.UTF_8));
            strings.write(0);
            return offset;
        });
    }

    /** Adds a type with raw fields: name, kind, vlen, kind_flag, size_or_type, then extra u32 words. */
    int add(String name, BtfKind kind, int vlen, boolean kindFlag, int sizeOrType, int... extra) {
        u32(string(name));
        u32((kindFlag ? 1 << 31 : 0) | kind.kernelValue() << 24 | vlen);
        u32(sizeOrType);
        for (int word : extra) {
            u32(word);
        }
        return nextId++;
    }

    int integer(String name, int size, int bits, boolean signed) {
        return add(name, BtfKind.INT, 0, false, size, (signed ? 1 : 0) << 24 | bits);
    }

    int typedef(String name, int target) {
        return add(name, BtfKind.TYPEDEF, 0, false, target);
    }

    private void u32(int value) {
        types.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
    }

    byte[] build() {
        byte[] typeBytes = types.toByteArray();
        byte[] stringBytes = strings.toByteArray();
        ByteBuffer out = ByteBuffer.allocate(24 + typeBytes.length + stringBytes.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putShort((short) 0xeb9f).put((byte) 1).put((byte) 0).putInt(24);
        out.putInt(0).putInt(typeBytes.length).putInt(typeBytes.length).putInt(stringBytes.length);
        out.put(typeBytes).put(stringBytes);
        return out.array();
    }
}
