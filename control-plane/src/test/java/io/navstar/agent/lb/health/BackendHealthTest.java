package io.navstar.agent.lb.health;

import io.navstar.agent.lb.kernel.LbCounters;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The passive health rule on a simulated clock: the kernel's per-backend counters are set by hand, and sampled every
 * 50 ms as the sampler does.
 */
class BackendHealthTest {
    static final long MS = 1_000_000L;

    /** Backend counters as LbCounters.backendsBelow gives them, a clock, and the rule sampling them. */
    private static final class Backends {
        final long[] totals;
        final BackendHealth health;
        long now = 1_000 * MS;

        Backends(int ids) {
            totals = new long[ids * LbCounters.FIELDS];
            health = new BackendHealth(ids);
            sample(); // the first reading: every counter is where the rule starts from
        }

        Backends flows(int id, long newFlows, long repliedFlows) {
            totals[id * LbCounters.FIELDS + 2] = newFlows;
            totals[id * LbCounters.FIELDS + 3] = repliedFlows;
            return this;
        }

        /** One sample, 50 ms after the last; true when the skipped set changed. */
        boolean sample() {
            now += BackendHealth.SAMPLE_NANOS;
            return health.sample(now, totals, totals.length / LbCounters.FIELDS);
        }

        /** Samples every 50 ms until {@code at} (ms since the first sample's clock); true if any changed the set. */
        boolean sampleUntil(long atMillis) {
            boolean changed = false;
            while (now + BackendHealth.SAMPLE_NANOS <= atMillis * MS) {
                changed |= sample();
            }
            return changed;
        }

        boolean skipped(int id) {
            return health.skipped(id, now);
        }
    }

    @Test
    void fiveUnansweredNewFlowsSkipTheBackendForThirtySeconds() {
        Backends b = new Backends(4);
        b.flows(3, 4, 0).sampleUntil(1_100);
        assertFalse(b.sampleUntil(1_600), "four unanswered flows are not enough");
        b.flows(3, 5, 0).sampleUntil(1_650); // the fifth, counted by the sample at 1,650 ms
        assertFalse(b.sampleUntil(2_000), "the fifth is not 400 ms old yet");
        assertFalse(b.skipped(3));
        assertTrue(b.sample(), "at 2,050 ms the fifth is 400 ms old: skipped");
        assertTrue(b.skipped(3));
        assertArrayEquals(new int[] {3}, b.health.skippedIds());
        assertFalse(b.skipped(2), "the other backends are not");
        assertFalse(b.sampleUntil(32_000), "skipped for 30 s");
        assertTrue(b.skipped(3));
        assertTrue(b.sample(), "the skip ends 30 s after it began (2,050 ms)");
        assertFalse(b.skipped(3));
        assertArrayEquals(new int[0], b.health.skippedIds());
    }

    @Test
    void aReplyResetsTheRunOfUnansweredFlows() {
        Backends b = new Backends(2);
        b.flows(1, 4, 0).sampleUntil(1_600); // four unanswered
        b.flows(1, 5, 1).sampleUntil(1_650); // a fifth flow, and a reply
        b.flows(1, 9, 1).sampleUntil(1_700); // four more unanswered
        assertFalse(b.sampleUntil(3_000), "four since the reply");
        assertFalse(b.skipped(1));
        b.flows(1, 10, 1).sampleUntil(3_050); // the fifth since the reply
        assertTrue(b.sampleUntil(3_450), "five since the reply, 400 ms old");
        assertTrue(b.skipped(1));
    }

    @Test
    void aBackendWhoseFlowsAreAnsweredIsNeverSkipped() {
        Backends b = new Backends(2);
        // a steady 200 new flows/s, each answered by the next sample
        long flows = 0;
        for (int i = 0; i < 200; i++) {
            long answered = flows;
            flows += 10;
            b.flows(1, flows, answered);
            assertFalse(b.sample());
        }
        // a burst of five flows, all answered within one sample, then nothing: five flows past the last reply's
        // count 400 ms before it, but none of them unanswered
        b.flows(1, flows + 5, flows + 5);
        assertFalse(b.sampleUntil(20_000));
        assertFalse(b.skipped(1));
        assertEquals(0, b.health.unanswered(1));
    }

