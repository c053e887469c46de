package io.navstar.loader;

/**
 * What the kernel says about a live link ({@code struct bpf_link_info} from BPF_OBJ_GET_INFO_BY_FD).
 *
 * @param type      {@code enum bpf_link_type} (6 XDP, 3 CGROUP, 13 TCX, ...)
 * @param id        the link's id, as {@code bpftool link show} prints it
 * @param programId the id of the program it attaches
 */
public record LinkInfo(int type, int id, int programId) {

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
