package io.navstar.loader;

import io.navstar.sys.Errno;
import io.navstar.sys.Fd;
import io.navstar.sys.bpf.Bpf;
import io.navstar.sys.bpf.BpfAttr;
import io.navstar.sys.bpf.BpfException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import static io.navstar.sys.bpf.BpfAttr.offset;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What the kernel says about a loaded program ({@code struct bpf_prog_info} from BPF_OBJ_GET_INFO_BY_FD).
 *
 * @param type                {@code enum bpf_prog_type}
 * @param id                  the program's id, as {@code bpftool prog show} prints it
 * @param tag                 the program's tag (hash of its instructions), hex
 * @param name                the kernel's copy of the name (at most 15 characters)
 * @param translatedBytes     size of the verified, rewritten program in bytes
 * @param btfId               id of the program's BTF, 0 when loaded without
 * @param runTimeNanos        nanoseconds spent in the program since it was loaded, counted only while statistics
 *                            are enabled ({@link RunTimeStats})
 * @param runCount            runs of the program since it was loaded, counted only while statistics are enabled
 */
public record ProgramInfo(int type, int id, String tag, String name, int translatedBytes, int btfId,
                          long runTimeNanos, long runCount) {

    static ProgramInfo of(int fd, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.PROG_INFO);
            Bpf.objGetInfoByFd(fd, info, operation);
            var layout = BpfAttr.PROG_INFO;
            byte[] tag = info.asSlice(offset(layout, "tag"), 8).toArray(JAVA_BYTE);
            return new ProgramInfo(info.get(JAVA_INT, offset(layout, "type")), info.get(JAVA_INT, offset(layout, "id")),
                    HexFormat.of().formatHex(tag), MapInfo.cString(info, offset(layout, "name"), 16),
                    info.get(JAVA_INT, offset(layout, "xlated_prog_len")), info.get(JAVA_INT, offset(layout, "btf_id")),
                    info.get(JAVA_LONG, offset(layout, "run_time_ns")), info.get(JAVA_LONG, offset(layout, "run_cnt")));
        }
    }

    /**
     * The program loaded with that id (BPF_PROG_GET_FD_BY_ID, then its info), or empty when no such program is
     * loaded (any more: ids of unloaded programs are not reused until the id space wraps).
     */
    public static Optional<ProgramInfo> byId(int id) {
        int descriptor;
        try {
            descriptor = Bpf.progGetFdById(id, "opening program id " + id);
        } catch (BpfException e) {
            if (e.errno() == Errno.ENOENT) {
                return Optional.empty();
            }
            throw e;
        }
        try (Fd fd = new Fd(descriptor)) {
            return Optional.of(of(fd.value(), "reading info of program id " + id));
        }
    }

    /** The ids of every program loaded in the kernel now, ascending (BPF_PROG_GET_NEXT_ID). */
    public static List<Integer> loadedIds() {
        List<Integer> ids = new ArrayList<>();
        for (int id = Bpf.progGetNextId(0, "listing loaded programs"); id != 0;
             id = Bpf.progGetNextId(id, "listing loaded programs")) {
            ids.add(id);
        }
        return ids;
    }

    /** Mean nanoseconds per run, 0 when it has not run while statistics were enabled. */
    public double nanosPerRun() {
        return runCount == 0 ? 0 : (double) runTimeNanos / runCount;
    }
}
