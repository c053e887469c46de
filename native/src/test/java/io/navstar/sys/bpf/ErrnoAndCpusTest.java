package io.navstar.sys.bpf;

import io.navstar.sys.Errno;
import io.navstar.sys.NativeException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ErrnoAndCpusTest {

    @Test
    void exceptionNamesCommandErrnoAndOperation() {
        BpfException e = new BpfException("BPF_MAP_CREATE", Errno.EPERM, "creating map \"vips\"");
        assertEquals("BPF_MAP_CREATE: EPERM (Operation not permitted) creating map \"vips\"", e.getMessage());
        assertEquals(Errno.EPERM, e.errno());
        assertEquals("BPF_MAP_CREATE", e.command());
    }

    @Test
    void bpfFailuresAreNativeExceptionsSoOneCatchTakesEveryKernelRefusal() {
        NativeException e = new BpfException("BPF_LINK_CREATE", Errno.EBUSY, "attaching \"xdp\"");
        assertEquals("BPF_LINK_CREATE", e.command());
        assertEquals(Errno.EBUSY, e.errno());
        NativeException plain = new NativeException("setns", Errno.EPERM, "entering network namespace \"a\"");
        assertEquals("setns: EPERM (Operation not permitted) entering network namespace \"a\"", plain.getMessage());
    }

    @Test
    void unknownErrnoIsStillNamedByNumber() {
        assertEquals("errno 4242 (unknown error)", Errno.describe(4242));
        assertEquals("ENOTSUPP", Errno.name(524));
    }

    @Test
    void objectNamesAreCutAndCleanedForTheKernel() {
        assertEquals("a_very_long_map", Bpf.objectName("a_very_long_map_name"));
        assertEquals(".rodata", Bpf.objectName(".rodata"));
        assertEquals("lb_vips_v2", Bpf.objectName("lb-vips/v2"));
    }

    @Test
    void cpuListsCountUpToTheHighestCpu() {
        assertEquals(1, PossibleCpus.parse("0\n"));
        assertEquals(4, PossibleCpus.parse("0-3"));
        assertEquals(12, PossibleCpus.parse("0-3,8,10-11"));
        assertThrows(IllegalArgumentException.class, () -> PossibleCpus.parse(""));
    }

    @Property(tries = 200)
    void cpuListOfAnySetOfCpusCountsToItsMaximumPlusOne(@ForAll @Size(min = 1, max = 40) List<@IntRange(min = 0, max = 511) Integer> cpus) {
        TreeSet<Integer> set = new TreeSet<>(cpus);
        StringBuilder list = new StringBuilder();
        Integer start = null;
        Integer previous = null;
        for (int cpu : set) {
            if (start == null) {
                start = cpu;
            } else if (cpu != previous + 1) {
                list.append(start.equals(previous) ? "" + start : start + "-" + previous).append(',');
                start = cpu;
            }
            previous = cpu;
        }
        list.append(start.equals(previous) ? "" + start : start + "-" + previous).append('\n');
        assertEquals(set.last() + 1, PossibleCpus.parse(list.toString()));
    }
}
