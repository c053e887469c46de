package io.navstar.loader;

import io.navstar.loader.spec.MapSpec;
import io.navstar.sys.bpf.Bpf;
import io.navstar.sys.bpf.BpfAttr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.navstar.sys.bpf.BpfAttr.offset;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * What the kernel says about a live map ({@code struct bpf_map_info} from BPF_OBJ_GET_INFO_BY_FD).
 *
 * @param type             the kernel's map type number ({@code enum bpf_map_type})
 * @param id               the map's id, as {@code bpftool map show} prints it
 * @param keySize          key size in bytes
 * @param valueSize        value size in bytes (per CPU for per-CPU maps)
 * @param maxEntries       capacity
 * @param flags            BPF_F_* flags the map was created with
 * @param name             the kernel's copy of the name (at most 15 characters)
 * @param btfId            id of the BTF object describing key and value, 0 when none
 * @param btfKeyTypeId     BTF type id of the key
 * @param btfValueTypeId   BTF type id of the value
 */
public record MapInfo(int type, int id, int keySize, int valueSize, int maxEntries, int flags, String name,
                      int btfId, int btfKeyTypeId, int btfValueTypeId) {

    /** Reads the info of the map behind {@code fd}. */
    static MapInfo of(int fd, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.MAP_INFO);
            Bpf.objGetInfoByFd(fd, info, operation);
            var layout = BpfAttr.MAP_INFO;
            return new MapInfo(
                    info.get(JAVA_INT, offset(layout, "type")),
                    info.get(JAVA_INT, offset(layout, "id")),
                    info.get(JAVA_INT, offset(layout, "key_size")),
                    info.get(JAVA_INT, offset(layout, "value_size")),
                    info.get(JAVA_INT, offset(layout, "max_entries")),
                    info.get(JAVA_INT, offset(layout, "map_flags")),
                    cString(info, offset(layout, "name"), 16),
                    info.get(JAVA_INT, offset(layout, "btf_id")),
                    info.get(JAVA_INT, offset(layout, "btf_key_type_id")),
                    info.get(JAVA_INT, offset(layout, "btf_value_type_id")));
        }
    }

    /**
     * The ways this live map differs from {@code spec} in what a program relies on (type, key size, value size,
     * max entries, flags), in words; empty when compatible.
     */
    public List<String> differencesFrom(MapSpec spec) {
        List<String> differences = new ArrayList<>();
        if (type != spec.type().kernelValue()) {
            differences.add("type is " + typeName(type) + ", spec wants " + spec.type());
        }
        if (keySize != spec.keySize()) {
            differences.add("key size is " + keySize + ", spec wants " + spec.keySize());
        }
        if (valueSize != spec.valueSize()) {
            differences.add("value size is " + valueSize + ", spec wants " + spec.valueSize());
        }
        if (maxEntries != spec.maxEntries()) {
            differences.add("max entries is " + maxEntries + ", spec wants " + spec.maxEntries());
        }
        if (flags != spec.flags()) {
            differences.add("flags are 0x" + Integer.toHexString(flags) + ", spec wants 0x" + Integer.toHexString(spec.flags()));
        }
        return differences;
    }

    private static String typeName(int type) {
        try {
            return io.navstar.loader.spec.MapType.ofKernelValue(type).name();
        } catch (IllegalArgumentException e) {
            return "type " + type;
        }
    }

    static String cString(MemorySegment segment, long offset, int max) {
        byte[] bytes = segment.asSlice(offset, max).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        int length = 0;
        while (length < bytes.length && bytes[length] != 0) {
            length++;
        }
        return new String(bytes, 0, length, StandardCharsets.US_ASCII);
    }
}