    @Test
    void flowsYoungerThanTheReplyTimeoutAreNotJudged() {
        Backends b = new Backends(1);
        b.flows(0, 100, 0).sample(); // 100 flows, dated by this sample
        long counted = b.now;
        while (b.now + BackendHealth.SAMPLE_NANOS < counted + BackendHealth.REPLY_TIMEOUT_NANOS) {
            assertFalse(b.sample(), "flows " + (b.now - counted) / MS + " ms old");
        }
        assertTrue(b.sample(), "400 ms old");

        // samples closer than 50 ms keep less than 400 ms of history: they judge nothing rather than young flows
        BackendHealth fast = new BackendHealth(1);
        long[] totals = new long[LbCounters.FIELDS];
        fast.sample(0, totals, 1);
        totals[2] = 100;
        for (long t = MS; t < 2_000 * MS; t += MS) {
            assertFalse(fast.sample(t, totals, 1), "at " + t / MS + " ms");
        }
    }

    @Test
    void afterASkipTheFlowsItSawAreForgivenAndNewOnesJudgedAgain() {
        Backends b = new Backends(1);
        b.flows(0, 5, 0).sampleUntil(1_500);
        assertTrue(b.skipped(0));
        b.flows(0, 8, 0).sampleUntil(31_000); // flows in flight when the skip began
        assertTrue(b.sampleUntil(31_500), "the skip ended");
        assertFalse(b.skipped(0));
        assertFalse(b.sampleUntil(33_000), "the flows before the end of the skip do not count");
        b.flows(0, 13, 0).sampleUntil(33_050);
        assertTrue(b.sampleUntil(33_500), "five new unanswered flows skip it again");
        assertTrue(b.skipped(0));
    }

    @Test
    void aBackendIdWhoseCountersFellStartsAfresh() {
        Backends b = new Backends(1);
        b.flows(0, 50, 0).sampleUntil(1_500);
        assertTrue(b.skipped(0));
        assertEquals(50, b.health.unanswered(0));
        // the id is given to another backend: the reconciler zeroed its counters
        assertTrue(b.flows(0, 2, 1).sample(), "the new backend is not skipped");
        assertFalse(b.skipped(0));
        assertEquals(0, b.health.unanswered(0));
        assertEquals(2, b.health.sampledNewFlows(0));
        assertFalse(b.flows(0, 2, 1).sampleUntil(3_000));
    }

    @Test
    void unansweredFlowsAreEstimatedFromTheCountersNeverAboveTheTruth() {
        Backends b = new Backends(3);
        b.flows(0, 7, 0);    // dead
        b.flows(1, 10, 10);  // every flow answered
        b.flows(2, 10, 5);   // half of them
        b.sampleUntil(1_100);
        assertEquals(0, b.health.unanswered(0), "not yet 400 ms old");
        b.sampleUntil(1_500);
        assertEquals(7, b.health.unanswered(0));
        assertEquals(0, b.health.unanswered(1));
        assertEquals(5, b.health.unanswered(2));
        assertFalse(b.skipped(2), "replies keep resetting the run");
        // ten more flows, five answered at once: until they are 400 ms old their replies offset older unanswered
        // flows (the estimate keeps its highest), then the five unanswered count too
        b.flows(2, 20, 10).sampleUntil(1_550);
        assertEquals(5, b.health.unanswered(2), "the estimate never falls");
        b.sampleUntil(2_000);
        assertEquals(10, b.health.unanswered(2));
        assertEquals(20, b.health.sampledNewFlows(2));
    }

    @Test
    void aSkipEndsAlsoWhenItsIdIsNoLongerRead() {
        Backends b = new Backends(4);
        b.flows(3, 5, 0).sampleUntil(1_500);
        assertTrue(b.skipped(3));
        long[] firstThree = java.util.Arrays.copyOf(b.totals, 3 * LbCounters.FIELDS);
        long t = b.now;
        while (t < b.now + BackendHealth.SKIP_NANOS - BackendHealth.SAMPLE_NANOS) {
            t += BackendHealth.SAMPLE_NANOS;
            assertFalse(b.health.sample(t, firstThree, 3));
        }
        assertTrue(b.health.sample(t + BackendHealth.SAMPLE_NANOS, firstThree, 3), "the skip of id 3 ended");
        assertArrayEquals(new int[0], b.health.skippedIds());
    }
}
