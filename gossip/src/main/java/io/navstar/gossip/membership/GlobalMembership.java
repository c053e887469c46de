package io.navstar.gossip.membership;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.metrics.GossipMetrics;
import io.navstar.gossip.route.RouteTable;
import io.navstar.gossip.route.IndexedGraph;
import io.navstar.gossip.route.Topology;
import io.navstar.gossip.scheduler.Scheduler;
import io.navstar.gossip.transport.Transport;
import io.navstar.gossip.wire.Message.MembershipUpdate;
import io.navstar.gossip.wire.Message.Ping;
import io.navstar.gossip.wire.Message.ProbePurpose;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.agrona.collections.Object2ObjectHashMap;

/**
 * Lashup's global membership (lashup_gm): every node holds every node's row {@code {activeView,
 * epoch, clock}} and floods changes over its active view; a newer row replaces an older one and is
 * flooded on, an older or equal one stops. A new neighbour gets the whole table. A node re-floods
 * its own row every {@link GossipConfig#membershipRefreshInterval()}. From the table it builds the
 * {@link Topology} and this node's {@link RouteTable}, computes reachability (damped), prunes nodes
 * unreachable for too long, and probes one unreachable node at a time so that partitions heal.
 *
 * <p>Confined to the node's scheduler thread, except {@link #publishedRoutes()} and
 * {@link #publishedMembers()}, which return immutable snapshots to any thread.
 */
public final class GlobalMembership {

    /** What membership asks of the other components. */
    public interface Hooks {
        /** A flooded row says a node dropped {@code neighbour}: probe it ourselves now. */
        void probeNeighbour(NodeId neighbour);

        /** An unreachable node answered a probe: make it a neighbour to join the components. */
        void healWith(NodeId node);
    }

    private record Tombstone(MemberEntry entry, long prunedAtNanos) {
    }

    private final NodeId self;
    private final GossipConfig config;
    private final Scheduler scheduler;
    private final Random random;
    private final Transport transport;
    private final GossipMetrics metrics;
    private final List<NodeId> activeView;
    private final Hooks hooks;
    private final List<MembershipListener> listeners = new CopyOnWriteArrayList<>();

    private final Object2ObjectHashMap<NodeId, MemberEntry> table = new Object2ObjectHashMap<>();
    private final Map<NodeId, Tombstone> tombstones = new HashMap<>();
    private final PendingFlood pendingFlood = new PendingFlood();
    private final Map<NodeId, Long> unreachableSince = new LinkedHashMap<>();
    private final IndexedGraph graph = new IndexedGraph();
    private long reachabilityVersion = -1;
    private long routesVersion = -1;
    private int reachableCount;
    private long epoch;
    private long clock;
    private boolean running;
    private boolean flushScheduled;
    private RouteTable routes;
    private volatile RouteTable publishedRoutes;
    private volatile Map<NodeId, MemberEntry> publishedMembers = Map.of();
    private long membersVersion = -1;
    private long tableVersion;
    private long healProbeSequence;
    private List<NodeId> contacts = List.of();
    private final List<NodeId> probeCandidates = new ArrayList<>();

    public GlobalMembership(NodeId self, long epoch, GossipConfig config, Scheduler scheduler, Random random,
                            Transport transport, GossipMetrics metrics, List<NodeId> activeView, Hooks hooks) {
        this.self = self;
        this.epoch = epoch;
        this.config = config;
        this.scheduler = scheduler;
        this.random = random;
        this.transport = transport;
        this.metrics = metrics;
        this.activeView = activeView;
        this.hooks = hooks;
        this.publishedRoutes = new RouteTable(self, Topology.empty());
    }

    public void addListener(MembershipListener listener) {
        listeners.add(listener);
    }

    public long epoch() {
        return epoch;
    }

    /**
     * The contact nodes this node joined through. Any of them that membership does not know or
     * cannot reach is probed like an unreachable node, so two overlays that formed apart (each
     * around a different contact, when contacts start at the same time) find each other.
     */
    public void contactNodes(List<NodeId> contacts) {
        this.contacts = contacts.stream().filter(n -> !n.equals(self)).toList();
    }

    public void start() {
        running = true;
        localViewChanged();
        schedule(this::refreshTick, config.membershipRefreshInterval().toNanos());
        schedule(this::syncTick, jitter(config.membershipSyncInterval().toNanos()));
        schedule(this::reachabilityTick, config.reachabilityDamping().toNanos());
        schedule(this::unreachableProbeTick, jitter(config.unreachableProbeInterval().toNanos()));
    }

    public void stop() {
        running = false;
    }

    /** This node's active view changed: a new row with the next clock, flooded. */
    public void localViewChanged() {
        clock++;
        NodeId[] view = activeView.toArray(NodeId[]::new);
        Arrays.sort(view);
        MemberEntry entry = new MemberEntry(self, epoch, clock, view);
        table.put(self, entry);
        graph.setRow(self, view);
        tableVersion++;
        queueFlood(entry, null);
        notifyChanged(entry);
    }

