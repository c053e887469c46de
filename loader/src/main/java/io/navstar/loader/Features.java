package io.navstar.loader;

import io.navstar.loader.spec.AttachType;
import io.navstar.loader.spec.MapSpec;
import io.navstar.loader.spec.MapType;
import io.navstar.loader.spec.Pinning;
import io.navstar.loader.spec.ProgramSpec;
import io.navstar.loader.spec.ProgramType;
import io.navstar.sys.Errno;
import io.navstar.sys.Fd;
import io.navstar.sys.Libc;
import io.navstar.sys.bpf.Bpf;
import io.navstar.sys.bpf.BpfException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Probes for what the loader needs from this machine, each answered in words a user can act on: privileges
 * (capget: CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN), bpffs, kernel version, kernel BTF, and whether a map or program type
 * loads at all (by creating a tiny one, as bpftool feature probe does). Threading: stateless; any thread.
 */
public final class Features {
    /** Capability numbers (include/uapi/linux/capability.h). */
    static final int CAP_NET_ADMIN = 12;
    static final int CAP_SYS_ADMIN = 21;
    static final int CAP_PERFMON = 38;
    static final int CAP_BPF = 39;

    /** tcx links arrived in 6.6; the oldest kernel navstar supports. */
    public static final int[] MINIMUM_KERNEL = {6, 6};

    private Features() {
    }

    /** The outcome of {@link #probe()}: the problems found, empty when the loader can work. */
    public record Report(String kernelRelease, long capabilities, boolean bpffsMounted, List<String> problems) {
        /** True when nothing is missing. */
        public boolean ok() {
            return problems.isEmpty();
        }

        /** Throws a {@link BpfException} listing every problem, when there is one. */
        public void requireOk() {
            if (!ok()) {
                throw new BpfException("this machine cannot run navstar's eBPF programs:\n  - "
                        + String.join("\n  - ", problems));
            }
        }
    }

    /** Checks privileges, bpffs and the kernel version, and that the map and program types navstar uses load. */
    public static Report probe() {
        List<String> problems = new ArrayList<>();
        long caps = Libc.effectiveCapabilities();
        privilegeProblem(caps).ifPresent(problems::add);
        boolean bpffs = BpfFs.isMounted(BpfFs.DEFAULT_MOUNT);
        if (!bpffs) {
            problems.add("no bpffs at " + BpfFs.DEFAULT_MOUNT + ": pinned maps cannot survive an agent restart. Run "
                    + "`mount -t bpf bpf " + BpfFs.DEFAULT_MOUNT + "` (navstar mounts it itself when it has CAP_SYS_ADMIN)");
        }
        String release = kernelRelease();
        kernelProblem(release).ifPresent(problems::add);
        kernelBtfProblem(KernelBtf.VMLINUX).ifPresent(problems::add);
        if (problems.stream().noneMatch(p -> p.startsWith("not privileged"))) {
            for (MapType type : MapType.values()) {
                mapTypeProblem(type).ifPresent(problems::add);
            }
            for (ProgramType type : new ProgramType[] {ProgramType.XDP, ProgramType.SCHED_CLS, ProgramType.CGROUP_SOCK_ADDR}) {
                programTypeProblem(type).ifPresent(problems::add);
            }
        }
        return new Report(release, caps, bpffs, List.copyOf(problems));
    }

