package io.navstar.gossip.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.kv.crdt.CrdtType;
import io.navstar.gossip.kv.crdt.Op;
import io.navstar.gossip.kv.crdt.OrMap;
import io.navstar.gossip.kv.crdt.PnCounter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Replication over the in-memory test network: deltas, anti-entropy, partitions and heals. */
class KvReplicationTest {

    static final KvKey KEY = KvKey.of("demo", "counter");

    private final KvTestNetwork net = new KvTestNetwork(42);
    private final Map<String, KvStore> stores = new LinkedHashMap<>();
    private final List<KvReplicator> replicators = new ArrayList<>();

    private KvStore node(String id) {
        final KvStore store = KvStore.open(KvConfig.inMemory(id));
        stores.put(id, store);
        replicators.add(new KvReplicator(store, net.node(id), KvReplicator.Config.simulation()).start());
        return store;
    }

    @AfterEach
    void closeAll() {
        replicators.forEach(KvReplicator::close);
        stores.values().forEach(KvStore::close);
    }

    static long count(OrMap map) {
        return map.<PnCounter>getOrEmpty("n", CrdtType.PNCOUNTER).value();
    }

    static List<Op> increment(long n) {
        return List.of(Op.update("n", CrdtType.PNCOUNTER, new Op.Increment(n)));
    }

    private boolean converged(KvKey prefix) {
        return converged(stores.values(), prefix);
    }

    /** True when every store holds the same keys under {@code prefix} with equal values and clocks. */
    static boolean converged(java.util.Collection<KvStore> stores, KvKey prefix) {
        if (prefix.path().isEmpty()) {
            // Cheap first: differing digests of all (key, clock) pairs mean not yet.
            final long digest = stores.iterator().next().digest();
            for (KvStore s : stores) {
                if (s.digest() != digest) {
                    return false;
                }
            }
        }
        Map<KvKey, Versioned> first = null;
        for (KvStore s : stores) {
            final Map<KvKey, Versioned> mine = new LinkedHashMap<>();
            for (KvKey k : s.keys(prefix)) {
                mine.put(k, s.valueWithClock(k));
            }
            if (first == null) {
                first = mine;
            } else if (!first.equals(mine)) {
                return false;
            }
        }
        return true;
    }

    @Test
    void seedDemoThreeNodesOneCutOffConvergeTo26AfterTheHeal() {
        final KvStore a = node("a");
        final KvStore b = node("b");
        final KvStore c = node("c");
        net.link("a", "b");
        net.link("b", "c");
        net.link("a", "c");
        net.runFor(100);
        a.requestOp(KEY, increment(5));
        net.runFor(100);
        for (KvStore s : stores.values()) {
            assertEquals(5, count(s.value(KEY)), "the first increment reached " + s.replicaId() + " as a delta");
        }
        net.partition(List.of(Set.of("a", "b"), Set.of("c")));
        net.runFor(100);
        a.requestOp(KEY, increment(3));
        b.requestOp(KEY, increment(7));
        c.requestOp(KEY, increment(11));
        net.runFor(2_000);
        assertEquals(15, count(a.value(KEY)));
        assertEquals(15, count(b.value(KEY)));
        assertEquals(16, count(c.value(KEY)), "the cut-off node sees only its own increment");
        net.heal();
        assertTrue(net.runUntil(() -> converged(KvKey.root()), 10_000) >= 0, "converged after the heal");
        for (KvStore s : stores.values()) {
            assertEquals(26, count(s.value(KEY)), s.replicaId());
            assertEquals(a.valueWithClock(KEY).clock(), s.valueWithClock(KEY).clock());
        }
        assertEquals(2, a.valueWithClock(KEY).clock().get("a"));
    }