    /** A new neighbour gets our whole table, in messages of bounded size. */
    public void sendTable(NodeId neighbour) {
        MemberEntry[] all = table.values().toArray(MemberEntry[]::new);
        int chunk = config.maxEntriesPerUpdate();
        for (int from = 0; from < all.length; from += chunk) {
            transport.send(neighbour, new MembershipUpdate(Arrays.copyOfRange(all, from, Math.min(all.length, from + chunk))));
        }
    }

    /** Rows from a neighbour: keep and flood on the newer ones. */
    public void onUpdate(NodeId from, MembershipUpdate update) {
        for (MemberEntry entry : update.entries()) {
            if (entry.node().equals(self)) {
                onOwnRow(entry);
                continue;
            }
            Tombstone tombstone = tombstones.get(entry.node());
            if (tombstone != null) {
                if (!entry.isNewerThan(tombstone.entry())) {
                    continue;
                }
                tombstones.remove(entry.node());
            }
            MemberEntry current = table.get(entry.node());
            if (current != null && !entry.isNewerThan(current)) {
                continue;
            }
            table.put(entry.node(), entry);
            tableVersion++;
            if (current == null || !Arrays.equals(current.activeView(), entry.activeView())) {
                graph.setRow(entry.node(), entry.activeView());
            }
            if (current != null) {
                hintDroppedNeighbours(current, entry);
            }
            queueFlood(entry, from);
            notifyChanged(entry);
        }
    }

    // Someone holds a row of ours at least as new as our own (a previous incarnation that lost
    // its epoch file, or our own echo): move past it so our row wins again.
    private void onOwnRow(MemberEntry entry) {
        if (entry.epoch() > epoch || (entry.epoch() == epoch && entry.clock() > clock)) {
            epoch = Math.max(epoch, entry.epoch());
            clock = entry.clock();
            localViewChanged();
        }
    }

    // A node's new row no longer lists a neighbour of ours: that may be a failure it detected.
    // We do not believe it; we probe the neighbour ourselves at once.
    private void hintDroppedNeighbours(MemberEntry before, MemberEntry after) {
        for (NodeId was : before.activeView()) {
            if (!after.lists(was) && activeView.contains(was)) {
                hooks.probeNeighbour(was);
            }
        }
    }

    private void queueFlood(MemberEntry entry, NodeId source) {
        pendingFlood.put(entry, source);
        if (!flushScheduled && running) {
            flushScheduled = true;
            schedule(this::flush, config.membershipFloodInterval().toNanos());
        }
    }

    // Batched flood: each neighbour gets the newest pending rows except those it sent us.
    private void flush() {
        flushScheduled = false;
        if (!running || pendingFlood.isEmpty()) {
            return;
        }
        MemberEntry[] pending = pendingFlood.entries();
        NodeId[] sources = pendingFlood.sources();
        pendingFlood.clear();
        List<MemberEntry> batch = new ArrayList<>(pending.length);
        for (NodeId neighbour : activeView) {
            batch.clear();
            for (int i = 0; i < pending.length; i++) {
                if (!neighbour.equals(sources[i])) {
                    batch.add(pending[i]);
                }
            }
            for (int from = 0; from < batch.size(); from += config.maxEntriesPerUpdate()) {
                List<MemberEntry> chunk = batch.subList(from, Math.min(batch.size(), from + config.maxEntriesPerUpdate()));
                transport.send(neighbour, new MembershipUpdate(chunk.toArray(MemberEntry[]::new)));
            }
        }
    }

    // Anti-entropy: flooding is best effort (a frame may be dropped), so now and then one random
    // neighbour gets the whole table; newer rows win there as in a flood.
    private void syncTick() {
        if (!running) {
            return;
        }
        if (!activeView.isEmpty()) {
            sendTable(activeView.get(random.nextInt(activeView.size())));
        }
        schedule(this::syncTick, jitter(config.membershipSyncInterval().toNanos()));
    }

    private void refreshTick() {
        if (!running) {
            return;
        }
        localViewChanged();
        schedule(this::refreshTick, config.membershipRefreshInterval().toNanos());
    }

    /** The route table over the current table, rebuilt when the adjacency changed; scheduler thread. */
    public RouteTable routes() {
        if (routes == null || routesVersion != graph.version()) {
            routes = new RouteTable(self, graph.snapshot());
            routesVersion = graph.version();
            publishedRoutes = routes;
        }
        return routes;
    }

    /** The route table as last published; any thread (see {@link #refreshPublished()}). */
    public RouteTable publishedRoutes() {
        return publishedRoutes;
    }

    /** The membership table as last published; any thread. */
    public Map<NodeId, MemberEntry> publishedMembers() {
        return publishedMembers;
    }

    /** Publishes the current routes and table for other threads; scheduler thread. */
    public void refreshPublished() {
        routes();
        if (membersVersion != tableVersion) {
            publishedMembers = Map.copyOf(table);
            membersVersion = tableVersion;
        }
    }

