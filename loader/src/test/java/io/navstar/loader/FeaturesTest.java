package io.navstar.loader;

import io.navstar.sys.bpf.BpfException;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeaturesTest {

    @Test
    void unprivilegedProcessIsToldWhichCapabilitiesToGrant() {
        String problem = Features.privilegeProblem(0).orElseThrow();
        assertTrue(problem.startsWith("not privileged: this process lacks CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON."), problem);
        assertTrue(problem.contains("Run as root"), problem);
    }

    @Test
    void capBpfNetAdminAndPerfmonAreEnough() {
        long caps = (1L << Features.CAP_BPF) | (1L << Features.CAP_NET_ADMIN) | (1L << Features.CAP_PERFMON);
        assertTrue(Features.privilegeProblem(caps).isEmpty());
        long withoutNetAdmin = (1L << Features.CAP_BPF) | (1L << Features.CAP_PERFMON);
        assertEquals("not privileged: this process lacks CAP_NET_ADMIN.",
                Features.privilegeProblem(withoutNetAdmin).orElseThrow().substring(0, 49));
    }

    @Test
    void oldKernelIsNamedWithTheVersionNeeded() {
        String problem = Features.kernelProblem("5.15.0-91-generic").orElseThrow();
        assertTrue(problem.startsWith("kernel 5.15.0-91-generic is too old: navstar needs 6.6 or newer"), problem);
        assertTrue(Features.kernelProblem("6.6.0").isEmpty());
        assertTrue(Features.kernelProblem("6.18.44-fc-v669").isEmpty());
    }

    @Test
    void missingKernelBtfIsNamedWithWhatNeedsItAndTheConfigOption() {
        String problem = Features.kernelBtfProblem(java.nio.file.Path.of("/nonexistent/btf/vmlinux")).orElseThrow();
        assertTrue(problem.startsWith("no kernel BTF at /nonexistent/btf/vmlinux: navstar's tc programs use CO-RE"),
                problem);
        assertTrue(problem.contains("CONFIG_DEBUG_INFO_BTF=y"), problem);
        assertTrue(Features.kernelBtfProblem(KernelBtf.VMLINUX).isEmpty(), "this machine has kernel BTF");
    }

    @Test
    void unsupportedTypeIsNamedWithTheKernelAndWhatToDo() {
        String problem = Features.unsupported("map type RINGBUF",
                new BpfException("BPF_MAP_CREATE", io.navstar.sys.Errno.EINVAL, "creating map \"probe\""));
        assertTrue(problem.startsWith("map type RINGBUF is not supported by kernel " + Features.kernelRelease() + " (EINVAL)"), problem);
        assertTrue(problem.contains("upgrade the kernel"), problem);
        String denied = Features.unsupported("program type XDP",
                new BpfException("BPF_PROG_LOAD", io.navstar.sys.Errno.EPERM, "loading program \"probe\""));
        assertTrue(denied.contains("run as root or with CAP_BPF"), denied);
    }

    @Test
    void thisProcessCapabilitiesAreReadThroughCapget() {
        Kernel.assumeRoot();
        long caps = io.navstar.sys.Libc.effectiveCapabilities();
        assertTrue((caps & (1L << Features.CAP_SYS_ADMIN)) != 0, "root has CAP_SYS_ADMIN: " + Long.toHexString(caps));
    }
}
