package io.navstar.loader;

import io.navstar.sys.Libc;
import io.navstar.sys.bpf.BpfException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The BPF filesystem, where maps, programs and links are pinned (kernel/bpf/inode.c; {@code mount -t bpf bpf /sys/fs/bpf}).
 * Finds mounts in /proc/self/mounts, mounts bpffs at /sys/fs/bpf when it is absent (mount(2) through FFM) and
 * creates pin directories. Threading: stateless; concurrent callers may both try to mount, which is harmless.
 */
public final class BpfFs {
    /** Where bpffs is conventionally mounted. */
    public static final Path DEFAULT_MOUNT = Path.of("/sys/fs/bpf");

    private BpfFs() {
    }

    /** One line of /proc/self/mounts. */
    record Mount(String source, Path target, String type) {
    }

    static List<Mount> mounts() {
        try {
            return Files.readAllLines(Path.of("/proc/self/mounts")).stream()
                    .map(line -> line.split(" "))
                    .filter(fields -> fields.length >= 3)
                    .map(fields -> new Mount(fields[0], Path.of(unescape(fields[1])), fields[2]))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("reading /proc/self/mounts", e);
        }
    }

    private static String unescape(String field) {
        return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }

    /** The filesystem type of the mount that holds {@code path} (the longest mount-point prefix). */
    static String filesystemOf(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        Mount best = null;
        for (Mount mount : mounts()) {
            if (absolute.startsWith(mount.target())
                    && (best == null || mount.target().getNameCount() >= best.target().getNameCount())) {
                best = mount;
            }
        }
        return best == null ? "unknown" : best.type();
    }

    /** True when a bpffs is mounted exactly at {@code mountPoint}. */
    public static boolean isMounted(Path mountPoint) {
        Path target = mountPoint.toAbsolutePath().normalize();
        return mounts().stream().anyMatch(m -> m.type().equals("bpf") && m.target().equals(target));
    }

    /** Mounts bpffs at /sys/fs/bpf when nothing of type bpf is mounted there (mode 0700, as systemd does). */
    public static void ensureMounted() {
        if (isMounted(DEFAULT_MOUNT)) {
            return;
        }
        try {
            Files.createDirectories(DEFAULT_MOUNT);
        } catch (IOException e) {
            throw new UncheckedIOException("creating " + DEFAULT_MOUNT + " to mount bpffs on", e);
        }
        mount(DEFAULT_MOUNT);
    }

    /** Mounts a bpffs at {@code mountPoint} (an existing directory), mode 0700. */
    public static void mount(Path mountPoint) {
        Libc.mount("bpf", mountPoint.toString(), "bpf", 0, "mode=0700",
                "mounting bpffs at " + mountPoint + " (needs CAP_SYS_ADMIN)");
    }

    /** Unmounts the filesystem at {@code mountPoint}; its pins go with it. */
    public static void unmount(Path mountPoint) {
        Libc.umount(mountPoint.toString(), "unmounting " + mountPoint);
    }

    /**
     * Makes {@code directory} ready for pins: mounts /sys/fs/bpf when the directory is under it and bpffs is
     * absent, creates the directory, and checks it is on a bpffs (BPF_OBJ_PIN fails with EPERM elsewhere).
     */
    public static Path prepareDirectory(Path directory) {
        Path absolute = directory.toAbsolutePath().normalize();
        if (absolute.startsWith(DEFAULT_MOUNT)) {
            ensureMounted();
        }
        String type = filesystemOf(absolute);
        if (!type.equals("bpf")) {
            throw new BpfException("pin directory \"" + absolute + "\" is on a " + type
                    + " filesystem, not bpffs: pin under " + DEFAULT_MOUNT + " or mount -t bpf bpf <dir>");
        }
        try {
            Files.createDirectories(absolute);
        } catch (IOException e) {
            throw new UncheckedIOException("creating pin directory " + absolute, e);
        }
        return absolute;
    }
}
