package io.navstar.loader;

import io.navstar.sys.Fd;
import io.navstar.sys.bpf.Bpf;

/**
 * The kernel's run-time statistics of every BPF program, on while this object is open: BPF_ENABLE_STATS with
 * BPF_STATS_RUN_TIME returns a descriptor that keeps {@code run_time_ns} and {@code run_cnt} counting in each
 * program's {@link ProgramInfo} until its last holder closes it (kernel/bpf/syscall.c, bpf_enable_runtime_stats;
 * the static key is shared with the kernel.bpf_stats_enabled sysctl and other holders, so counting may go on after
 * {@link #close()}). Counting costs every program run two clock reads, which is why it is off by default. Read the
 * counters twice and take the difference: they accumulate from the program's load.
 *
 * <p>Threading: {@link #close()} is safe from any thread and idempotent.
 */
public final class RunTimeStats implements AutoCloseable {
    private final Fd fd;

    private RunTimeStats(Fd fd) {
        this.fd = fd;
    }

    /** Turns run-time statistics on until {@link #close()} (needs CAP_SYS_ADMIN). */
    public static RunTimeStats enable() {
        return new RunTimeStats(new Fd(Bpf.enableStats(Bpf.BPF_STATS_RUN_TIME,
                "enabling BPF run-time statistics")));
    }

    @Override
    public void close() {
        fd.close();
    }
}
