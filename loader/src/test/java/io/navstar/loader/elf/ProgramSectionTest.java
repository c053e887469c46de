package io.navstar.loader.elf;

import io.navstar.loader.spec.AttachType;
import io.navstar.loader.spec.ProgramType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Section names map to libbpf's program and attach types; anything else is unknown, matched exactly. */
class ProgramSectionTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "tc/ingress, SCHED_CLS, TCX_INGRESS",
            "tc/egress, SCHED_CLS, TCX_EGRESS",
            "classifier, SCHED_CLS, ",
            "action, SCHED_ACT, ",
            "cgroup_skb/ingress, CGROUP_SKB, CGROUP_INET_INGRESS",
            "cgroup_skb/egress, CGROUP_SKB, CGROUP_INET_EGRESS",
            "cgroup/skb, CGROUP_SKB, ",
            "cgroup/sock_create, CGROUP_SOCK, CGROUP_INET_SOCK_CREATE",
            "cgroup/sock, CGROUP_SOCK, CGROUP_INET_SOCK_CREATE",
    })
    void mapsAliasesAndOtherCgroupHooks(String name, ProgramType type, AttachType attach) {
        ProgramSection section = ProgramSection.of(name).orElseThrow();
        assertEquals(type, section.type());
        assertEquals(attach, section.attachType());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "xdp/", "xdp.frags", "tcx", "tcx/ingress2", "XDP", "kprobe/sys_open", "cgroup/connect"})
    void knowsNoOtherSectionName(String name) {
        assertTrue(ProgramSection.of(name).isEmpty(), name);
    }

    @Test
    void listsEachNameOnce() {
        Set<String> names = new HashSet<>();
        for (ProgramSection section : ProgramSection.known()) {
            assertTrue(names.add(section.name()), section.name());
        }
        assertEquals(24, names.size());
    }
}
