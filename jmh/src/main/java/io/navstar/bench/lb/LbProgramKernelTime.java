package io.navstar.bench.lb;

/**
 * The same three programs as {@link LbProgramBench}, timed by the kernel itself: BPF_PROG_TEST_RUN's
 * {@code duration} of one run per call (no syscall cost), over many calls; the minimum and the median are
 * printed, which a shared, loaded machine disturbs far less than a mean. Run:
 * {@code java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar io.navstar.bench.lb.LbProgramKernelTime [calls]}.
 */
public final class LbProgramKernelTime {
    private LbProgramKernelTime() {
    }

    public static void main(String[] args) throws Exception {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        LbProgramBench bench = new LbProgramBench();
        bench.setup();
        try {
            int[] floor = new int[calls];
            int[] tracked = new int[calls];
            int[] fresh = new int[calls];
            for (int i = 0; i < calls; i++) {
                if (i % 1000 == 0) {
                    bench.drainEvents();
                }
                floor[i] = bench.floorRun().durationNanos();
                tracked[i] = bench.trackedRun().durationNanos();
                fresh[i] = bench.newRun().durationNanos();
            }
            java.util.Arrays.sort(floor);
            java.util.Arrays.sort(tracked);
            java.util.Arrays.sort(fresh);
            int mid = calls / 2;
            System.out.printf("kernel-timed ns/packet over %d calls (min / median):%n", calls);
            System.out.printf("  empty program (floor) %4d / %4d%n", floor[0], floor[mid]);
            System.out.printf("  tracked flow          %4d / %4d   (%.2fx / %.2fx floor)%n", tracked[0], tracked[mid],
                    (double) tracked[0] / floor[0], (double) tracked[mid] / floor[mid]);
            System.out.printf("  new flow              %4d / %4d   (%.2fx / %.2fx floor)%n", fresh[0], fresh[mid],
                    (double) fresh[0] / floor[0], (double) fresh[mid] / floor[mid]);
        } finally {
            bench.teardown();
        }
    }
}
