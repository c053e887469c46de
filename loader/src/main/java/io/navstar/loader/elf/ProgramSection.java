package io.navstar.loader.elf;

import io.navstar.loader.spec.AttachType;
import io.navstar.loader.spec.ProgramType;

import java.util.List;
import java.util.Optional;

/**
 * The ELF section names navstar recognises as programs, and the program type and expected attach type
 * each implies: the names libbpf gives these hooks (libbpf's section_defs table, "Program types and ELF
 * Sections" in Documentation/bpf/libbpf/program_types.rst), matched exactly. Immutable.
 *
 * @param name       the section name
 * @param type       the program type for BPF_PROG_LOAD
 * @param attachType the expected_attach_type for BPF_PROG_LOAD, null when the type takes none
 */
public record ProgramSection(String name, ProgramType type, AttachType attachType) {

    private static final List<ProgramSection> KNOWN = List.of(
            new ProgramSection("xdp", ProgramType.XDP, AttachType.XDP),
            new ProgramSection("tcx/ingress", ProgramType.SCHED_CLS, AttachType.TCX_INGRESS),
            new ProgramSection("tcx/egress", ProgramType.SCHED_CLS, AttachType.TCX_EGRESS),
            new ProgramSection("tc/ingress", ProgramType.SCHED_CLS, AttachType.TCX_INGRESS),
            new ProgramSection("tc/egress", ProgramType.SCHED_CLS, AttachType.TCX_EGRESS),
            new ProgramSection("tc", ProgramType.SCHED_CLS, null),
            new ProgramSection("classifier", ProgramType.SCHED_CLS, null),
            new ProgramSection("action", ProgramType.SCHED_ACT, null),
            new ProgramSection("socket", ProgramType.SOCKET_FILTER, null),
            new ProgramSection("cgroup_skb/ingress", ProgramType.CGROUP_SKB, AttachType.CGROUP_INET_INGRESS),
            new ProgramSection("cgroup_skb/egress", ProgramType.CGROUP_SKB, AttachType.CGROUP_INET_EGRESS),
            new ProgramSection("cgroup/skb", ProgramType.CGROUP_SKB, null),
            new ProgramSection("cgroup/sock_create", ProgramType.CGROUP_SOCK, AttachType.CGROUP_INET_SOCK_CREATE),
            new ProgramSection("cgroup/sock", ProgramType.CGROUP_SOCK, AttachType.CGROUP_INET_SOCK_CREATE),
            new ProgramSection("cgroup/connect4", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_CONNECT),
            new ProgramSection("cgroup/connect6", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET6_CONNECT),
            new ProgramSection("cgroup/sendmsg4", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UDP4_SENDMSG),
            new ProgramSection("cgroup/sendmsg6", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UDP6_SENDMSG),
            new ProgramSection("cgroup/recvmsg4", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UDP4_RECVMSG),
            new ProgramSection("cgroup/recvmsg6", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UDP6_RECVMSG),
            new ProgramSection("cgroup/getpeername4", ProgramType.CGROUP_SOCK_ADDR,
                    AttachType.CGROUP_INET4_GETPEERNAME),
            new ProgramSection("cgroup/getpeername6", ProgramType.CGROUP_SOCK_ADDR,
                    AttachType.CGROUP_INET6_GETPEERNAME),
            new ProgramSection("cgroup/getsockname4", ProgramType.CGROUP_SOCK_ADDR,
                    AttachType.CGROUP_INET4_GETSOCKNAME),
            new ProgramSection("cgroup/getsockname6", ProgramType.CGROUP_SOCK_ADDR,
                    AttachType.CGROUP_INET6_GETSOCKNAME));

    /** Every section name navstar loads programs from. */
    public static List<ProgramSection> known() {
        return KNOWN;
    }

    /** The program kind this section name implies, if navstar knows it. */
    public static Optional<ProgramSection> of(String sectionName) {
        for (ProgramSection section : KNOWN) {
            if (section.name.equals(sectionName)) {
                return Optional.of(section);
            }
        }
        return Optional.empty();
    }
}
