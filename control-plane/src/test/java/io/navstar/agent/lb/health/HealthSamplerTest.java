package io.navstar.agent.lb.health;

import io.navstar.agent.lb.kernel.LbCounters;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HealthSamplerTest {

    /**
     * Counters in memory: backend 2 of 3 takes five new flows after the first reading and never answers. The sampler
     * reads every id below the bound in one call per sample, and tells the listener of the skip once the flows are
     * 400 ms old (here within a second; the bound is loose).
     */
    @Test
    void readsEveryIdBelowTheBoundInOneCallAndReportsASkip() throws Exception {
        AtomicInteger reads = new AtomicInteger();
        AtomicInteger boundAsked = new AtomicInteger(-1);
        CountDownLatch skippedChanged = new CountDownLatch(1);
        try (HealthSampler sampler = new HealthSampler(() -> 3, bound -> {
            boundAsked.set(bound);
            long[] totals = new long[bound * LbCounters.FIELDS];
            if (reads.getAndIncrement() > 0) {
                totals[2 * LbCounters.FIELDS + 2] = 5;
            }
            return totals;
        }, 16, skippedChanged::countDown)) {
            sampler.start();
            assertTrue(skippedChanged.await(5, TimeUnit.SECONDS), "skipped within 5 s");
            assertArrayEquals(new int[] {2}, sampler.health().skippedIds());
            assertEquals(3, boundAsked.get());
            // about ten: the first reading, the one that saw the flows, eight more until they are 400 ms old (fewer
            // when the machine is slow to wake the thread, never many more: samples are 50 ms apart at least)
            int samples = reads.get();
            assertTrue(samples >= 3 && samples <= 40, samples + " samples");
        }
    }
}
