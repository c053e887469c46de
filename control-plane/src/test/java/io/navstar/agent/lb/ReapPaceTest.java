package io.navstar.agent.lb;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How {@link LbAgent} paces its rounds of reaping expired flows. */
class ReapPaceTest {
    private static final long CAPACITY = 1_000_000;

    @Test
    void aRoundThatDeletedOverAnEighthOfTheTablesHalvesThePause() {
        assertEquals(Duration.ofSeconds(30), LbAgent.nextReapPause(Duration.ofMinutes(1), CAPACITY / 8 + 1, CAPACITY));
    }

    @Test
    void aRoundThatDeletedUnderASixtyFourthDoublesIt() {
        assertEquals(Duration.ofMinutes(1), LbAgent.nextReapPause(Duration.ofSeconds(30), CAPACITY / 64 - 1, CAPACITY));
    }

    @Test
    void inBetweenThePauseStays() {
        assertEquals(Duration.ofSeconds(30), LbAgent.nextReapPause(Duration.ofSeconds(30), CAPACITY / 16, CAPACITY));
    }

    @Test
    void thePauseStaysWithinItsBounds() {
        assertEquals(LbAgent.REAP_MIN, LbAgent.nextReapPause(LbAgent.REAP_MIN, CAPACITY, CAPACITY));
        assertEquals(LbAgent.REAP_MAX, LbAgent.nextReapPause(LbAgent.REAP_MAX, 0, CAPACITY));
    }
}
