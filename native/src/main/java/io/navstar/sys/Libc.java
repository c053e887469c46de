package io.navstar.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The generic libc calls beside bpf(2): close, open, fcntl, mmap/munmap, epoll, poll, eventfd, read/write,
 * mount, setns, capget, if_nametoindex. Control-path wrappers throw {@link NativeException} naming the call and errno;
 * {@link #epollWait}, {@link #poll}, {@link #read} and {@link #write} return a count or minus errno and allocate
 * nothing. Threading: any thread; errno is per calling thread.
 */
public final class Libc {
    public static final int O_RDONLY = 0;
    public static final int O_DIRECTORY = 0x10000;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    /** fcntl(2) commands and the descriptor flag. */
    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    public static final int FD_CLOEXEC = 1;
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 1;
    public static final int EPOLL_CLOEXEC = 0x80000;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLLIN = 1;
    /** Edge-triggered: an event is reported once per change, not while the condition holds. */
    public static final int EPOLLET = 1 << 31;
    public static final int CLONE_NEWNET = 0x40000000;
    public static final int EFD_NONBLOCK = 0x800;
    public static final int EFD_CLOEXEC = 0x80000;
    /** poll(2) events: readable, error, hang-up, not open. */
    public static final short POLLIN = 0x1;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    public static final short POLLNVAL = 0x20;
    /** {@code struct pollfd { int fd; short events; short revents; }}: fd at 0, events at 4, revents at 6. */
    public static final long POLLFD_SIZE = 8;

    private static final MethodHandle CLOSE = Native.plain("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle OPEN = Native.capturing("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MMAP = Native.capturing("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = Native.plain("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle EPOLL_CREATE1 = Native.capturing("epoll_create1",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle EPOLL_CTL = Native.capturing("epoll_ctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle EPOLL_WAIT = Native.capturing("epoll_wait",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle MOUNT = Native.capturing("mount",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle UMOUNT2 = Native.capturing("umount2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SETNS = Native.capturing("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle CAPGET = Native.capturing("capget", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GETPAGESIZE = Native.plain("getpagesize", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle POLL = Native.capturing("poll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle EVENTFD = Native.capturing("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = Native.capturing("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = Native.capturing("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    /** int fcntl(int fd, int cmd, ... int arg): variadic from its third argument. */
    private static final MethodHandle FCNTL = Native.capturing("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IF_NAMETOINDEX = Native.capturing("if_nametoindex",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));

    /** struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16 bytes). */
    public static final long EPOLL_EVENT_SIZE = System.getProperty("os.arch").contains("64")
            && !System.getProperty("os.arch").equals("aarch64") ? 12 : 16;

    private Libc() {
    }

    /** getpagesize(2): the size mmap offsets and ring buffer pages are counted in. */
    public static int pageSize() {
        try {
            return (int) GETPAGESIZE.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** close(2); returns 0 or minus errno-less -1. Never throws (used by cleaners). */
    public static int close(int fd) {
        try {
            return (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** open(2) with O_CLOEXEC added; returns the descriptor or throws naming the path. */
    public static int open(String path, int flags, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            Native.Scratch scratch = Native.scratch();
            int fd = (int) OPEN.invokeExact(scratch.errnoState(), arena.allocateFrom(path), flags | O_CLOEXEC, 0);
            if (fd < 0) {
                throw new NativeException("open", scratch.errno(), operation);
            }
            return fd;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** mmap(2) of {@code length} bytes of {@code fd} at {@code offset}, shared; throws on failure. */
    @SuppressWarnings("restricted") // sizing the mapping the kernel just made
    public static MemorySegment mmap(long length, int prot, int fd, long offset, String operation) {
        try {
            Native.Scratch scratch = Native.scratch();
            MemorySegment address = (MemorySegment) MMAP.invokeExact(scratch.errnoState(), MemorySegment.NULL, length,
                    prot, MAP_SHARED, fd, offset);
            if (address.address() == -1L) {
                throw new NativeException("mmap", scratch.errno(), operation);
            }
            return address.reinterpret(length);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** munmap(2). */
    public static void munmap(MemorySegment mapping) {
        try {
            int ignored = (int) MUNMAP.invokeExact(mapping, mapping.byteSize());
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** epoll_create1(EPOLL_CLOEXEC). */
    public static int epollCreate(String operation) {
        try {
            Native.Scratch scratch = Native.scratch();
            int fd = (int) EPOLL_CREATE1.invokeExact(scratch.errnoState(), EPOLL_CLOEXEC);
            if (fd < 0) {
                throw new NativeException("epoll_create1", scratch.errno(), operation);
            }
            return fd;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** epoll_ctl(EPOLL_CTL_ADD) of {@code fd} for EPOLLIN, with {@code fd} as the event data. */
    public static void epollAdd(int epollFd, int fd, String operation) {
        epollAdd(epollFd, fd, EPOLLIN, operation);
    }

    /** epoll_ctl(EPOLL_CTL_ADD) of {@code fd} for {@code events} (EPOLLIN, EPOLLET...), with {@code fd} as the data. */
    public static void epollAdd(int epollFd, int fd, int events, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment event = arena.allocate(16, 8);
            event.set(JAVA_INT, 0, events);
            event.set(JAVA_INT, EPOLL_EVENT_SIZE == 12 ? 4 : 8, fd);
            Native.Scratch scratch = Native.scratch();
            int result = (int) EPOLL_CTL.invokeExact(scratch.errnoState(), epollFd, EPOLL_CTL_ADD, fd, event);
            if (result < 0) {
                throw new NativeException("epoll_ctl", scratch.errno(), operation);
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** epoll_wait(2) into {@code events} (room for {@code maxEvents}); the count, or minus errno. Allocates nothing. */
    public static int epollWait(int epollFd, MemorySegment events, int maxEvents, int timeoutMillis) {
        try {
            Native.Scratch scratch = Native.scratch();
            int result = (int) EPOLL_WAIT.invokeExact(scratch.errnoState(), epollFd, events, maxEvents, timeoutMillis);
            return result < 0 ? -scratch.errno() : result;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * poll(2) on {@code count} {@code struct pollfd}s ({@link #POLLFD_SIZE} bytes each); the number with events, 0
     * on timeout, or minus errno. Allocates nothing.
     */
    public static int poll(MemorySegment pollfds, int count, int timeoutMillis) {
        try {
            Native.Scratch scratch = Native.scratch();
            int result = (int) POLL.invokeExact(scratch.errnoState(), pollfds, (long) count, timeoutMillis);
            return result < 0 ? -scratch.errno() : result;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** eventfd(2) with EFD_CLOEXEC added; returns the descriptor or throws. */
    public static int eventfd(int initialValue, int flags, String operation) {
        try {
            Native.Scratch scratch = Native.scratch();
            int fd = (int) EVENTFD.invokeExact(scratch.errnoState(), initialValue, flags | EFD_CLOEXEC);
            if (fd < 0) {
                throw new NativeException("eventfd", scratch.errno(), operation);
            }
            return fd;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** read(2) of up to {@code length} bytes into {@code buffer}; bytes read or minus errno. Allocates nothing. */
    public static long read(int fd, MemorySegment buffer, long length) {
        try {
            Native.Scratch scratch = Native.scratch();
            long result = (long) READ.invokeExact(scratch.errnoState(), fd, buffer, length);
            return result < 0 ? -scratch.errno() : result;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** write(2) of {@code length} bytes of {@code buffer}; bytes written or minus errno. Allocates nothing. */
    public static long write(int fd, MemorySegment buffer, long length) {
        try {
            Native.Scratch scratch = Native.scratch();
            long result = (long) WRITE.invokeExact(scratch.errnoState(), fd, buffer, length);
            return result < 0 ? -scratch.errno() : result;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** fcntl(2) with an int argument (F_GETFL, F_SETFL, F_SETFD...); returns its result or throws. */
    public static int fcntl(int fd, int command, int argument, String operation) {
        try {
            Native.Scratch scratch = Native.scratch();
            int result = (int) FCNTL.invokeExact(scratch.errnoState(), fd, command, argument);
            if (result < 0) {
                throw new NativeException("fcntl", scratch.errno(), operation);
            }
            return result;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** mount(2); throws naming the target. */
    public static void mount(String source, String target, String fsType, long flags, String data, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            Native.Scratch scratch = Native.scratch();
            MemorySegment options = data == null ? MemorySegment.NULL : arena.allocateFrom(data);
            int result = (int) MOUNT.invokeExact(scratch.errnoState(), arena.allocateFrom(source),
                    arena.allocateFrom(target), arena.allocateFrom(fsType), flags, options);
            if (result < 0) {
                throw new NativeException("mount", scratch.errno(), operation);
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** umount2(2) with no flags; throws naming the target. */
    public static void umount(String target, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            Native.Scratch scratch = Native.scratch();
            int result = (int) UMOUNT2.invokeExact(scratch.errnoState(), arena.allocateFrom(target), 0);
            if (result < 0) {
                throw new NativeException("umount2", scratch.errno(), operation);
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** setns(2): moves the calling thread into the namespace behind {@code fd}. */
    public static void setns(int fd, int nsType, String operation) {
        try {
            Native.Scratch scratch = Native.scratch();
            int result = (int) SETNS.invokeExact(scratch.errnoState(), fd, nsType);
            if (result < 0) {
                throw new NativeException("setns", scratch.errno(), operation);
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * capget(2) of this process, version 3: the effective capability set as a 64-bit mask
     * (include/uapi/linux/capability.h).
     */
    public static long effectiveCapabilities() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment header = arena.allocate(8, 4);
            header.set(JAVA_INT, 0, 0x20080522);   // _LINUX_CAPABILITY_VERSION_3
            header.set(JAVA_INT, 4, 0);            // this process
            MemorySegment data = arena.allocate(24, 4); // two struct __user_cap_data_struct {effective, permitted, inheritable}
            Native.Scratch scratch = Native.scratch();
            int result = (int) CAPGET.invokeExact(scratch.errnoState(), header, data);
            if (result < 0) {
                throw new NativeException("capget", scratch.errno(), "reading this process's capabilities");
            }
            long low = Integer.toUnsignedLong(data.get(JAVA_INT, 0));
            long high = Integer.toUnsignedLong(data.get(JAVA_INT, 12));
            return low | (high << 32);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** if_nametoindex(3) in the calling thread's network namespace; throws naming the interface when absent. */
    public static int ifNameToIndex(String name) {
        try (Arena arena = Arena.ofConfined()) {
            Native.Scratch scratch = Native.scratch();
            int index = (int) IF_NAMETOINDEX.invokeExact(scratch.errnoState(), arena.allocateFrom(name));
            if (index == 0) {
                throw new NativeException("if_nametoindex", scratch.errno(), "resolving interface \"" + name + "\"");
            }
            return index;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