    @Test
    void twentyFiveNodesWritingDivergentValuesInAPartitionHoldIdenticalValuesAndClocksAfterTheHeal() {
        final int n = 25;
        final List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add("n" + i);
            node("n" + i);
        }
        final Random random = new Random(7);
        for (int i = 0; i < n; i++) {
            net.link(ids.get(i), ids.get((i + 1) % n)); // a ring keeps each side connected
            final int chord = (i + 2 + random.nextInt(n - 3)) % n; // never i itself
            net.link(ids.get(i), ids.get(chord));
        }
        net.runFor(500);
        final Set<String> left = new HashSet<>(ids.subList(0, 12));
        final Set<String> right = new HashSet<>(ids.subList(12, n));
        net.partition(List.of(left, right));
        net.runFor(100);
        long expectedSum = 0;
        for (int round = 0; round < 4; round++) {
            for (int i = 0; i < n; i++) {
                final KvStore s = stores.get(ids.get(i));
                for (int k = 0; k < 5; k++) {
                    final KvKey key = KvKey.of("shared", "k" + k);
                    final long inc = random.nextInt(10) - 3;
                    expectedSum += inc;
                    s.requestOp(key, List.of(
                            Op.update("n", CrdtType.PNCOUNTER, new Op.Increment(inc)),
                            Op.update("owner", CrdtType.LWW_REGISTER, new Op.Assign(ids.get(i).getBytes(StandardCharsets.UTF_8))),
                            Op.update("members", CrdtType.ORSWOT, random.nextBoolean()
                                    ? new Op.Add("m" + random.nextInt(8)) : new Op.Remove("m" + random.nextInt(8))),
                            Op.update("up", CrdtType.ENABLE_WINS_FLAG, random.nextBoolean() ? new Op.Enable() : new Op.Disable())));
                }
            }
            net.runFor(300);
        }
        assertTrue(!converged(KvKey.root()), "the two sides diverged during the partition");
        net.heal();
        final long took = net.runUntil(() -> converged(KvKey.root()), 30_000);
        assertTrue(took >= 0, "converged after the heal");
        long sum = 0;
        for (int k = 0; k < 5; k++) {
            sum += count(stores.get("n0").value(KvKey.of("shared", "k" + k)));
            final Versioned v = stores.get("n0").valueWithClock(KvKey.of("shared", "k" + k));
            assertEquals(n, v.clock().size(), "every node's writes are counted in the clock");
            assertEquals(4, v.clock().get("n3"));
        }
        assertEquals(expectedSum, sum, "no increment lost or counted twice");
    }

    @Test
    void antiEntropyRepairsWhatLostDeltasMissed() {
        for (String id : List.of("a", "b", "c", "d")) {
            node(id);
        }
        net.link("a", "b");
        net.link("b", "c");
        net.link("c", "d");
        net.runFor(200);
        net.lossRate = 0.4;
        for (int i = 0; i < 200; i++) {
            stores.get(List.of("a", "b", "c", "d").get(i % 4)).requestOp(KvKey.of("k", Integer.toString(i % 20)), increment(1));
            net.runFor(5);
        }
        net.lossRate = 0;
        assertTrue(net.runUntil(() -> converged(KvKey.root()), 20_000) >= 0);
        long total = 0;
        for (KvKey k : stores.get("d").keys(KvKey.of("k"))) {
            total += count(stores.get("d").value(k));
        }
        assertEquals(200, total);
        final KvMetrics m = stores.get("d").metrics();
        assertTrue(m.deltasReceived() > 0 && m.antiEntropyKeysSent() > 0, m.toString());
    }

    @Test
    void afterConvergingOnlyChangedKeysAreSentAndIdleTrafficDoesNotGrowWithState() {
        final long idleSmall = idleAntiEntropyBytes("s", 50);
        final long idleLarge = idleAntiEntropyBytes("l", 2_000);
        assertTrue(idleSmall > 0, "heartbeats flow");
        assertTrue(idleLarge < idleSmall * 1.2 && idleSmall < idleLarge * 1.2,
                "idle anti-entropy bytes " + idleSmall + " (50 keys) vs " + idleLarge + " (2,000 keys)");

        final KvStore writer = stores.get("l0");
        final long keysSentBefore = totalKeysSent();
        final long bytesBefore = totalAntiEntropyBytes();
        writer.requestOp(KvKey.of("k", "7"), increment(1));
        net.runFor(2_000);
        assertTrue(sameState(List.of("l0", "l1", "l2")));
        assertEquals(2, count(stores.get("l2").value(KvKey.of("k", "7"))));
        // The delta got there first: anti-entropy only summarised the key (key + clock) and sent no value.
        assertEquals(0, totalKeysSent() - keysSentBefore, "values re-sent by anti-entropy");
        final long changeBytes = totalAntiEntropyBytes() - bytesBefore - idleLarge / 5;
        assertTrue(changeBytes < 1_000, "one changed key among 2,000 cost " + changeBytes + " anti-entropy bytes beyond heartbeats");
    }

    private long totalAntiEntropyBytes() {
        long sum = 0;
        for (String id : List.of("l0", "l1", "l2")) {
            sum += stores.get(id).metrics().antiEntropyBytesSent();
        }
        return sum;
    }

    private long totalKeysSent() {
        long sum = 0;
        for (KvStore s : stores.values()) {
            sum += s.metrics().antiEntropyKeysSent();
        }
        return sum;
    }

    /** Builds a 3-node line holding {@code keys} keys, converges it, then measures 10 idle seconds. */
    private long idleAntiEntropyBytes(String prefix, int keys) {
        final List<String> ids = List.of(prefix + "0", prefix + "1", prefix + "2");
        ids.forEach(this::node);
        net.link(ids.get(0), ids.get(1));
        net.link(ids.get(1), ids.get(2));
        net.link(ids.get(0), ids.get(2));
        for (int i = 0; i < keys; i++) {
            stores.get(ids.get(i % 3)).requestOp(KvKey.of("k", Integer.toString(i)), increment(1));
        }
        assertTrue(net.runUntil(() -> sameState(ids), 30_000) >= 0, "3 nodes with " + keys + " keys converge");
        net.runFor(2_000);
        long before = 0;
        for (String id : ids) {
            before += stores.get(id).metrics().antiEntropyBytesSent();
        }
        net.runFor(10_000);
        long after = 0;
        for (String id : ids) {
            after += stores.get(id).metrics().antiEntropyBytesSent();
        }
        return after - before;
    }

    private boolean sameState(List<String> ids) {
        final long digest = stores.get(ids.get(0)).digest();
        for (String id : ids) {
            if (stores.get(id).digest() != digest || stores.get(id).keyCount() != stores.get(ids.get(0)).keyCount()) {
                return false;
            }
        }
        return true;
    }

    @Test
    void aNodeBackFromALongAbsenceGetsAFullExchange() {
        for (String id : List.of("a", "b", "c")) {
            node(id);
        }
        net.link("a", "b");
        net.link("b", "c");
        net.runFor(200);
        net.partition(List.of(Set.of("a", "b"), Set.of("c")));
        net.runFor(200);
        for (int i = 0; i < 300; i++) {
            stores.get("a").requestOp(KvKey.of("k", Integer.toString(i)), increment(i));
        }
        net.runFor(60_000);
        final long fullBefore = stores.get("b").metrics().fullExchanges();
        net.heal();
        assertTrue(net.runUntil(() -> converged(KvKey.root()), 10_000) >= 0);
        assertEquals(300, stores.get("c").keys(KvKey.of("k")).size());
        assertTrue(stores.get("b").metrics().fullExchanges() > fullBefore);
    }

    @Test
    void valuesAskedOfANeighbourThatVanishesAreFetchedFromAnother() {
        for (String id : List.of("a", "b", "c")) {
            node(id);
        }
        net.link("a", "b");
        net.link("a", "c");
        net.link("b", "c");
        net.runFor(200);
        net.partition(List.of(Set.of("a", "b"), Set.of("c")));
        net.runFor(5_000);
        for (int i = 0; i < 300; i++) {
            stores.get(i % 2 == 0 ? "a" : "b").requestOp(KvKey.of("k", Integer.toString(i)), increment(1));
        }
        net.runFor(1_000);
        // c comes back to a first and asks it for the values ...
        net.partition(List.of(Set.of("a", "c"), Set.of("b")));
        assertTrue(net.runUntil(() -> replicators.get(2).pendingRequests("a") > 0, 100, 1) >= 0, "c asked a");
        // ... and a vanishes before they arrive, while b becomes reachable.
        net.partition(List.of(Set.of("b", "c"), Set.of("a")));
        assertTrue(net.runUntil(() -> converged(List.of(stores.get("b"), stores.get("c")), KvKey.root()), 30_000) >= 0);
        assertEquals(300, stores.get("c").keys(KvKey.of("k")).size());
    }

    @Test
    void corruptFramesAreCountedAndChangeNothing() {
        final KvStore a = node("a");
        final KvStore b = node("b");
        net.link("a", "b");
        net.runFor(200);
        a.requestOp(KEY, increment(5));
        net.runFor(500);
        final Versioned before = b.valueWithClock(KEY);
        final byte[] frame = KvFrames.delta("a", 2, KEY, a.requestOp(KEY, increment(1)).merge(OrMap.empty()));
        net.runFor(500);
        final Versioned settled = b.valueWithClock(KEY);
        assertEquals(6, count(settled.value()));
        frame[frame.length - 3] ^= 0x40;
        final KvTestNetwork.Node bNode = net.node("b");
        bNode.deliver("a", frame);
        bNode.deliver("a", new byte[] {1, 1, 0, 0, 0, 0, 9, 9, 9});
        bNode.deliver("a", new byte[0]);
        assertEquals(3, b.metrics().corruptFrames());
        assertEquals(settled, b.valueWithClock(KEY));
        assertTrue(!before.equals(settled));
    }

    private static KvReplicator.ReplicationLag lagOf(KvReplicator replicator, String peer) {
        return replicator.replicationLag().stream().filter(l -> l.peer().equals(peer)).findFirst()
                .orElseThrow(() -> new AssertionError("no lag toward " + peer + ": " + replicator.replicationLag()));
    }

    @Test
    void replicationLagGrowsWhileANeighbourConfirmsNothingAndClearsAfterTheNextExchange() {
        final KvStore a = node("a");
        node("b");
        final KvReplicator replicator = replicators.getFirst();
        net.link("a", "b");
        net.runFor(500);
        assertEquals(List.of(new KvReplicator.ReplicationLag("b", 0, 0)), replicator.replicationLag(), "caught up");

        net.mute("a", "b"); // b stays a neighbour: no health check has noticed
        final long firstCommit = net.nowNanos();
        a.requestOp(KEY, increment(1));
        net.runFor(1_000);
        assertEquals(new KvReplicator.ReplicationLag("b", 1_000_000_000L, 1), lagOf(replicator, "b"));
        a.requestOp(KEY, increment(1));
        a.requestOp(KvKey.of("demo", "other"), increment(1));
        net.runFor(4_000);
        assertEquals(new KvReplicator.ReplicationLag("b", net.nowNanos() - firstCommit, 3), lagOf(replicator, "b"),
                "the age of the first unconfirmed commit, and every commit since counted");

        net.unmute("a", "b");
        // An exchange lost in the silence is given up after the push timeout; the next round confirms everything.
        final KvReplicator.Config config = KvReplicator.Config.simulation();
        final long bound = config.pushTimeout().plus(config.antiEntropyInterval()).toMillis() + 50;
        assertTrue(net.runUntil(() -> lagOf(replicator, "b").equals(new KvReplicator.ReplicationLag("b", 0, 0)),
                bound, 1) >= 0, "confirmed by one exchange: " + replicator.replicationLag());
        assertEquals(2, count(stores.get("b").value(KEY)));
        assertEquals(0, replicator.commitStampsKept(), "confirmed by every neighbour: forgotten");
    }

    @Test
    void replicationLagCountsChangesMergedFromOthersAndDropsANeighbourThatGoesAway() {
        final KvStore a = node("a");
        final KvStore b = node("b");
        node("c");
        final KvReplicator replicator = replicators.getFirst();
        net.link("a", "b");
        net.link("a", "c");
        net.runFor(500);
        net.mute("a", "c");
        b.requestOp(KEY, increment(1)); // merged into a from b's delta: a change c has not confirmed from a
        net.runFor(100);
        assertEquals(1, count(a.value(KEY)));
        assertEquals(1, lagOf(replicator, "c").pendingChanges());
        assertTrue(lagOf(replicator, "c").lagNanos() > 0);

        net.partition(List.of(Set.of("a", "b"), Set.of("c")));
        net.runFor(100);
        assertEquals(List.of("b"), replicator.replicationLag().stream().map(KvReplicator.ReplicationLag::peer).toList(),
                "a neighbour that went away has no lag");
    }

    @Test
    void commitTimesStayBoundedWhileANeighbourIsSilentForHoursAndTheOldestAgeStaysExact() {
        final KvStore a = node("a");
        node("b");
        final KvReplicator replicator = replicators.getFirst();
        net.link("a", "b");
        net.runFor(500);
        net.mute("a", "b");
        final long firstCommit = net.nowNanos();
        final int commits = 3 * KvReplicator.COMMIT_STAMPS;
        for (int i = 0; i < commits; i++) {
            a.requestOp(KEY, increment(1));
            net.runFor(3_000); // 2.5 hours in all
            assertTrue(replicator.commitStampsKept() <= KvReplicator.COMMIT_STAMPS, "bounded");
        }
        assertEquals(new KvReplicator.ReplicationLag("b", net.nowNanos() - firstCommit, commits),
                lagOf(replicator, "b"));

        net.unmute("a", "b");
        assertTrue(net.runUntil(() -> lagOf(replicator, "b").pendingChanges() == 0, 5_000) >= 0);
        assertEquals(0, lagOf(replicator, "b").lagNanos());
        assertEquals(0, replicator.commitStampsKept());
    }
}
