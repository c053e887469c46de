package io.navstar.loader;

/**
 * The outcome of running a program once or {@code repeat} times on a crafted input with BPF_PROG_TEST_RUN
 * (Documentation/bpf/bpf_prog_run.rst).
 *
 * @param returnValue   the program's return value (XDP_PASS, TC_ACT_OK, 1 for allowed sock_addr, ...)
 * @param durationNanos the mean run time per repetition the kernel measured, in nanoseconds
 * @param dataOut       the packet as the program left it (rewritten, grown or shrunk)
 */
public record TestRun(int returnValue, int durationNanos, byte[] dataOut) {
}
