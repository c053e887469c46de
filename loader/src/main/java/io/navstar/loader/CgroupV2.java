package io.navstar.loader;

import io.navstar.sys.bpf.BpfException;

import java.nio.file.Path;

/**
 * Where the cgroup v2 hierarchy is mounted, for attaching sock_addr programs (Documentation/admin-guide/cgroup-v2.rst).
 * Read from /proc/self/mounts each call: machines mount it at /sys/fs/cgroup, /sys/fs/cgroup/unified or elsewhere,
 * so it is never assumed. Stateless; any thread.
 */
public final class CgroupV2 {
    private CgroupV2() {
    }

    /** The first cgroup2 mount point; throws with a hint when there is none. */
    public static Path mountPoint() {
        return BpfFs.mounts().stream()
                .filter(mount -> mount.type().equals("cgroup2"))
                .map(BpfFs.Mount::target)
                .findFirst()
                .orElseThrow(() -> new BpfException("no cgroup v2 hierarchy is mounted: cgroup sock_addr programs need "
                        + "one (mount -t cgroup2 none /sys/fs/cgroup/unified)"));
    }
}