    /** What is missing to create maps and load programs, given the effective capability mask. */
    static Optional<String> privilegeProblem(long caps) {
        boolean sysAdmin = has(caps, CAP_SYS_ADMIN);
        boolean bpf = has(caps, CAP_BPF) || sysAdmin;
        boolean netAdmin = has(caps, CAP_NET_ADMIN);
        List<String> missing = new ArrayList<>();
        if (!bpf) {
            missing.add("CAP_BPF");
        }
        if (!netAdmin) {
            missing.add("CAP_NET_ADMIN");
        }
        if (!has(caps, CAP_PERFMON) && !sysAdmin) {
            missing.add("CAP_PERFMON");
        }
        if (missing.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("not privileged: this process lacks " + String.join(", ", missing) + ". Run as root, or "
                + "grant them (e.g. `setcap cap_bpf,cap_net_admin,cap_perfmon+ep` on the java binary, or "
                + "AmbientCapabilities= in the systemd unit)");
    }

    private static boolean has(long caps, int capability) {
        return (caps & (1L << capability)) != 0;
    }

    /** The running kernel's release ("6.18.44-..."). */
    public static String kernelRelease() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            return System.getProperty("os.version");
        }
    }

    /** A complaint when {@code release} is older than {@link #MINIMUM_KERNEL}. */
    /** Whether the kernel exposes its BTF, which CO-RE relocations and kfunc calls (navstar's tc programs) need. */
    static Optional<String> kernelBtfProblem(Path vmlinux) {
        if (Files.isReadable(vmlinux)) {
            return Optional.empty();
        }
        return Optional.of("no kernel BTF at " + vmlinux + ": navstar's tc programs use CO-RE and kfuncs, which need"
                + " it. Boot a kernel built with CONFIG_DEBUG_INFO_BTF=y (most distribution kernels are)");
    }

    static Optional<String> kernelProblem(String release) {
        String[] parts = release.split("[.-]");
        try {
            int major = Integer.parseInt(parts[0]);
            int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            if (major < MINIMUM_KERNEL[0] || (major == MINIMUM_KERNEL[0] && minor < MINIMUM_KERNEL[1])) {
                return Optional.of("kernel " + release + " is too old: navstar needs " + MINIMUM_KERNEL[0] + "."
                        + MINIMUM_KERNEL[1] + " or newer (tcx links arrived in 6.6, BPF_LINK_CREATE for XDP in 5.9,"
                        + " ring buffers in 5.8). Upgrade the kernel");
            }
            return Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.of("cannot read the kernel version from \"" + release + "\"");
        }
    }

    /** Whether a map of {@code type} can be created here; a problem in words when not. */
    public static Optional<String> mapTypeProblem(MapType type) {
        MapSpec inner = new MapSpec("probe_inner", MapType.ARRAY, 4, 4, 1, 0, Pinning.NONE, 0, 0, null, null, false);
        MapSpec spec = switch (type) {
            case RINGBUF -> new MapSpec("probe", type, 0, 0, Libc.pageSize(), 0, Pinning.NONE, 0, 0, null, null, false);
            case LPM_TRIE -> new MapSpec("probe", type, 8, 4, 1, 1 /* BPF_F_NO_PREALLOC */, Pinning.NONE, 0, 0, null, null, false);
            case ARRAY_OF_MAPS, HASH_OF_MAPS -> new MapSpec("probe", type, 4, 4, 1, 0, Pinning.NONE, 0, 0, inner, null, false);
            case PERF_EVENT_ARRAY, PROG_ARRAY -> new MapSpec("probe", type, 4, 4, 1, 0, Pinning.NONE, 0, 0, null, null, false);
            case SK_STORAGE -> null; // needs BTF: probed by skStorageProblem
            default -> new MapSpec("probe", type, 4, 4, 1, 0, Pinning.NONE, 0, 0, null, null, false);
        };
        if (spec == null) {
            return skStorageProblem();
        }
        try {
            BpfMap.create(spec).close();
            return Optional.empty();
        } catch (BpfException e) {
            return Optional.of(unsupported("map type " + type, e));
        }
    }

    /**
     * Socket-local storage takes no map without BTF key and value types (bpf_local_storage_map_alloc_check in
     * kernel/bpf/bpf_local_storage.c), so its probe uploads a BTF of one type, a 4-byte int (btf_header, one
     * BTF_KIND_INT, strings "\0int\0"; Documentation/bpf/btf.rst), and uses it for both.
     */
    private static Optional<String> skStorageProblem() {
        ByteBuffer btf = ByteBuffer.allocate(24 + 16 + 5).order(ByteOrder.nativeOrder());
        btf.putShort((short) 0xeB9F).put((byte) 1).put((byte) 0).putInt(24); // magic, version, flags, hdr_len
        btf.putInt(0).putInt(16).putInt(16).putInt(5);                       // type_off/len, str_off/len
        btf.putInt(1).putInt(1 << 24).putInt(4);                              // "int": BTF_KIND_INT, 4 bytes
        btf.putInt((1 << 24) | 32);                                           // BTF_INT_SIGNED, 32 bits
        btf.put(new byte[] {0, 'i', 'n', 't', 0});
        MapSpec spec = new MapSpec("probe", MapType.SK_STORAGE, 4, 4, 0, 1 /* BPF_F_NO_PREALLOC */, Pinning.NONE,
                1, 1, null, null, false);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment blob = arena.allocate(btf.capacity(), 8);
            blob.copyFrom(MemorySegment.ofArray(btf.array()));
            int btfFd = Bpf.btfLoad(blob, MemorySegment.NULL);
            if (btfFd < 0) {
                return Optional.of(unsupported("map type SK_STORAGE", new BpfException("BPF_BTF_LOAD", -btfFd,
                        "uploading the probe's BTF")));
            }
            try (Fd owned = new Fd(btfFd)) {
                BpfMap.create(spec, owned.value(), "probe").close();
                return Optional.empty();
            }
        } catch (BpfException e) {
            return Optional.of(unsupported("map type SK_STORAGE", e));
        }
    }

    /** Whether a trivial program of {@code type} loads here; a problem in words when not. */
    public static Optional<String> programTypeProblem(ProgramType type) {
        byte[] returnZero = {
                (byte) 0xb7, 0, 0, 0, 0, 0, 0, 0,   // r0 = 0
                (byte) 0x95, 0, 0, 0, 0, 0, 0, 0};  // exit
        AttachType attach = type == ProgramType.CGROUP_SOCK_ADDR ? AttachType.CGROUP_INET4_CONNECT : null;
        ProgramSpec spec = new ProgramSpec("probe", "probe", type, attach, "GPL", returnZero, List.of(), null, 0, null, 0);
        try {
            BpfProgram.load(spec).close();
            return Optional.empty();
        } catch (BpfException e) {
            return Optional.of(unsupported("program type " + type, e));
        }
    }

    static String unsupported(String what, BpfException e) {
        return switch (e.errno()) {
            case Errno.EPERM -> what + " cannot be probed: " + Errno.describe(e.errno()) + ", run as root or with CAP_BPF";
            case Errno.EINVAL, Errno.ENOTSUPP, Errno.EOPNOTSUPP ->
                    what + " is not supported by kernel " + kernelRelease() + " (" + Errno.name(e.errno())
                            + "): upgrade the kernel or build it with the BPF options this type needs";
            default -> what + " failed to load: " + e.getMessage();
        };
    }
}
