package io.navstar.sys.bpf;

import io.navstar.sys.Errno;
import io.navstar.sys.Native;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

import static io.navstar.sys.bpf.BpfAttr.*;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * bpf(2) through {@code syscall(SYS_bpf, cmd, &attr, size)}, one typed method per command
 * (Documentation/userspace-api/ebpf/syscall.rst; include/uapi/linux/bpf.h).
 *
 * <p>Two kinds of method. Control-path methods build their {@code bpf_attr} in a confined arena and throw
 * {@link BpfException} naming the command, the errno and the caller's {@code operation} text. Hot-path methods
 * ({@link #mapLookupElem}, {@link #mapUpdateElem}, {@link #mapDeleteElem}, {@link #mapGetNextKey}) fill the
 * calling thread's preallocated attr, allocate nothing, and return 0 or a negative errno.
 *
 * <p>Threading: every method may be called from any thread; errno is captured into the calling thread's own
 * segment ({@link Native.Scratch}).
 */
public final class Bpf {
    /** Command numbers of {@code enum bpf_cmd}. */
    public static final int BPF_MAP_CREATE = 0;
    public static final int BPF_MAP_LOOKUP_ELEM = 1;
    public static final int BPF_MAP_UPDATE_ELEM = 2;
    public static final int BPF_MAP_DELETE_ELEM = 3;
    public static final int BPF_MAP_GET_NEXT_KEY = 4;
    public static final int BPF_PROG_LOAD = 5;
    public static final int BPF_OBJ_PIN = 6;
    public static final int BPF_OBJ_GET = 7;
    public static final int BPF_PROG_TEST_RUN = 10;
    public static final int BPF_PROG_GET_NEXT_ID = 11;
    public static final int BPF_PROG_GET_FD_BY_ID = 13;
    public static final int BPF_MAP_GET_FD_BY_ID = 14;
    public static final int BPF_OBJ_GET_INFO_BY_FD = 15;
    public static final int BPF_BTF_LOAD = 18;
    public static final int BPF_MAP_FREEZE = 22;
    public static final int BPF_MAP_LOOKUP_BATCH = 24;
    public static final int BPF_MAP_UPDATE_BATCH = 26;
    public static final int BPF_MAP_DELETE_BATCH = 27;
    public static final int BPF_LINK_CREATE = 28;
    public static final int BPF_ENABLE_STATS = 32;
    public static final int BPF_LINK_DETACH = 34;

    /** {@code enum bpf_stats_type}: run_time_ns and run_cnt of every program (BPF_ENABLE_STATS). */
    public static final int BPF_STATS_RUN_TIME = 0;

    /** Map update flags. */
    public static final long BPF_ANY = 0;
    public static final long BPF_NOEXIST = 1;
    public static final long BPF_EXIST = 2;

    /** BPF_OBJ_GET file_flags. */
    public static final int BPF_F_RDONLY = 1 << 3;

    private static final long SYS_BPF = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> 321;
        case "aarch64" -> 280;
        default -> throw new ExceptionInInitializerError("no SYS_bpf number known for " + System.getProperty("os.arch"));
    };

    /** {@code long syscall(long number, ...)}: variadic from the second argument on. */
    private static final MethodHandle SYSCALL = Native.capturing("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG),
            Linker.Option.firstVariadicArg(1));

    private Bpf() {
    }

    // ---------------------------------------------------------------------------------------------- raw call

    /** One bpf(2) call; returns its result, or minus errno on failure. Allocates nothing. */
    private static long raw(Native.Scratch scratch, int command, MemorySegment attr, long size) {
        try {
            long result = (long) SYSCALL.invokeExact(scratch.errnoState(), SYS_BPF, (long) command, attr, size);
            return result < 0 ? -scratch.errno() : result;
        } catch (Throwable t) {
            throw new AssertionError("syscall downcall failed", t);
        }
    }

    /** One bpf(2) call on the control path; throws naming the command and operation on failure. */
    private static int call(int command, MemorySegment attr, StructLayout layout, String operation) {
        long result = raw(Native.scratch(), command, attr, layout.byteSize());
        if (result < 0) {
            throw new BpfException(commandName(command), (int) -result, operation);
        }
        return (int) result;
    }

    /** The name of a command, as bpf.h spells it. */
    public static String commandName(int command) {
        return switch (command) {
            case BPF_MAP_CREATE -> "BPF_MAP_CREATE";
            case BPF_MAP_LOOKUP_ELEM -> "BPF_MAP_LOOKUP_ELEM";
            case BPF_MAP_UPDATE_ELEM -> "BPF_MAP_UPDATE_ELEM";
            case BPF_MAP_DELETE_ELEM -> "BPF_MAP_DELETE_ELEM";
            case BPF_MAP_GET_NEXT_KEY -> "BPF_MAP_GET_NEXT_KEY";
            case BPF_PROG_LOAD -> "BPF_PROG_LOAD";
            case BPF_OBJ_PIN -> "BPF_OBJ_PIN";
            case BPF_OBJ_GET -> "BPF_OBJ_GET";
            case BPF_PROG_TEST_RUN -> "BPF_PROG_TEST_RUN";
            case BPF_PROG_GET_NEXT_ID -> "BPF_PROG_GET_NEXT_ID";
            case BPF_PROG_GET_FD_BY_ID -> "BPF_PROG_GET_FD_BY_ID";
            case BPF_MAP_GET_FD_BY_ID -> "BPF_MAP_GET_FD_BY_ID";
            case BPF_OBJ_GET_INFO_BY_FD -> "BPF_OBJ_GET_INFO_BY_FD";
            case BPF_BTF_LOAD -> "BPF_BTF_LOAD";
            case BPF_MAP_FREEZE -> "BPF_MAP_FREEZE";
            case BPF_MAP_LOOKUP_BATCH -> "BPF_MAP_LOOKUP_BATCH";
            case BPF_MAP_UPDATE_BATCH -> "BPF_MAP_UPDATE_BATCH";
            case BPF_MAP_DELETE_BATCH -> "BPF_MAP_DELETE_BATCH";
            case BPF_LINK_CREATE -> "BPF_LINK_CREATE";
            case BPF_ENABLE_STATS -> "BPF_ENABLE_STATS";
            case BPF_LINK_DETACH -> "BPF_LINK_DETACH";
            default -> "bpf command " + command;
        };
    }

    // ------------------------------------------------------------------------------------------ maps: control

    /**
     * BPF_MAP_CREATE. Returns the new map's descriptor (the caller owns it).
     *
     * @param name up to 15 characters of [A-Za-z0-9_.]; longer names are cut
     */
    public static int mapCreate(int mapType, int keySize, int valueSize, int maxEntries, int flags, int innerMapFd,
                                String name, int btfFd, int btfKeyTypeId, int btfValueTypeId, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(MAP_CREATE);
            attr.set(JAVA_INT, MAP_CREATE_TYPE, mapType);
            attr.set(JAVA_INT, MAP_CREATE_KEY_SIZE, keySize);
            attr.set(JAVA_INT, MAP_CREATE_VALUE_SIZE, valueSize);
            attr.set(JAVA_INT, MAP_CREATE_MAX_ENTRIES, maxEntries);
            attr.set(JAVA_INT, MAP_CREATE_FLAGS, flags);
            attr.set(JAVA_INT, MAP_CREATE_INNER_MAP_FD, innerMapFd);
            writeName(attr, MAP_CREATE_NAME, name);
            if (btfFd > 0) {
                attr.set(JAVA_INT, MAP_CREATE_BTF_FD, btfFd);
                attr.set(JAVA_INT, MAP_CREATE_BTF_KEY, btfKeyTypeId);
                attr.set(JAVA_INT, MAP_CREATE_BTF_VALUE, btfValueTypeId);
            }
            return call(BPF_MAP_CREATE, attr, MAP_CREATE, operation);
        }
    }

    /** BPF_MAP_FREEZE: user space may no longer write the map (used for .rodata after its initial write). */
    public static void mapFreeze(int mapFd, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(FD_ONLY);
            attr.set(JAVA_INT, FD_ONLY_FD, mapFd);
            call(BPF_MAP_FREEZE, attr, FD_ONLY, operation);
        }
    }

    // ----------------------------------------------------------------------------------------- maps: hot path

    /** BPF_MAP_LOOKUP_ELEM into {@code value}; 0, or -ENOENT when absent, or another negative errno. */
    public static int mapLookupElem(int mapFd, MemorySegment key, MemorySegment value) {
        return elem(BPF_MAP_LOOKUP_ELEM, mapFd, key.address(), value.address(), 0);
    }

    /** BPF_MAP_UPDATE_ELEM with {@link #BPF_ANY}, {@link #BPF_NOEXIST} or {@link #BPF_EXIST}; 0 or minus errno. */
    public static int mapUpdateElem(int mapFd, MemorySegment key, MemorySegment value, long flags) {
        return elem(BPF_MAP_UPDATE_ELEM, mapFd, key.address(), value.address(), flags);
    }

    /** BPF_MAP_DELETE_ELEM; 0, -ENOENT when absent, or another negative errno. */
    public static int mapDeleteElem(int mapFd, MemorySegment key) {
        return elem(BPF_MAP_DELETE_ELEM, mapFd, key.address(), 0, 0);
    }

    /**
     * BPF_MAP_GET_NEXT_KEY: the key after {@code key} (or the first key when {@code key} is
     * {@link MemorySegment#NULL}) into {@code nextKey}; 0, -ENOENT after the last key, or another negative errno.
     */
    public static int mapGetNextKey(int mapFd, MemorySegment key, MemorySegment nextKey) {
        return elem(BPF_MAP_GET_NEXT_KEY, mapFd, key.address(), nextKey.address(), 0);
    }

    /** {@link #mapLookupElem} with raw addresses, for flyweights whose bounds were checked when wrapped. */
    public static int mapLookupElem(int mapFd, long keyAddress, long valueAddress) {
        return elem(BPF_MAP_LOOKUP_ELEM, mapFd, keyAddress, valueAddress, 0);
    }

    /** {@link #mapUpdateElem} with raw addresses, for flyweights whose bounds were checked when wrapped. */
    public static int mapUpdateElem(int mapFd, long keyAddress, long valueAddress, long flags) {
        return elem(BPF_MAP_UPDATE_ELEM, mapFd, keyAddress, valueAddress, flags);
    }

    /** {@link #mapDeleteElem} with a raw address, for flyweights whose bounds were checked when wrapped. */
    public static int mapDeleteElem(int mapFd, long keyAddress) {
        return elem(BPF_MAP_DELETE_ELEM, mapFd, keyAddress, 0, 0);
    }

    /** {@link #mapGetNextKey} with raw addresses (0 for the first key). */
    public static int mapGetNextKey(int mapFd, long keyAddress, long nextKeyAddress) {
        return elem(BPF_MAP_GET_NEXT_KEY, mapFd, keyAddress, nextKeyAddress, 0);
    }

    private static int elem(int command, int mapFd, long key, long value, long flags) {
        Native.Scratch scratch = Native.scratch();
        MemorySegment attr = scratch.attr();
        attr.set(JAVA_LONG, 0, 0L);                  // map_fd and its padding
        attr.set(JAVA_INT, ELEM_MAP_FD, mapFd);
        attr.set(JAVA_LONG, ELEM_KEY, key);
        attr.set(JAVA_LONG, ELEM_VALUE, value);
        attr.set(JAVA_LONG, ELEM_FLAGS, flags);
        return (int) raw(scratch, command, attr, MAP_ELEM.byteSize());
    }

    // -------------------------------------------------------------------------------------------- maps: batch

    /** Bit set in {@link #mapLookupBatch}'s result when the kernel reported the end of the map (ENOENT). */
    public static final long BATCH_END = 1L << 32;

    /**
     * BPF_MAP_LOOKUP_BATCH: up to {@code count} entries after {@code inBatch} (NULL to start) into
     * {@code keys}/{@code values}, the resume token into {@code outBatch}. Returns the number read in the low 32
     * bits, with {@link #BATCH_END} set when the walk is finished. Throws on any error but ENOENT.
     */
    public static long mapLookupBatch(int mapFd, MemorySegment inBatch, MemorySegment outBatch, MemorySegment keys,
                                      MemorySegment values, int count, String operation) {
        Native.Scratch scratch = Native.scratch();
        MemorySegment attr = batchAttr(scratch, mapFd, keys, values, count, 0);
        attr.set(JAVA_LONG, BATCH_IN, inBatch.address());
        attr.set(JAVA_LONG, BATCH_OUT, outBatch.address());
        long result = raw(scratch, BPF_MAP_LOOKUP_BATCH, attr, MAP_BATCH.byteSize());
        int done = attr.get(JAVA_INT, BATCH_COUNT);
        if (result == -Errno.ENOENT) {
            return BATCH_END | done;
        }
        if (result < 0) {
            throw new BpfException("BPF_MAP_LOOKUP_BATCH", (int) -result, operation);
        }
        return done;
    }

    /** BPF_MAP_UPDATE_BATCH of {@code count} keys and values; returns how many were written, throws on error. */
    public static int mapUpdateBatch(int mapFd, MemorySegment keys, MemorySegment values, int count, long elemFlags,
                                     String operation) {
        Native.Scratch scratch = Native.scratch();
        MemorySegment attr = batchAttr(scratch, mapFd, keys, values, count, elemFlags);
        long result = raw(scratch, BPF_MAP_UPDATE_BATCH, attr, MAP_BATCH.byteSize());
        if (result < 0) {
            throw new BpfException("BPF_MAP_UPDATE_BATCH", (int) -result,
                    operation + " (" + attr.get(JAVA_INT, BATCH_COUNT) + " of " + count + " written)");
        }
        return attr.get(JAVA_INT, BATCH_COUNT);
    }

    /** BPF_MAP_DELETE_BATCH of {@code count} keys; returns how many were deleted, throws on error. */
    public static int mapDeleteBatch(int mapFd, MemorySegment keys, int count, String operation) {
        Native.Scratch scratch = Native.scratch();
        MemorySegment attr = batchAttr(scratch, mapFd, keys, MemorySegment.NULL, count, 0);
        long result = raw(scratch, BPF_MAP_DELETE_BATCH, attr, MAP_BATCH.byteSize());
        if (result < 0) {
            throw new BpfException("BPF_MAP_DELETE_BATCH", (int) -result,
                    operation + " (" + attr.get(JAVA_INT, BATCH_COUNT) + " of " + count + " deleted)");
        }
        return attr.get(JAVA_INT, BATCH_COUNT);
    }

    private static MemorySegment batchAttr(Native.Scratch scratch, int mapFd, MemorySegment keys,
                                           MemorySegment values, int count, long elemFlags) {
        MemorySegment attr = scratch.attr();
        attr.asSlice(0, MAP_BATCH.byteSize()).fill((byte) 0);
        attr.set(JAVA_LONG, BATCH_KEYS, keys.address());
        attr.set(JAVA_LONG, BATCH_VALUES, values.address());
        attr.set(JAVA_INT, BATCH_COUNT, count);
        attr.set(JAVA_INT, BATCH_MAP_FD, mapFd);
        attr.set(JAVA_LONG, BATCH_ELEM_FLAGS, elemFlags);
        return attr;
    }

    // ------------------------------------------------------------------------------------------------ programs

    /** The outcome of one BPF_PROG_LOAD attempt: the descriptor, or minus errno and the size the log needed. */
    public record ProgLoadResult(int fdOrMinusErrno, int logTrueSize) {
    }

    /**
     * One BPF_PROG_LOAD attempt; the caller retries with a larger log when the log did not fit (ENOSPC).
     * {@code insns}, {@code license} (NUL-terminated), {@code funcInfo} and {@code lineInfo} must be native.
     */
    public static ProgLoadResult progLoad(int progType, int expectedAttachType, String name, MemorySegment insns,
                                          MemorySegment license, int btfFd, MemorySegment funcInfo,
                                          int funcInfoRecSize, MemorySegment lineInfo, int lineInfoRecSize,
                                          MemorySegment logBuf, int logLevel) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(PROG_LOAD);
            attr.set(JAVA_INT, PROG_TYPE, progType);
            attr.set(JAVA_INT, PROG_INSN_CNT, (int) (insns.byteSize() / 8));
            attr.set(JAVA_LONG, PROG_INSNS, insns.address());
            attr.set(JAVA_LONG, PROG_LICENSE, license.address());
            if (logBuf.byteSize() > 0) {
                attr.set(JAVA_INT, PROG_LOG_LEVEL, logLevel);
                attr.set(JAVA_INT, PROG_LOG_SIZE, (int) logBuf.byteSize());
                attr.set(JAVA_LONG, PROG_LOG_BUF, logBuf.address());
            }
            writeName(attr, PROG_NAME, name);
            attr.set(JAVA_INT, PROG_EXPECTED_ATTACH_TYPE, expectedAttachType);
            if (btfFd > 0) {
                attr.set(JAVA_INT, PROG_BTF_FD, btfFd);
                if (funcInfoRecSize > 0 && funcInfo.byteSize() > 0) {
                    attr.set(JAVA_INT, PROG_FUNC_INFO_REC_SIZE, funcInfoRecSize);
                    attr.set(JAVA_LONG, PROG_FUNC_INFO, funcInfo.address());
                    attr.set(JAVA_INT, PROG_FUNC_INFO_CNT, (int) (funcInfo.byteSize() / funcInfoRecSize));
                }
                if (lineInfoRecSize > 0 && lineInfo.byteSize() > 0) {
                    attr.set(JAVA_INT, PROG_LINE_INFO_REC_SIZE, lineInfoRecSize);
                    attr.set(JAVA_LONG, PROG_LINE_INFO, lineInfo.address());
                    attr.set(JAVA_INT, PROG_LINE_INFO_CNT, (int) (lineInfo.byteSize() / lineInfoRecSize));
                }
            }
            long result = raw(Native.scratch(), BPF_PROG_LOAD, attr, PROG_LOAD.byteSize());
            return new ProgLoadResult((int) result, attr.get(JAVA_INT, PROG_LOG_TRUE_SIZE));
        }
    }

    /** The outcome of BPF_PROG_TEST_RUN. */
    public record TestRunResult(int returnValue, int durationNanos, int dataSizeOut) {
    }

    /** BPF_PROG_TEST_RUN with {@code dataIn}, output into {@code dataOut} (may be NULL), {@code repeat} times. */
    public static TestRunResult progTestRun(int progFd, MemorySegment dataIn, MemorySegment dataOut, int repeat,
                                            String operation) {
        return progTestRun(progFd, dataIn, dataOut, MemorySegment.NULL, 0, repeat, operation);
    }

    /** BPF_F_TEST_SKB_CHECKSUM_COMPLETE: the test skb arrives with ip_summed CHECKSUM_COMPLETE (kernel 6.11). */
    public static final int BPF_F_TEST_SKB_CHECKSUM_COMPLETE = 1 << 2;

    /**
     * BPF_PROG_TEST_RUN with an input context ({@code ctxIn}: a struct __sk_buff or xdp_md prefix whose fields
     * the kernel copies into the test skb, net/bpf/test_run.c convert___skb_to_skb; NULL for none) and flags
     * ({@link #BPF_F_TEST_SKB_CHECKSUM_COMPLETE}; 0 for none).
     */
    public static TestRunResult progTestRun(int progFd, MemorySegment dataIn, MemorySegment dataOut,
                                            MemorySegment ctxIn, int flags, int repeat, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(TEST_RUN);
            attr.set(JAVA_INT, TEST_PROG_FD, progFd);
            attr.set(JAVA_INT, TEST_DATA_SIZE_IN, (int) dataIn.byteSize());
            attr.set(JAVA_LONG, TEST_DATA_IN, dataIn.address());
            attr.set(JAVA_INT, TEST_DATA_SIZE_OUT, (int) dataOut.byteSize());
            attr.set(JAVA_LONG, TEST_DATA_OUT, dataOut.address());
            attr.set(JAVA_INT, TEST_REPEAT, repeat);
            attr.set(JAVA_INT, TEST_FLAGS, flags);
            if (ctxIn.address() != 0) {
                attr.set(JAVA_INT, TEST_CTX_SIZE_IN, (int) ctxIn.byteSize());
                attr.set(JAVA_LONG, TEST_CTX_IN, ctxIn.address());
            }
            call(BPF_PROG_TEST_RUN, attr, TEST_RUN, operation);
            return new TestRunResult(attr.get(JAVA_INT, TEST_RETVAL), attr.get(JAVA_INT, TEST_DURATION),
                    attr.get(JAVA_INT, TEST_DATA_SIZE_OUT));
        }
    }

    /**
     * BPF_PROG_GET_NEXT_ID: the id of the loaded program after {@code startId} (0 for the first), or 0 after the
     * last one (ENOENT).
     */
    public static int progGetNextId(int startId, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(GET_ID);
            attr.set(JAVA_INT, GET_ID_START_ID, startId);
            long result = raw(Native.scratch(), BPF_PROG_GET_NEXT_ID, attr, GET_ID.byteSize());
            if (result == -Errno.ENOENT) {
                return 0;
            }
            if (result < 0) {
                throw new BpfException("BPF_PROG_GET_NEXT_ID", (int) -result, operation);
            }
            return attr.get(JAVA_INT, GET_ID_NEXT_ID);
        }
    }

    /** BPF_PROG_GET_FD_BY_ID: a new descriptor (the caller owns it) of the loaded program with that id. */
    public static int progGetFdById(int id, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(GET_ID);
            attr.set(JAVA_INT, GET_ID_START_ID, id);
            return call(BPF_PROG_GET_FD_BY_ID, attr, GET_ID, operation);
        }
    }

    /**
     * BPF_MAP_GET_FD_BY_ID: a new descriptor (the caller owns it) of the map with that id, such as the inner map id
     * a map of maps gives user space for a slot (attr.map_id shares start_id's place in the union).
     */
    public static int mapGetFdById(int id, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(GET_ID);
            attr.set(JAVA_INT, GET_ID_START_ID, id);
            return call(BPF_MAP_GET_FD_BY_ID, attr, GET_ID, operation);
        }
    }

    /**
     * BPF_ENABLE_STATS: turns on the statistics of {@code type} ({@link #BPF_STATS_RUN_TIME}: every program's
     * run_time_ns and run_cnt in bpf_prog_info) for as long as the returned descriptor is open (the caller owns
     * it). Counting costs each program run two clock reads, so it is off unless someone holds such a descriptor
     * or sets the kernel.bpf_stats_enabled sysctl.
     */
    public static int enableStats(int type, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ENABLE_STATS);
            attr.set(JAVA_INT, ENABLE_STATS_TYPE, type);
            return call(BPF_ENABLE_STATS, attr, ENABLE_STATS, operation);
        }
    }

    // ------------------------------------------------------------------------------------------------ objects

    /** BPF_OBJ_PIN: pins the map, program or link behind {@code fd} at a path on a bpffs. */
    public static void objPin(int fd, String path, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(OBJ);
            attr.set(JAVA_LONG, OBJ_PATHNAME, arena.allocateFrom(path).address());
            attr.set(JAVA_INT, OBJ_BPF_FD, fd);
            call(BPF_OBJ_PIN, attr, OBJ, operation);
        }
    }

    /** BPF_OBJ_GET: opens the object pinned at a path; returns a new descriptor the caller owns. */
    public static int objGet(String path, int fileFlags, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(OBJ);
            attr.set(JAVA_LONG, OBJ_PATHNAME, arena.allocateFrom(path).address());
            attr.set(JAVA_INT, OBJ_FILE_FLAGS, fileFlags);
            return call(BPF_OBJ_GET, attr, OBJ, operation);
        }
    }

    /** BPF_OBJ_GET_INFO_BY_FD into {@code info} (a bpf_map_info, bpf_prog_info or bpf_link_info buffer). */
    public static void objGetInfoByFd(int fd, MemorySegment info, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(INFO);
            attr.set(JAVA_INT, INFO_FD, fd);
            attr.set(JAVA_INT, INFO_LEN, (int) info.byteSize());
            attr.set(JAVA_LONG, INFO_PTR, info.address());
            call(BPF_OBJ_GET_INFO_BY_FD, attr, INFO, operation);
        }
    }

    /** The outcome of one BPF_BTF_LOAD attempt: the descriptor, or minus errno. */
    public static int btfLoad(MemorySegment btf, MemorySegment logBuf) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(BTF_LOAD);
            attr.set(JAVA_LONG, BTF_DATA, btf.address());
            attr.set(JAVA_INT, BTF_SIZE, (int) btf.byteSize());
            if (logBuf.byteSize() > 0) {
                attr.set(JAVA_LONG, BTF_LOG_BUF, logBuf.address());
                attr.set(JAVA_INT, BTF_LOG_SIZE, (int) logBuf.byteSize());
                attr.set(JAVA_INT, BTF_LOG_LEVEL, 1);
            }
            return (int) raw(Native.scratch(), BPF_BTF_LOAD, attr, BTF_LOAD.byteSize());
        }
    }

    // --------------------------------------------------------------------------------------------------- links

    /** BPF_LINK_CREATE; returns the link's descriptor. {@code target} is an ifindex or a cgroup descriptor. */
    public static int linkCreate(int progFd, int target, int attachType, int flags, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(LINK_CREATE);
            attr.set(JAVA_INT, LINK_PROG_FD, progFd);
            attr.set(JAVA_INT, LINK_TARGET, target);
            attr.set(JAVA_INT, LINK_ATTACH_TYPE, attachType);
            attr.set(JAVA_INT, LINK_FLAGS, flags);
            return call(BPF_LINK_CREATE, attr, LINK_CREATE, operation);
        }
    }

    /** BPF_LINK_DETACH: the program leaves its hook; the link stays (defunct) until its last descriptor closes. */
    public static void linkDetach(int linkFd, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(FD_ONLY);
            attr.set(JAVA_INT, FD_ONLY_FD, linkFd);
            call(BPF_LINK_DETACH, attr, FD_ONLY, operation);
        }
    }

    // ------------------------------------------------------------------------------------------------- helpers

    /** Writes a kernel object name: at most 15 bytes of [A-Za-z0-9_.], others replaced by '_', NUL-padded. */
    static void writeName(MemorySegment attr, long offset, String name) {
        byte[] bytes = objectName(name).getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(bytes, 0, attr, JAVA_BYTE, offset, bytes.length);
    }

    /** The name the kernel will accept for an object called {@code name} (BPF_OBJ_NAME_LEN is 16 with the NUL). */
    public static String objectName(String name) {
        StringBuilder out = new StringBuilder(15);
        for (int i = 0; i < name.length() && out.length() < 15; i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
            out.append(ok ? c : '_');
        }
        return out.toString();
    }
}
