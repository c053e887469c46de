package io.navstar.gossip.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The commit times behind replication lag: lookups, forgetting, and the bound on memory. */
class CommitStampsTest {

    @Test
    void eachChangeTakesTheTimeOfTheStampThatCoveredIt() {
        final CommitStamps stamps = new CommitStamps(8);
        stamps.stamp(3, 100); // changes 1..3
        stamps.stamp(3, 150); // nothing new
        stamps.stamp(5, 200); // 4..5
        stamps.stamp(6, 200); // the same instant: 6 joins 4..5
        assertEquals(2, stamps.size());
        assertEquals(100, stamps.committedAt(1));
        assertEquals(100, stamps.committedAt(3));
        assertEquals(200, stamps.committedAt(4));
        assertEquals(200, stamps.committedAt(6));
        assertEquals(6, stamps.lastSeq());
    }

    @Test
    void forgetsOnlyStampsWhoseChangesAreAllConfirmed() {
        final CommitStamps stamps = new CommitStamps(8);
        stamps.stamp(3, 100);
        stamps.stamp(5, 200);
        stamps.forgetUpTo(2); // change 3 still needs the first stamp
        assertEquals(2, stamps.size());
        stamps.forgetUpTo(3);
        assertEquals(1, stamps.size());
        assertEquals(CommitStamps.BEFORE_OLDEST, stamps.committedAt(3));
        assertEquals(200, stamps.committedAt(4));
        stamps.forgetUpTo(5);
        assertEquals(0, stamps.size());
        stamps.stamp(7, 300);
        assertEquals(300, stamps.committedAt(6));
    }

    @Test
    void beyondCapacityTheOldestStaysExactAndOthersAgeByLessThanTwoGrains() {
        final int capacity = 16;
        final CommitStamps stamps = new CommitStamps(capacity);
        final int changes = 1_000;
        for (int seq = 1; seq <= changes; seq++) {
            stamps.stamp(seq, seq * 10L); // change n committed at 10n
            assertTrue(stamps.size() <= capacity);
            if (seq % 97 == 0) {
                stamps.forgetUpTo(0); // nobody confirmed anything: nothing to forget
            }
        }
        assertEquals(10, stamps.committedAt(1), "the oldest change keeps its exact time");
        long previous = Long.MIN_VALUE;
        final long grain = (10L * changes + capacity / 2 - 1) / (capacity / 2); // the span over half the capacity
        for (int seq = 1; seq <= changes; seq++) {
            final long at = stamps.committedAt(seq);
            assertTrue(at <= seq * 10L && seq * 10L - at < 2 * grain, "change " + seq + " at " + at);
            assertTrue(at >= previous, "ordered");
            previous = at;
        }
    }
}
