package io.navstar.agent.lb.health;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendHealthTest {
    static final long MS = 1_000_000L;

    @Test
    void fiveUnansweredNewFlowsInARowSkipTheBackendForThirtySeconds() {
        BackendHealth h = new BackendHealth(16, 1024);
        long t = 1_000 * MS;
        for (int i = 0; i < 4; i++) {
            h.onNewFlow(BackendHealth.flowKey(3, 42, 1000 + i, 6), 3, t);
        }
        assertFalse(h.sweep(t + 401 * MS), "four failures are not enough");
        assertFalse(h.skipped(3, t + 401 * MS));
        h.onNewFlow(BackendHealth.flowKey(3, 42, 2000, 6), 3, t + 500 * MS);
        assertFalse(h.sweep(t + 899 * MS), "not yet 400 ms");
        assertTrue(h.sweep(t + 901 * MS), "the fifth failure skips");
        assertTrue(h.skipped(3, t + 901 * MS));
        assertEquals(5, h.unanswered(3));
        assertTrue(h.skipped(3, t + 30_900 * MS));
        assertTrue(h.sweep(t + 30_902 * MS), "the skip ends after 30 s");
        assertFalse(h.skipped(3, t + 30_902 * MS));
    }

    @Test
    void aReplyInTimeClearsTheFlowAndTheFailureRun() {
        BackendHealth h = new BackendHealth(16, 1024);
        long t = 5_000 * MS;
        for (int i = 0; i < 4; i++) {
            h.onNewFlow(BackendHealth.flowKey(1, 7, i, 6), 1, t);
        }
        h.sweep(t + 500 * MS); // four failures
        long answered = BackendHealth.flowKey(1, 7, 99, 6);
        h.onNewFlow(answered, 1, t + 600 * MS);
        h.onReply(answered, 1);
        h.onNewFlow(BackendHealth.flowKey(1, 7, 100, 6), 1, t + 700 * MS);
        assertFalse(h.sweep(t + 2_000 * MS), "the reply reset the run: one failure since");
        assertFalse(h.skipped(1, t + 2_000 * MS));
        assertEquals(5, h.unanswered(1));
    }

    @Test
    void manyPendingFlowsSurviveDeletionsInTheirProbeChains() {
        BackendHealth h = new BackendHealth(4, 64);
        long t = 0;
        for (int i = 0; i < 40; i++) {
            h.onNewFlow(BackendHealth.flowKey(2, i, i, 17), 2, t);
        }
        for (int i = 0; i < 40; i += 2) {
            h.onReply(BackendHealth.flowKey(2, i, i, 17), 2);
        }
        h.sweep(t + 401 * MS);
        assertEquals(20, h.unanswered(2), "exactly the unanswered half expired");
    }

    @Test
    void aFlowBehindAnAnsweredEarlierOneStillExpiresOnTime() {
        BackendHealth h = new BackendHealth(4, 64);
        long t = 10_000 * MS;
        long answered = BackendHealth.flowKey(1, 5, 1, 6);
        h.onNewFlow(answered, 1, t);
        h.onReply(answered, 1);
        long late = BackendHealth.flowKey(1, 5, 2, 6);
        h.onNewFlow(late, 1, t + 300 * MS);
        h.sweep(t + 401 * MS); // past the answered flow's deadline, before the late one's
        assertEquals(0, h.unanswered(1), "the answered flow is not counted, the late one not yet due");
        assertEquals(1, h.pending());
        h.sweep(t + 699 * MS);
        assertEquals(0, h.unanswered(1), "not yet 400 ms after the late flow");
        h.sweep(t + 701 * MS);
        assertEquals(1, h.unanswered(1), "the late flow expired at its own deadline");
        assertEquals(0, h.pending());
    }

    @Test
    void aSweepAfterEveryFlowWasAnsweredExpiresNothing() {
        BackendHealth h = new BackendHealth(4, 64);
        long t = 0;
        for (int i = 0; i < 30; i++) {
            long key = BackendHealth.flowKey(2, 9, i, 6);
            h.onNewFlow(key, 2, t + i * MS);
            h.onReply(key, 2);
        }
        assertEquals(0, h.pending());
        assertFalse(h.sweep(t + 10_000 * MS));
        assertEquals(0, h.unanswered(2));
    }
}
