package io.navstar.loader.spec;

/**
 * The kernel's {@code enum bpf_prog_type} values navstar loads (include/uapi/linux/bpf.h).
 */
public enum ProgramType {
    SOCKET_FILTER(1),
    SCHED_CLS(3),
    SCHED_ACT(4),
    XDP(6),
    CGROUP_SKB(8),
    CGROUP_SOCK(9),
    CGROUP_SOCK_ADDR(18);

    private final int kernelValue;

    ProgramType(int kernelValue) {
        this.kernelValue = kernelValue;
    }

    /** The value of {@code enum bpf_prog_type}. */
    public int kernelValue() {
        return kernelValue;
    }
}
