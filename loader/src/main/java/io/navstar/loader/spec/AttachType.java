package io.navstar.loader.spec;

/**
 * The kernel's {@code enum bpf_attach_type} values navstar attaches with (include/uapi/linux/bpf.h).
 */
public enum AttachType {
    CGROUP_INET_INGRESS(0),
    CGROUP_INET_EGRESS(1),
    CGROUP_INET_SOCK_CREATE(2),
    CGROUP_INET4_CONNECT(10),
    CGROUP_INET6_CONNECT(11),
    CGROUP_UDP4_SENDMSG(14),
    CGROUP_UDP6_SENDMSG(15),
    CGROUP_UDP4_RECVMSG(19),
    CGROUP_UDP6_RECVMSG(20),
    CGROUP_INET4_GETPEERNAME(29),
    CGROUP_INET6_GETPEERNAME(30),
    CGROUP_INET4_GETSOCKNAME(31),
    CGROUP_INET6_GETSOCKNAME(32),
    XDP(37),
    TCX_INGRESS(46),
    TCX_EGRESS(47);

    private final int kernelValue;

    AttachType(int kernelValue) {
        this.kernelValue = kernelValue;
    }

    /** The value of {@code enum bpf_attach_type}. */
    public int kernelValue() {
        return kernelValue;
    }
}
