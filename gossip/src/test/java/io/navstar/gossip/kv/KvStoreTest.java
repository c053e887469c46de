package io.navstar.gossip.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.kv.crdt.CrdtType;
import io.navstar.gossip.kv.crdt.Op;
import io.navstar.gossip.kv.crdt.OrMap;
import io.navstar.gossip.kv.crdt.OrSwot;
import io.navstar.gossip.kv.crdt.PnCounter;
import io.navstar.gossip.kv.crdt.VersionVector;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KvStoreTest {

    static final KvKey VIPS = KvKey.of("minuteman", "vips");

    @TempDir
    Path dir;

    private KvStore open(String replica) {
        return KvStore.open(KvConfig.defaults(dir.resolve(replica + ".db"), replica));
    }

    static Op addBackend(String vip, String backend) {
        return Op.update(vip, CrdtType.ORSWOT, new Op.Add(backend));
    }

    static Op increment(long n) {
        return Op.update("count", CrdtType.PNCOUNTER, new Op.Increment(n));
    }

    static long count(OrMap map) {
        return map.<PnCounter>getOrEmpty("count", CrdtType.PNCOUNTER).value();
    }

    /** An idle node's store thread costs no wakeups: it waits without a timeout, and close() still ends it. */
    @Test
    void idleStoreThreadWaitsWithoutTimeoutAndCloseEndsIt() throws Exception {
        Thread storeThread;
        try (KvStore store = open("idle")) {
            store.requestOp(VIPS, List.of(addBackend("/web:80", "10.0.0.2:80")));
            storeThread = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("kv-store-idle")).findFirst().orElseThrow();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (storeThread.getState() == Thread.State.RUNNABLE && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(Thread.State.WAITING, storeThread.getState());
        }
        assertFalse(storeThread.isAlive(), "close() ended the store thread");
    }

    @Test
    void requestOpReturnsTheNewValueAndBumpsTheClock() {
        try (KvStore store = open("a")) {
            final OrMap value = store.requestOp(VIPS, List.of(addBackend("/web:80", "10.0.0.2:80"), addBackend("/web:80", "10.0.0.3:80")));
            final OrSwot backends = value.getOrEmpty("/web:80", CrdtType.ORSWOT);
            assertEquals(List.of("10.0.0.2:80", "10.0.0.3:80"), List.copyOf(backends.elements()));
            assertEquals(value, store.value(VIPS));
            assertEquals(1, store.valueWithClock(VIPS).clock().get("a"));
            store.requestOp(VIPS, List.of(new Op.Update(io.navstar.gossip.kv.crdt.Field.of("/web:80", CrdtType.ORSWOT),
                    new Op.Remove("10.0.0.2:80"))));
            assertEquals(List.of("10.0.0.3:80"),
                    List.copyOf(store.value(VIPS).<OrSwot>getOrEmpty("/web:80", CrdtType.ORSWOT).elements()));
            assertEquals(2, store.valueWithClock(VIPS).clock().get("a"));
            assertEquals(2, store.metrics().operations());
        }
    }

    @Test
    void keysListsOnlyThoseUnderThePrefix() {
        try (KvStore store = open("a")) {
            store.requestOp(KvKey.of("minuteman", "vips"), List.of(increment(1)));
            store.requestOp(KvKey.of("minuteman", "nodes", "n1"), List.of(increment(1)));
            store.requestOp(KvKey.of("minutemanx"), List.of(increment(1)));
            store.requestOp(KvKey.of("spartan", "zones"), List.of(increment(1)));
            assertEquals(List.of(KvKey.of("minuteman", "nodes", "n1"), KvKey.of("minuteman", "vips")),
                    store.keys(KvKey.of("minuteman")));
            assertEquals(4, store.keys(KvKey.root()).size());
            assertEquals(4, store.metrics().keys());
        }
    }

    @Test
    void compareAndSetFailsWhenTheClockMoved() {
        try (KvStore store = open("a")) {
            final Versioned before = store.valueWithClock(VIPS);
            assertEquals(VersionVector.empty(), before.clock());
            store.requestOp(VIPS, before.clock(), List.of(increment(5)));
            final KvException.ClockMovedException e = assertThrows(KvException.ClockMovedException.class,
                    () -> store.requestOp(VIPS, before.clock(), List.of(increment(7))));
            assertTrue(e.getMessage().contains("concurrent modification"), e.getMessage());
            assertEquals(5, count(store.value(VIPS)));
            final Versioned now = store.valueWithClock(VIPS);
            store.requestOp(VIPS, now.clock(), List.of(increment(7)));
            assertEquals(12, count(store.value(VIPS)));
            assertEquals(1, store.metrics().operations(KvMetrics.OpResult.CLOCK_MOVED));
            assertEquals(2, store.metrics().operations(KvMetrics.OpResult.APPLIED));
            assertEquals(2, store.metrics().operationLatency().count(), "applied operations are timed");
        }
    }

    @Test
    void valueOverTheLimitIsRefusedAndNothingChanges() {
        try (KvStore store = KvStore.open(KvConfig.defaults(dir.resolve("a.db"), "a").withMaxValueBytes(1024))) {
            store.requestOp(VIPS, List.of(increment(1)));
            final KvException.ValueTooLargeException e = assertThrows(KvException.ValueTooLargeException.class,
                    () -> store.requestOp(VIPS, List.of(Op.update("blob", CrdtType.LWW_REGISTER, new Op.Assign(new byte[2000])))));
            assertTrue(e.getMessage().contains("over the limit of 1024 bytes"), e.getMessage());
            assertEquals(1, store.valueWithClock(VIPS).clock().get("a"));
            assertEquals(1, store.value(VIPS).fields().size());
            assertEquals(1, store.metrics().operations(KvMetrics.OpResult.TOO_LARGE));
        }
    }

    @Test
    void defaultLimitIsTenMebibytes() {
        try (KvStore store = open("a")) {
            assertEquals(10 * 1024 * 1024, store.config().maxValueBytes());
            assertThrows(KvException.ValueTooLargeException.class, () -> store.requestOp(VIPS,
                    List.of(Op.update("blob", CrdtType.LWW_REGISTER, new Op.Assign(new byte[10 * 1024 * 1024 + 1])))));
            store.requestOp(VIPS, List.of(Op.update("blob", CrdtType.LWW_REGISTER, new Op.Assign(new byte[1024 * 1024]))));
        }
    }

    @Test
    void operationOfTheWrongTypeIsRejected() {
        try (KvStore store = open("a")) {
            final KvException e = assertThrows(KvException.InvalidOperationException.class,
                    () -> store.requestOp(VIPS, List.of(Op.update("x", CrdtType.GCOUNTER, new Op.Add("y")))));
            assertTrue(e.getMessage().contains("GCounter accepts Increment"), e.getMessage());
            assertTrue(store.keys(KvKey.root()).isEmpty());
            assertEquals(1, store.metrics().operations(KvMetrics.OpResult.INVALID));
        }
    }

    @Test
    void subscribeReplaysExistingKeysThenDeliversChanges() throws Exception {
        try (KvStore store = open("a")) {
            store.requestOp(KvKey.of("minuteman", "vips"), List.of(increment(1)));
            store.requestOp(KvKey.of("spartan"), List.of(increment(1)));
            final List<KvEvent> events = new CopyOnWriteArrayList<>();
            final KvStore.Subscription sub = store.subscribe(KvKey.of("minuteman"), events::add);
            assertEquals(1, events.size());
            assertTrue(events.get(0).replay());
            store.requestOp(KvKey.of("minuteman", "vips"), List.of(increment(2)));
            store.requestOp(KvKey.of("spartan"), List.of(increment(2)));
            store.requestOp(KvKey.of("minuteman", "nodes"), List.of(increment(3)));
            assertEquals(3, events.size());
            assertFalse(events.get(1).replay());
            assertEquals(3, count(events.get(1).value()));
            assertEquals(KvKey.of("minuteman", "nodes"), events.get(2).key());
            sub.close();
            store.requestOp(KvKey.of("minuteman", "vips"), List.of(increment(2)));
            assertEquals(3, events.size());
        }
    }

    @Test
    void fullQueueAnswersOverloadedInsteadOfGrowing() throws Exception {
        final int capacity = 8;
        try (KvStore store = KvStore.open(KvConfig.defaults(dir.resolve("a.db"), "a").withQueueCapacity(capacity))) {
            final CountDownLatch blocked = new CountDownLatch(1);
            final CountDownLatch release = new CountDownLatch(1);
            store.subscribe(KvKey.of("block"), e -> {
                blocked.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            });
            final CompletableFuture<Versioned> blocker = store.requestOpAsync(KvKey.of("block"), null, List.of(increment(1)));
            assertTrue(blocked.await(10, TimeUnit.SECONDS), "store thread is now held by the subscriber");
            final List<CompletableFuture<Versioned>> queued = new ArrayList<>();
            for (int i = 0; i < capacity; i++) {
                queued.add(store.requestOpAsync(KvKey.of("k" + i), null, List.of(increment(1))));
            }
            final CompletableFuture<Versioned> refused = store.requestOpAsync(KvKey.of("late"), null, List.of(increment(1)));
            final ExecutionException e = assertThrows(ExecutionException.class, () -> refused.get(1, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof KvException.OverloadedException, String.valueOf(e.getCause()));
            assertTrue(e.getCause().getMessage().startsWith("overloaded"));
            assertEquals(1, store.metrics().overloaded());
            assertEquals(1, store.metrics().operations(KvMetrics.OpResult.OVERLOADED));
            release.countDown();
            blocker.get(10, TimeUnit.SECONDS);
            for (CompletableFuture<Versioned> f : queued) {
                f.get(10, TimeUnit.SECONDS);
            }
            assertTrue(store.value(KvKey.of("late")).isEmpty(), "the refused request was not applied");
        }
    }

    @Test
    void everyAcknowledgedOperationSurvivesAReopen() throws Exception {
        final List<CompletableFuture<Versioned>> acks = new ArrayList<>();
        try (KvStore store = open("a")) {
            for (int i = 0; i < 500; i++) {
                acks.add(store.requestOpAsync(KvKey.of("k", Integer.toString(i % 50)), null, List.of(increment(1))));
            }
            for (CompletableFuture<Versioned> f : acks) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertTrue(store.metrics().commits() < store.metrics().committedRequests(),
                    "group commit: " + store.metrics().commits() + " fsyncs for " + store.metrics().committedRequests());
        }
        try (KvStore store = open("a")) {
            assertEquals(50, store.keys(KvKey.of("k")).size());
            for (int i = 0; i < 50; i++) {
                final Versioned v = store.valueWithClock(KvKey.of("k", Integer.toString(i)));
                assertEquals(10, count(v.value()));
                assertEquals(10, v.clock().get("a"));
            }
            // New dots continue after the reloaded ones rather than reusing them.
            assertEquals(11, count(store.requestOp(KvKey.of("k", "0"), List.of(increment(1)))));
            assertEquals(11, store.valueWithClock(KvKey.of("k", "0")).clock().get("a"));
        }
    }

    @Test
    void withoutGroupCommitEveryRequestIsItsOwnFsync() throws Exception {
        try (KvStore store = KvStore.open(KvConfig.defaults(dir.resolve("a.db"), "a").withGroupCommit(false))) {
            final List<CompletableFuture<Versioned>> acks = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                acks.add(store.requestOpAsync(KvKey.of("k"), null, List.of(increment(1))));
            }
            for (CompletableFuture<Versioned> f : acks) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertEquals(50, store.metrics().commits());
            assertEquals(50, count(store.value(KvKey.of("k"))));
        }
    }
}
