package io.navstar.dns.upstream;

import io.navstar.dns.cache.CacheKey;
import io.navstar.dns.metrics.QueryCounters;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;

import static io.navstar.dns.upstream.FailureCacheTest.question;
import static org.junit.jupiter.api.Assertions.*;

class UpstreamTest {
    private static final long MS = 1_000_000L;
    private static final CacheKey QUESTION = question("www.example");

    static Upstream upstream(int port) {
        return new Upstream(new InetSocketAddress("127.0.0.1", port), 50 * MS, 800 * MS, 200 * MS);
    }

    @Test
    void timeoutStartsAtInitialValueThenFollowsSrttPlusFourRttvar() {
        Upstream u = upstream(1);
        assertEquals(200 * MS, u.timeoutNanos());
        for (int i = 0; i < 50; i++) {
            u.onAnswer(100 * MS);
        }
        long t = u.timeoutNanos();
        assertTrue(t >= 100 * MS && t < 130 * MS, "steady 100 ms RTT: timeout " + t / MS + " ms");
        u.onAnswer(300 * MS);
        assertTrue(u.timeoutNanos() > t, "variance raises the timeout");
    }

    @Test
    void timeoutIsClampedBetweenMinimumAndMaximum() {
        Upstream fast = upstream(2);
        fast.onAnswer(100_000); // 0.1 ms
        assertEquals(50 * MS, fast.timeoutNanos());
        Upstream slow = upstream(3);
        slow.onAnswer(5_000 * MS);
        assertEquals(800 * MS, slow.timeoutNanos());
    }

    @Test
    void timeoutBacksOffOnExpiryAndRecoversWithNextSample() {
        Upstream u = upstream(4);
        u.onAnswer(60 * MS);
        long before = u.timeoutNanos();
        u.onTimeout(System.nanoTime());
        assertTrue(u.timeoutNanos() >= 2 * Math.min(before, 400 * MS) || u.timeoutNanos() == 800 * MS);
        u.onAnswer(60 * MS);
        assertTrue(u.timeoutNanos() < 800 * MS);
    }

    @Test
    void failuresDecayWithTime() {
        Upstream u = upstream(5);
        long now = 1_000_000_000_000L;
        u.onFailure(now);
        u.onFailure(now);
        assertEquals(2.0, u.recentFailures(now), 1e-9);
        assertEquals(1.0, u.recentFailures(now + 10_000 * MS), 1e-6, "half-life 10 s");
    }

    @Test
    void groupQueriesAllWhenFewerThanThreeElseTwoWithFewestRecentFailures() {
        Upstream a = upstream(10);
        Upstream b = upstream(11);
        Upstream c = upstream(12);
        Upstream[] out = new Upstream[3];
        UpstreamGroup two = new UpstreamGroup(".", List.of(a, b), new QueryCounters("."));
        assertEquals(2, two.choose(0, 0, QUESTION, out));
        long now = System.nanoTime();
        a.onFailure(now);
        a.onFailure(now);
        b.onFailure(now);
        UpstreamGroup three = new UpstreamGroup(".", List.of(a, b, c), new QueryCounters("."));
        for (int salt = 0; salt < 3; salt++) {
            assertEquals(2, three.choose(now, salt, QUESTION, out));
            assertEquals(c, out[0]);
            assertEquals(b, out[1]);
        }
        assertEquals(a, three.next(now, QUESTION, new Upstream[]{b, c}, 2), "the only one not asked yet");
        assertEquals(c, three.next(now, QUESTION, new Upstream[]{a, b, c}, 3), "all asked: retransmit to the best");
    }

    @Test
    void groupLeavesOutUpstreamsWhoseFailureForTheQuestionIsCached() {
        Upstream a = upstream(20);
        Upstream b = upstream(21);
        Upstream c = upstream(22);
        Upstream d = upstream(23);
        UpstreamGroup group = new UpstreamGroup(".", List.of(a, b, c, d), new QueryCounters("."));
        Upstream[] out = new Upstream[4];
        long now = System.nanoTime();
        a.recordResolutionFailure(QUESTION, now);
        b.recordResolutionFailure(QUESTION, now);
        assertEquals(2, group.choose(now, 0, QUESTION, out), "two left: both asked");
        assertEquals(List.of(c, d), List.of(out[0], out[1]));
        assertEquals(1, a.stats().failureCacheHits());
        assertEquals(2, group.choose(now, 0, question("other.example"), out));
        assertEquals(List.of(a, b), List.of(out[0], out[1]), "other questions: a and b as before");
        c.recordResolutionFailure(QUESTION, now);
        d.recordResolutionFailure(QUESTION, now);
        assertEquals(0, group.choose(now, 0, QUESTION, out), "every upstream backing off");
        assertNull(group.next(now, QUESTION, new Upstream[0], 0));
        assertEquals(2, group.choose(now + FailureCache.MIN_BACKOFF_NANOS, 0, QUESTION, out), "after 1 s");
        assertEquals(a, out[0]);
        d.recordResolutionSuccess(QUESTION);
        assertEquals(d, group.next(now, QUESTION, new Upstream[0], 0), "an answer ends its backoff");
    }

    @Test
    void groupSendsOneQueryToOneUpstreamAtMostThreeTimes() {
        Upstream a = upstream(30);
        UpstreamGroup group = new UpstreamGroup(".", List.of(a), new QueryCounters("."));
        long now = System.nanoTime();
        assertEquals(a, group.next(now, QUESTION, new Upstream[]{a}, 1));
        assertEquals(a, group.next(now, QUESTION, new Upstream[]{a, a}, 2));
        assertNull(group.next(now, QUESTION, new Upstream[]{a, a, a}, 3), "RFC 9520 §3.1: two retries");
    }
}
