package io.navstar.loader;

/**
 * What the kernel says about a live link ({@code struct bpf_link_info} from BPF_OBJ_GET_INFO_BY_FD).
 *
 * @param type      {@code enum bpf_link_type} (6 XDP, 3 CGROUP, 11 TCX, ...)
 * @param id        the link's id, as {@code bpftool link show} prints it
 * @param programId the id of the program it attaches
 * @param target    what it attaches the program to: the interface index of an XDP, tcx or netkit link (0 once the
 *                  interface is deleted: the link stays, attached to nothing), the cgroup id of a cgroup link (the id
 *                  of a removed cgroup stays); 0 for other link types
 */
public record LinkInfo(int type, int id, int programId, long target) {
    /** {@code BPF_LINK_TYPE_CGROUP}. */
    public static final int CGROUP = 3;
    /** {@code BPF_LINK_TYPE_XDP}. */
    public static final int XDP = 6;
    /** {@code BPF_LINK_TYPE_TCX}. */
    public static final int TCX = 11;
    /** {@code BPF_LINK_TYPE_NETKIT}. */
    public static final int NETKIT = 13;

    /** The link type's name from {@code enum bpf_link_type}. */
    public String typeName() {
        return switch (type) {
            case 1 -> "raw_tracepoint";
            case 2 -> "tracing";
            case 3 -> "cgroup";
            case 4 -> "iter";
            case 5 -> "netns";
            case 6 -> "xdp";
            case 7 -> "perf_event";
            case 8 -> "kprobe_multi";
            case 9 -> "struct_ops";
            case 10 -> "netfilter";
            case 11 -> "tcx";
            case 12 -> "uprobe_multi";
            case 13 -> "netkit";
            default -> "link type " + type;
        };
    }
}
