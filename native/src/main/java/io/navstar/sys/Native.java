package io.navstar.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The FFM plumbing every downcall shares: the native linker, libc symbol lookup, and the per-thread scratch
 * that holds the captured errno and a bpf_attr buffer for hot-path calls.
 *
 * <p>Threading: {@link #scratch()} returns the calling thread's own segments (a {@link ThreadLocal}), so two
 * threads never read each other's errno; the segments live in an automatic arena and go when the thread does.
 */
public final class Native {
    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LIBC = LINKER.defaultLookup();
    /** {@code Linker.Option.captureCallState("errno")}: the first argument of capturing handles. */
    static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    /** Bytes of bpf_attr scratch per thread: larger than every command layout {@code Bpf} fills. */
    static final long ATTR_SCRATCH_SIZE = 256;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Native() {
    }

    /** The calling thread's scratch segments. */
    public static Scratch scratch() {
        return SCRATCH.get();
    }

    /**
     * A capture segment of its own, for a caller that keeps one per socket or per loop (a hot path that should
     * not look up the thread's scratch on every call). Confine it as the arena is confined.
     */
    public static MemorySegment newErrnoState(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    /** The errno the last capturing call that was given {@code errnoState} left there. */
    public static int errno(MemorySegment errnoState) {
        return (int) ERRNO.get(errnoState, 0L);
    }

    /** A downcall handle for a libc function, capturing errno (its first parameter becomes the capture segment). */
    @SuppressWarnings("restricted") // native access is this module's purpose; see the JVM flags in the root pom
    public static MethodHandle capturing(String name, FunctionDescriptor descriptor, Linker.Option... more) {
        Linker.Option[] options = new Linker.Option[more.length + 1];
        options[0] = CAPTURE_ERRNO;
        System.arraycopy(more, 0, options, 1, more.length);
        return LINKER.downcallHandle(symbol(name), descriptor, options);
    }

    /** A downcall handle for a libc function that sets no errno worth reading. */
    @SuppressWarnings("restricted")
    public static MethodHandle plain(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(name), descriptor);
    }

    private static MemorySegment symbol(String name) {
        return LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }

    /**
     * One thread's native scratch: the errno capture segment and a zeroable bpf_attr buffer. Owned by that
     * thread; never hand it to another.
     */
    public static final class Scratch {
        final MemorySegment errnoState;
        final MemorySegment attr;

        Scratch() {
            Arena arena = Arena.ofAuto();
            this.errnoState = arena.allocate(CAPTURE_LAYOUT);
            this.attr = arena.allocate(ATTR_SCRATCH_SIZE, 8);
        }

        /** The errno the last capturing call on this thread left. */
        public int errno() {
            return (int) ERRNO.get(errnoState, 0L);
        }

        /** The capture segment to pass as the first argument of a capturing handle. */
        public MemorySegment errnoState() {
            return errnoState;
        }

        /** The zeroable bpf_attr buffer for hot-path bpf(2) calls. */
        public MemorySegment attr() {
            return attr;
        }
    }
}
