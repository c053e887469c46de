package io.navstar.gossip.kv;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * A tiny deterministic network for the replicator's unit tests: simulated time in one thread, a
 * fixed set of undirected links, seeded latency and loss, partitions that take links down (and
 * tell both ends), heals that bring them back, and links muted without telling anyone. Multicast
 * reaches every node of the sender's partition directly. Not thread-safe: the test thread drives it.
 */
final class KvTestNetwork {

    private record Event(long time, long seq, Runnable task) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            return time != o.time ? Long.compare(time, o.time) : Long.compare(seq, o.seq);
        }
    }

    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private final Random random;
    private final Map<String, Node> nodes = new HashMap<>();
    private final Set<Set<String>> links = new HashSet<>();
    private final Map<String, Integer> group = new HashMap<>();
    private final Set<Set<String>> muted = new HashSet<>();
    private long now;
    private long seq;
    double lossRate;
    long unicastBytes;
    long multicastBytes;

    KvTestNetwork(long seed) {
        random = new Random(seed);
    }

    Node node(String id) {
        return nodes.computeIfAbsent(id, Node::new);
    }

    void link(String a, String b) {
        links.add(Set.of(a, b));
        if (connected(a, b)) {
            neighbourChange(a, b, true);
        }
    }

    /** Nodes of different groups cannot talk; their links go down. */
    void partition(List<Set<String>> groups) {
        final Map<Set<String>, Boolean> before = linkStates();
        group.clear();
        for (int i = 0; i < groups.size(); i++) {
            for (String id : groups.get(i)) {
                group.put(id, i);
            }
        }
        announce(before);
    }

    /**
     * Frames between {@code a} and {@code b} are lost from now on, and neither end is told: a link that has failed
     * before the health checks noticed.
     */
    void mute(String a, String b) {
        muted.add(Set.of(a, b));
    }

    /** Frames between {@code a} and {@code b} flow again. */
    void unmute(String a, String b) {
        muted.remove(Set.of(a, b));
    }

    void heal() {
        final Map<Set<String>, Boolean> before = linkStates();
        group.clear();
        announce(before);
    }

    private Map<Set<String>, Boolean> linkStates() {
        final Map<Set<String>, Boolean> states = new HashMap<>();
        for (Set<String> l : links) {
            final String[] ends = l.toArray(new String[0]);
            states.put(l, connected(ends[0], ends[1]));
        }
        return states;
    }

    private void announce(Map<Set<String>, Boolean> before) {
        for (Set<String> l : links) {
            final String[] ends = l.toArray(new String[0]);
            final boolean up = connected(ends[0], ends[1]);
            if (up != before.get(l)) {
                neighbourChange(ends[0], ends[1], up);
            }
        }
    }

    private void neighbourChange(String a, String b, boolean up) {
        at(0, () -> node(a).neighbourEvent(b, up));
        at(0, () -> node(b).neighbourEvent(a, up));
    }

    boolean connected(String a, String b) {
        return group.getOrDefault(a, -1).equals(group.getOrDefault(b, -1));
    }

    private void at(long delayNanos, Runnable task) {
        queue.add(new Event(now + delayNanos, seq++, task));
    }

    private long latency() {
        return 1_000_000L + random.nextInt(2_000_000);
    }

    void runFor(long millis) {
        final long end = now + millis * 1_000_000L;
        while (!queue.isEmpty() && queue.peek().time() <= end) {
            final Event e = queue.poll();
            now = e.time();
            e.task().run();
        }
        now = end;
    }

    /** Runs until {@code done} holds (checked every simulated 10 ms); returns the simulated millis taken, or -1. */
    long runUntil(BooleanSupplier done, long maxMillis) {
        return runUntil(done, maxMillis, 10);
    }

    /** As {@link #runUntil(BooleanSupplier, long)}, checking every {@code stepMillis}. */
    long runUntil(BooleanSupplier done, long maxMillis, long stepMillis) {
        final long start = now;
        while (now - start < maxMillis * 1_000_000L) {
            if (done.getAsBoolean()) {
                return (now - start) / 1_000_000L;
            }
            runFor(stepMillis);
        }
        return done.getAsBoolean() ? (now - start) / 1_000_000L : -1;
    }

    long nowNanos() {
        return now;
    }

    final class Node implements KvNetwork {
        private final String id;
        private Handler handler;

        Node(String id) {
            this.id = id;
        }

        void neighbourEvent(String peer, boolean up) {
            if (handler != null) {
                if (up) {
                    handler.onNeighbourUp(peer);
                } else {
                    handler.onNeighbourDown(peer);
                }
            }
        }

        @Override
        public String localId() {
            return id;
        }

        @Override
        public void start(Handler h) {
            this.handler = h;
            for (Set<String> l : links) {
                if (l.contains(id)) {
                    for (String other : l) {
                        if (!other.equals(id) && connected(id, other)) {
                            at(0, () -> neighbourEvent(other, true));
                        }
                    }
                }
            }
        }

        @Override
        public void multicast(byte[] frame) {
            for (Node other : new ArrayList<>(nodes.values())) {
                if (other != this && connected(id, other.id) && !muted.contains(Set.of(id, other.id))
                        && random.nextDouble() >= lossRate) {
                    multicastBytes += frame.length;
                    at(latency(), () -> other.deliver(id, frame));
                }
            }
        }

        @Override
        public boolean send(String peer, byte[] frame) {
            if (!links.contains(Set.of(id, peer)) || !connected(id, peer)) {
                return false;
            }
            if (random.nextDouble() < lossRate || muted.contains(Set.of(id, peer))) {
                return true;
            }
            unicastBytes += frame.length;
            final Node other = nodes.get(peer);
            at(latency(), () -> {
                if (connected(id, peer) && !muted.contains(Set.of(id, peer))) {
                    other.deliver(id, frame);
                }
            });
            return true;
        }

        void deliver(String from, byte[] frame) {
            if (handler != null) {
                handler.onFrame(from, frame);
            }
        }

        @Override
        public void execute(Runnable task) {
            at(0, task);
        }

        @Override
        public Runnable schedule(Runnable task, long delayMillis) {
            final boolean[] cancelled = {false};
            at(delayMillis * 1_000_000L, () -> {
                if (!cancelled[0]) {
                    task.run();
                }
            });
            return () -> cancelled[0] = true;
        }

        @Override
        public long nanoTime() {
            return now;
        }
    }
}
