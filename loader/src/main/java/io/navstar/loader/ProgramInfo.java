package io.navstar.loader;

import io.navstar.sys.bpf.Bpf;
import io.navstar.sys.bpf.BpfAttr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HexFormat;

import static io.navstar.sys.bpf.BpfAttr.offset;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * What the kernel says about a loaded program ({@code struct bpf_prog_info} from BPF_OBJ_GET_INFO_BY_FD).
 *
 * @param type                {@code enum bpf_prog_type}
 * @param id                  the program's id, as {@code bpftool prog show} prints it
 * @param tag                 the program's tag (hash of its instructions), hex
 * @param name                the kernel's copy of the name (at most 15 characters)
 * @param translatedBytes     size of the verified, rewritten program in bytes
 * @param btfId               id of the program's BTF, 0 when loaded without
 */
public record ProgramInfo(int type, int id, String tag, String name, int translatedBytes, int btfId) {

    static ProgramInfo of(int fd, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.PROG_INFO);
            Bpf.objGetInfoByFd(fd, info, operation);
            var layout = BpfAttr.PROG_INFO;
            byte[] tag = info.asSlice(offset(layout, "tag"), 8).toArray(JAVA_BYTE);
            return new ProgramInfo(info.get(JAVA_INT, offset(layout, "type")), info.get(JAVA_INT, offset(layout, "id")),
                    HexFormat.of().formatHex(tag), MapInfo.cString(info, offset(layout, "name"), 16),
                    info.get(JAVA_INT, offset(layout, "xlated_prog_len")), info.get(JAVA_INT, offset(layout, "btf_id")));
        }
    }
}
