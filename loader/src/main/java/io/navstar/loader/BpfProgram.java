package io.navstar.loader;

import io.navstar.loader.spec.AttachType;
import io.navstar.loader.spec.ProgramSpec;
import io.navstar.loader.spec.ProgramType;
import io.navstar.sys.Errno;
import io.navstar.sys.Fd;
import io.navstar.sys.Libc;
import io.navstar.sys.NetworkNamespace;
import io.navstar.sys.bpf.Bpf;
import io.navstar.sys.bpf.BpfAttr;
import io.navstar.sys.bpf.BpfException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static io.navstar.sys.bpf.BpfAttr.offset;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A loaded, verified eBPF program: an owned descriptor. Attach it with {@link #attachXdp}, {@link #attachTcx},
 * {@link #attachCgroup} (each a BPF_LINK_CREATE link), or run it on crafted input with {@link #testRun}.
 *
 * <p>Threading: safe from any thread; {@link #close()} must not race with other calls. Closing the program does
 * not detach its links (they hold their own reference).
 */
public final class BpfProgram implements AutoCloseable {
    /** Largest verifier log the loader asks for when the kernel says the log did not fit (ENOSPC). */
    static final int MAX_LOG_SIZE = 64 << 20;

    private final String name;
    private final ProgramType type;
    private final AttachType expectedAttachType;
    private final Fd fd;

    private BpfProgram(String name, ProgramType type, AttachType expectedAttachType, Fd fd) {
        this.name = name;
        this.type = type;
        this.expectedAttachType = expectedAttachType;
        this.fd = fd;
    }

    /**
     * Loads a program that needs no maps (its spec has no relocations), without BTF; kfunc calls are resolved
     * against the kernel's BTF.
     */
    public static BpfProgram load(ProgramSpec spec) {
        if (!spec.mapRelocations().isEmpty()) {
            throw new BpfException("program " + spec.name() + " refers to maps " + spec.mapRelocations()
                    + ": load it through BpfObject.load, which creates them");
        }
        if (!spec.coreRelocations().isEmpty()) {
            throw new BpfException("program " + spec.name() + " has " + spec.coreRelocations().size()
                    + " CO-RE relocations, which need its object's BTF: load it through BpfObject.load");
        }
        byte[] instructions = spec.kfuncReferences().isEmpty() ? spec.instructions()
                : ProgramBinder.bind(spec, null, KernelBtf.vmlinux());
        return load(spec, instructions, 0, LoadOptions.defaults());
    }

    /**
     * Loads {@code instructions} (relocated) as {@code spec} says. First without a log (fast); when the kernel
     * refuses, again with a verifier log, growing the buffer while the kernel reports ENOSPC, and throws a
     * {@link VerifierException} holding the whole log.
     */
    static BpfProgram load(ProgramSpec spec, byte[] instructions, int btfFd, LoadOptions options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment insns = arena.allocate(instructions.length, 8);
            MemorySegment.copy(instructions, 0, insns, JAVA_BYTE, 0, instructions.length);
            MemorySegment license = arena.allocateFrom(spec.license() == null ? "" : spec.license());
            MemorySegment funcInfo = copy(arena, spec.funcInfo());
            MemorySegment lineInfo = copy(arena, spec.lineInfo());
            int attachType = spec.expectedAttachType() == null ? 0 : spec.expectedAttachType().kernelValue();

            int logSize = 0;                              // first attempt: no log, the fast path
            while (true) {
                MemorySegment log = logSize == 0 ? MemorySegment.NULL : arena.allocate(logSize);
                Bpf.ProgLoadResult result = Bpf.progLoad(spec.type().kernelValue(), attachType, spec.name(), insns,
                        license, btfFd, funcInfo, spec.funcInfoRecordSize(), lineInfo, spec.lineInfoRecordSize(),
                        log, options.logLevel());
                if (result.fdOrMinusErrno() >= 0) {
                    return new BpfProgram(spec.name(), spec.type(), spec.expectedAttachType(), new Fd(result.fdOrMinusErrno()));
                }
                int errno = -result.fdOrMinusErrno();
                if (logSize == 0) {
                    logSize = options.logSize();          // refused: load again to hear the verifier
                    continue;
                }
                boolean truncated = errno == Errno.ENOSPC || result.logTrueSize() > logSize;
                if (truncated && logSize < MAX_LOG_SIZE) {
                    logSize = (int) Math.min(MAX_LOG_SIZE, Math.max((long) logSize * 4, result.logTrueSize() + 1L));
                    continue;
                }
                String text = log.getString(0, StandardCharsets.UTF_8).strip();
                if (text.isEmpty()) {
                    throw new BpfException("BPF_PROG_LOAD", errno, "loading program \"" + spec.name() + "\" ("
                            + spec.type() + ")" + (errno == Errno.EPERM ? ": needs CAP_BPF and CAP_NET_ADMIN, or root" : "")
                            + (errno == Errno.EINVAL ? ": this kernel may not support the program type or attach type" : ""));
                }
                throw new VerifierException(errno, spec.name(), text);
            }
        }
    }

    private static MemorySegment copy(Arena arena, byte[] bytes) {
        if (bytes.length == 0) {
            return MemorySegment.NULL;
        }
        MemorySegment segment = arena.allocate(bytes.length, 8);
        MemorySegment.copy(bytes, 0, segment, JAVA_BYTE, 0, bytes.length);
        return segment;
    }

    /** Opens a program pinned at {@code path}. */
    public static BpfProgram openPinned(Path path) {
        Fd fd = new Fd(Bpf.objGet(path.toString(), 0, "opening pinned program \"" + path + "\""));
        try {
            ProgramInfo info = ProgramInfo.of(fd.value(), "reading the pinned object \"" + path + "\" as a program");
            ProgramType type = null;
            for (ProgramType candidate : ProgramType.values()) {
                if (candidate.kernelValue() == info.type()) {
                    type = candidate;
                }
            }
            if (type == null) {
                throw new BpfException("pinned program \"" + path + "\" has program type " + info.type()
                        + ", which navstar does not load");
            }
            return new BpfProgram(info.name(), type, null, fd);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    public String name() {
        return name;
    }

    public ProgramType type() {
        return type;
    }

    /** The attach type the program was loaded for, or null. */
    public AttachType expectedAttachType() {
        return expectedAttachType;
    }

    /** The descriptor number. */
    public int fd() {
        return fd.value();
    }

    /** What the kernel says about this program (id, tag, BTF id). */
    public ProgramInfo info() {
        return ProgramInfo.of(fd.value(), "reading info of program \"" + name + "\"");
    }

    /** Pins the program at {@code path}. */
    public void pin(Path path) {
        Bpf.objPin(fd.value(), path.toString(), "pinning program \"" + name + "\" at \"" + path + "\"");
    }

    // ------------------------------------------------------------------------------------------------ attach

    /** Attaches to XDP of the interface with {@code ifindex} in the calling thread's namespace. */
    public BpfLink attachXdp(int ifindex, XdpMode mode) {
        String what = "xdp of ifindex " + ifindex + " (" + mode.name().toLowerCase() + " mode) <- " + name;
        try {
            return new BpfLink(what, new Fd(Bpf.linkCreate(fd.value(), ifindex, AttachType.XDP.kernelValue(),
                    mode.flags(), "attaching program \"" + name + "\" to " + what)));
        } catch (BpfException e) {
            if (e.errno() == Errno.EOPNOTSUPP && mode == XdpMode.DRIVER) {
                throw new BpfException(e.command(), e.errno(), "attaching program \"" + name + "\" to " + what
                        + ": the driver has no native XDP; attach in XdpMode.GENERIC");
            }
            if (e.errno() == Errno.EBUSY) {
                throw new BpfException(e.command(), e.errno(), "attaching program \"" + name + "\" to " + what
                        + ": another XDP program is attached there (one per interface)");
            }
            throw e;
        }
    }

    /** Attaches to XDP of interface {@code ifname} inside {@code namespace} (on a thread that entered it). */
    public BpfLink attachXdp(NetworkNamespace namespace, String ifname, XdpMode mode) {
        return namespace.run(() -> {
            BpfLink link = attachXdp(Libc.ifNameToIndex(ifname), mode);
            return new BpfLink("xdp of " + ifname + " in " + namespace.path().getFileName() + " ("
                    + mode.name().toLowerCase() + " mode) <- " + name, new Fd(link.disown()));
        });
    }

    /** Attaches to tcx ingress or egress ({@link AttachType#TCX_INGRESS}/{@code TCX_EGRESS}) of {@code ifindex}. */
    public BpfLink attachTcx(int ifindex, AttachType direction) {
        if (direction != AttachType.TCX_INGRESS && direction != AttachType.TCX_EGRESS) {
            throw new IllegalArgumentException("tcx attaches at TCX_INGRESS or TCX_EGRESS, not " + direction);
        }
        String what = direction.name().toLowerCase().replace('_', ' ') + " of ifindex " + ifindex + " <- " + name;
        try {
            return new BpfLink(what, new Fd(Bpf.linkCreate(fd.value(), ifindex, direction.kernelValue(), 0,
                    "attaching program \"" + name + "\" to " + what)));
        } catch (BpfException e) {
            if (e.errno() == Errno.EINVAL && type != ProgramType.SCHED_CLS) {
                throw new BpfException(e.command(), e.errno(), "attaching program \"" + name + "\" to " + what
                        + ": tcx takes SCHED_CLS programs, this one is " + type);
            }
            if (e.errno() == Errno.EINVAL) {
                throw new BpfException(e.command(), e.errno(), "attaching program \"" + name + "\" to " + what
                        + ": tcx links need kernel 6.6 or newer (this is " + Features.kernelRelease() + ")");
            }
            throw e;
        }
    }

    /** Attaches to tcx of interface {@code ifname} inside {@code namespace}. */
    public BpfLink attachTcx(NetworkNamespace namespace, String ifname, AttachType direction) {
        return namespace.run(() -> {
            BpfLink link = attachTcx(Libc.ifNameToIndex(ifname), direction);
            return new BpfLink(direction.name().toLowerCase().replace('_', ' ') + " of " + ifname + " in "
                    + namespace.path().getFileName() + " <- " + name, new Fd(link.disown()));
        });
    }

    /**
     * Attaches to a cgroup v2 hook (connect4, sendmsg4, ...) of the cgroup directory {@code cgroup}. The hook is
     * {@code attachType}, or the program's expected attach type when null.
     */
    public BpfLink attachCgroup(Path cgroup, AttachType attachType) {
        AttachType hook = attachType != null ? attachType : expectedAttachType;
        if (hook == null) {
            throw new IllegalArgumentException("program " + name + " has no expected attach type: name the cgroup hook");
        }
        int cgroupFd = Libc.open(cgroup.toString(), Libc.O_RDONLY | Libc.O_DIRECTORY, "opening cgroup \"" + cgroup + "\"");
        try {
            String what = hook.name().toLowerCase() + " of cgroup " + cgroup + " <- " + name;
            return new BpfLink(what, new Fd(Bpf.linkCreate(fd.value(), cgroupFd, hook.kernelValue(), 0,
                    "attaching program \"" + name + "\" to " + what)));
        } finally {
            Libc.close(cgroupFd);
        }
    }

    // ---------------------------------------------------------------------------------------------- test run

    /** Runs the program once on {@code packet} (BPF_PROG_TEST_RUN); see {@link #testRun(byte[], int, int)}. */
    public TestRun testRun(byte[] packet) {
        return testRun(packet, 1, packet.length + 256);
    }

    /**
     * Runs the program {@code repeat} times on {@code packet} and returns the return value, the mean duration and
     * the output packet (up to {@code outputCapacity} bytes; ENOSPC if the program's output is larger).
     */
    public TestRun testRun(byte[] packet, int repeat, int outputCapacity) {
        return testRun(packet, null, 0, repeat, outputCapacity);
    }

    /**
     * As {@link #testRun(byte[], int, int)}, with an input context: the leading bytes of a {@code struct __sk_buff}
     * (tc) or {@code struct xdp_md} (XDP) whose settable fields (mark, priority, ifindex, cb, ...) the kernel
     * copies into the test run's context (net/bpf/test_run.c); null for none. {@code flags} are
     * BPF_PROG_TEST_RUN's ({@link Bpf#BPF_F_TEST_SKB_CHECKSUM_COMPLETE}: the skb arrives CHECKSUM_COMPLETE).
     */
    public TestRun testRun(byte[] packet, byte[] context, int flags, int repeat, int outputCapacity) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ctxIn = context == null ? MemorySegment.NULL
                    : arena.allocate(Math.max(1, context.length), 8).asSlice(0, context.length);
            if (context != null) {
                MemorySegment.copy(context, 0, ctxIn, JAVA_BYTE, 0, context.length);
            }
            MemorySegment in = arena.allocate(Math.max(1, packet.length), 8).asSlice(0, packet.length);
            MemorySegment.copy(packet, 0, in, JAVA_BYTE, 0, packet.length);
            MemorySegment out = arena.allocate(Math.max(1, outputCapacity), 8).asSlice(0, outputCapacity);
            Bpf.TestRunResult result = Bpf.progTestRun(fd.value(), in, out, ctxIn, flags, repeat,
                    "test-running program \"" + name + "\" on a " + packet.length + "-byte packet");
            byte[] dataOut = out.asSlice(0, Math.min(outputCapacity, result.dataSizeOut())).toArray(JAVA_BYTE);
            return new TestRun(result.returnValue(), result.durationNanos(), dataOut);
        }
    }

    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return "program " + name + " (" + type + ")";
    }
}
