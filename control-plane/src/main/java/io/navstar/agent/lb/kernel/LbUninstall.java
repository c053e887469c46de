package io.navstar.agent.lb.kernel;

import io.navstar.loader.BpfLink;
import io.navstar.sys.Fd;
import io.navstar.sys.bpf.Bpf;
import io.navstar.sys.bpf.BpfException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Removes a node's pinned data plane ({@code navstar bpf uninstall}), what {@link LbAttachments#detachAll} and
 * {@link LbDataPlane#unpin} do for a running load balancer, done from the pins alone while no agent runs: every link
 * pinned under {@code links/} is detached (its program leaves its hook at once) and unpinned, every map is unpinned
 * (the kernel frees it with its last reference), then both directories are removed. The directory must look like
 * navstar's first: a pinned map {@code lb_config}, other entries maps named {@code lb_*}, and a {@code links}
 * directory of links only; anything else and nothing is touched.
 *
 * <p>Threading: stateless; one call at a time per directory (it is not meant to race an agent).
 */
public final class LbUninstall {
    private LbUninstall() {
    }

    /**
     * What an uninstall removed.
     *
     * @param found whether the directory existed
     * @param links links detached and unpinned
     * @param maps  maps unpinned
     */
    public record Report(boolean found, int links, int maps) {
    }

    /**
     * Uninstalls the data plane pinned under {@code pinDirectory}; a directory that does not exist is nothing to do.
     *
     * @throws IllegalArgumentException naming the entry that makes the directory not navstar's (nothing removed)
     * @throws IOException              when a pin cannot be removed (those before it are gone)
     */
    public static Report uninstall(Path pinDirectory) throws IOException {
        if (!Files.exists(pinDirectory)) {
            return new Report(false, 0, 0);
        }
        if (!Files.isDirectory(pinDirectory)) {
            throw new IllegalArgumentException(pinDirectory + " is not a directory");
        }
        List<Path> maps = new ArrayList<>();
        List<Path> links = new ArrayList<>();
        Path linkDirectory = pinDirectory.resolve("links");
        for (Path entry : list(pinDirectory)) {
            String name = entry.getFileName().toString();
            if (entry.equals(linkDirectory) && Files.isDirectory(entry)) {
                for (Path link : list(entry)) {
                    requireKind(link, "bpf-link", pinDirectory);
                    links.add(link);
                }
            } else if (name.startsWith("lb_")) {
                requireKind(entry, "bpf-map", pinDirectory);
                maps.add(entry);
            } else {
                throw notNavstars(pinDirectory, entry + " is not one of navstar's pins (lb_* maps, links/)");
            }
        }
        if (!maps.contains(pinDirectory.resolve("lb_config"))) {
            throw notNavstars(pinDirectory, "it holds no lb_config map");
        }
        for (Path link : links) {
            try (BpfLink pinned = BpfLink.openPinned(link)) {
                pinned.detach();
            } catch (BpfException e) {
                // a link whose hook is gone (its interface deleted) has nothing to detach; unpinning frees it
            }
            Files.delete(link);
        }
        for (Path map : maps) {
            Files.delete(map);
        }
        Files.deleteIfExists(linkDirectory);
        Files.delete(pinDirectory);
        return new Report(true, links.size(), maps.size());
    }

    private static List<Path> list(Path directory) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.sorted().toList();
        }
    }

    /** Opens the pin and checks the kind of BPF object behind it ({@code bpf-map}, {@code bpf-link}). */
    private static void requireKind(Path pin, String kind, Path pinDirectory) throws IOException {
        int descriptor;
        try {
            descriptor = Bpf.objGet(pin.toString(), 0, "opening pinned object \"" + pin + "\"");
        } catch (BpfException e) {
            throw notNavstars(pinDirectory, pin + " is not a pinned BPF object (" + e.getMessage() + ")");
        }
        try (Fd fd = new Fd(descriptor)) {
            // the descriptor's anonymous inode names the object's kind: anon_inode:bpf-map, anon_inode:bpf-link
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd", Integer.toString(fd.value()))).toString();
            if (!target.equals("anon_inode:" + kind)) {
                throw notNavstars(pinDirectory, pin + " is a " + target.replace("anon_inode:", "") + ", not a "
                        + kind);
            }
        }
    }

    private static IllegalArgumentException notNavstars(Path pinDirectory, String why) {
        return new IllegalArgumentException(pinDirectory + " does not look like navstar's pin directory: " + why
                + "; nothing removed");
    }
}
