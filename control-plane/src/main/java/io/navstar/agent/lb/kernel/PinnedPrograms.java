package io.navstar.agent.lb.kernel;

import io.navstar.loader.BpfLink;
import io.navstar.loader.ProgramInfo;
import io.navstar.sys.bpf.BpfException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The programs of a node's pinned data plane, found through the links pinned under {@code <pinDirectory>/links}
 * ({@link LbAttachments} names each pin after its hook: {@code tc-<netns>-<ifname>-in}, {@code xdp-<netns>-<ifname>},
 * {@code cg<path>-lb_sock_connect4}), with what the kernel says about each: its run count and run time, which grow
 * while run-time statistics are enabled ({@link io.navstar.loader.RunTimeStats}). One program attached to several
 * hooks (lb_tc_egress on every interface) is one entry with all its hooks: the kernel counts per program, not per
 * hook. Reads only: safe while the agent runs.
 *
 * <p>Threading: stateless.
 */
public final class PinnedPrograms {
    private PinnedPrograms() {
    }

    /**
     * A loaded program and the pinned links that attach it.
     *
     * @param info  the kernel's bpf_prog_info, read when the list was made
     * @param hooks the names of the link pins attaching it (empty for a program found by id alone)
     */
    public record Program(ProgramInfo info, List<String> hooks) {
    }

    /**
     * The programs behind the links pinned under {@code pinDirectory}, ordered by program id; none when it has no
     * {@code links} directory. A link whose program was unloaded meanwhile is skipped.
     *
     * @throws IOException  when the directory cannot be listed
     * @throws BpfException when a pin is not a link
     */
    public static List<Program> read(Path pinDirectory) throws IOException {
        Path linkDirectory = pinDirectory.resolve("links");
        if (!Files.isDirectory(linkDirectory)) {
            return List.of();
        }
        Map<Integer, List<String>> hooksByProgram = new TreeMap<>();
        try (Stream<Path> entries = Files.list(linkDirectory)) {
            for (Path pin : entries.sorted().toList()) {
                try (BpfLink link = BpfLink.openPinned(pin)) {
                    hooksByProgram.computeIfAbsent(link.info().programId(), id -> new ArrayList<>())
                            .add(pin.getFileName().toString());
                }
            }
        }
        List<Program> programs = new ArrayList<>();
        for (Map.Entry<Integer, List<String>> entry : hooksByProgram.entrySet()) {
            ProgramInfo.byId(entry.getKey()).ifPresent(info -> programs.add(new Program(info, entry.getValue())));
        }
        return programs;
    }

    /** Every program loaded in the kernel (not only navstar's), ordered by id, without hooks. */
    public static List<Program> all() {
        List<Program> programs = new ArrayList<>();
        for (int id : ProgramInfo.loadedIds()) {
            ProgramInfo.byId(id).ifPresent(info -> programs.add(new Program(info, List.of())));
        }
        return programs;
    }

    /** The same programs read again now, by id: those unloaded meanwhile are left out. */
    public static List<Program> reread(List<Program> programs) {
        Map<Integer, Program> now = new LinkedHashMap<>();
        for (Program program : programs) {
            Optional<ProgramInfo> info = ProgramInfo.byId(program.info().id());
            info.ifPresent(i -> now.put(i.id(), new Program(i, program.hooks())));
        }
        return List.copyOf(now.values());
    }
}