    /** Nodes reachable at the last damped recomputation, this node included. */
    public int reachableCount() {
        return reachableCount;
    }

    /** The row of {@code node}, or null; scheduler thread only. */
    public MemberEntry entry(NodeId node) {
        return table.get(node);
    }

    /** Rows known; scheduler thread only. */
    public int size() {
        return table.size();
    }

    // Damped: at most one recomputation (and one event) per damping interval.
    private void reachabilityTick() {
        if (!running) {
            return;
        }
        if (reachabilityVersion != graph.version()) {
            recomputeReachability();
        }
        prune();
        schedule(this::reachabilityTick, config.reachabilityDamping().toNanos());
    }

    private void recomputeReachability() {
        reachabilityVersion = graph.version();
        long now = scheduler.nanoTime();
        Set<NodeId> became = new HashSet<>();
        Set<NodeId> lost = new HashSet<>();
        reachableCount = graph.reach(self, (node, reachable, wasReachable) -> {
            if (reachable) {
                if (!unreachableSince.isEmpty()) {
                    unreachableSince.remove(node);
                }
                if (!wasReachable && !node.equals(self)) {
                    became.add(node);
                }
            } else {
                if (wasReachable) {
                    lost.add(node);
                }
                if (table.containsKey(node)) {
                    unreachableSince.putIfAbsent(node, now);
                }
            }
        });
        metrics.membership(table.size(), reachableCount);
        if (!became.isEmpty() || !lost.isEmpty()) {
            Set<NodeId> up = Set.copyOf(became);
            Set<NodeId> down = Set.copyOf(lost);
            for (MembershipListener listener : listeners) {
                listener.onReachabilityChanged(up, down);
            }
        }
    }

    // Long-silent nodes: unreachable for pruneUnreachableAfter. Their last row stays as a tombstone
    // so that a stale copy flooded by a slower node does not bring them back.
    private void prune() {
        long now = scheduler.nanoTime();
        long after = config.pruneUnreachableAfter().toNanos();
        List<NodeId> pruned = null;
        for (Map.Entry<NodeId, Long> since : unreachableSince.entrySet()) {
            if (now - since.getValue() >= after) {
                if (pruned == null) {
                    pruned = new ArrayList<>();
                }
                pruned.add(since.getKey());
            }
        }
        if (pruned != null) {
            for (NodeId node : pruned) {
                unreachableSince.remove(node);
                MemberEntry last = table.remove(node);
                if (last != null) {
                    tombstones.put(node, new Tombstone(last, now));
                    tableVersion++;
                    for (MembershipListener listener : listeners) {
                        listener.onMemberRemoved(node);
                    }
                }
            }
            Map<NodeId, NodeId[]> rows = new HashMap<>(table.size() * 2);
            for (Map.Entry<NodeId, MemberEntry> row : table.entrySet()) {
                rows.put(row.getKey(), row.getValue().activeView());
            }
            graph.rebuild(rows);
        }
        if (!tombstones.isEmpty()) {
            tombstones.values().removeIf(t -> now - t.prunedAtNanos() > 2 * after);
        }
    }

    // Lashup's lashup_gm_probe: one random unreachable node (or unknown contact) at a time; an
    // answer heals.
    private void unreachableProbeTick() {
        if (!running) {
            return;
        }
        probeCandidates.clear();
        for (NodeId contact : contacts) {
            if (!table.containsKey(contact) || unreachableSince.containsKey(contact)) {
                probeCandidates.add(contact);
            }
        }
        int candidates = probeCandidates.size() + unreachableSince.size();
        if (candidates > 0) {
            int pick = random.nextInt(candidates);
            NodeId target = null;
            if (pick < probeCandidates.size()) {
                target = probeCandidates.get(pick);
            } else {
                pick -= probeCandidates.size();
                for (NodeId node : unreachableSince.keySet()) {
                    if (pick-- == 0) {
                        target = node;
                        break;
                    }
                }
            }
            transport.send(target, new Ping(++healProbeSequence, scheduler.nanoTime(), ProbePurpose.HEAL));
        }
        schedule(this::unreachableProbeTick, jitter(config.unreachableProbeInterval().toNanos()));
    }

    /**
     * A node answered a heal probe: if it is unreachable or unknown to us, it lives across a
     * partition (or in an overlay that formed apart); connect to it.
     */
    public void onHealAnswer(NodeId from) {
        if (unreachableSince.containsKey(from) || !table.containsKey(from)) {
            hooks.healWith(from);
        }
    }

    private void notifyChanged(MemberEntry entry) {
        for (MembershipListener listener : listeners) {
            listener.onMemberChanged(entry);
        }
    }

    private long jitter(long periodNanos) {
        return periodNanos / 2 + (long) (random.nextDouble() * periodNanos);
    }

    private void schedule(Runnable task, long delayNanos) {
        scheduler.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    }
}
