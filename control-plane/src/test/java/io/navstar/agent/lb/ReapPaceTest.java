package io.navstar.agent.lb;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How {@link LbHousekeeping} paces its rounds of reaping expired flows. */
class ReapPaceTest {
    private static final long CAPACITY = 1_000_000;

    @Test
    void aRoundThatDeletedOverAnEighthOfTheTablesHalvesThePause() {
        assertEquals(Duration.ofSeconds(30), LbHousekeeping.nextReapPause(Duration.ofMinutes(1), CAPACITY / 8 + 1, CAPACITY));
    }

    @Test
    void aRoundThatDeletedUnderASixtyFourthDoublesIt() {
        assertEquals(Duration.ofMinutes(1), LbHousekeeping.nextReapPause(Duration.ofSeconds(30), CAPACITY / 64 - 1, CAPACITY));
    }

    @Test
    void inBetweenThePauseStays() {
        assertEquals(Duration.ofSeconds(30), LbHousekeeping.nextReapPause(Duration.ofSeconds(30), CAPACITY / 16, CAPACITY));
    }

    @Test
    void thePauseStaysWithinItsBounds() {
        assertEquals(LbHousekeeping.REAP_MIN, LbHousekeeping.nextReapPause(LbHousekeeping.REAP_MIN, CAPACITY, CAPACITY));
        assertEquals(LbHousekeeping.REAP_MAX, LbHousekeeping.nextReapPause(LbHousekeeping.REAP_MAX, 0, CAPACITY));
    }
}
