package io.navstar.gossip.sim;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.GossipNode;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.membership.EpochStore;
import io.navstar.gossip.metrics.GossipMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Many gossip nodes on one {@link SimNetwork} in simulated time: add nodes, start them, crash and
 * restart them, partition and heal, and run the clock. Every random choice derives from the seed,
 * so a run replays exactly.
 *
 * <p>Not thread-safe: one thread builds and drives the cluster.
 */
public final class SimCluster {

    private final GossipConfig config;
    private final long seed;
    private final SimScheduler scheduler = new SimScheduler();
    private final SimNetwork network;
    private final Map<NodeId, GossipNode> nodes = new LinkedHashMap<>();
    private final Map<NodeId, EpochStore> epochs = new HashMap<>();
    private int nextIndex;
    private long restarts;

    /** A cluster with 1-5 ms latency, no loss, and messages encoded and decoded on the way. */
    public SimCluster(GossipConfig config, long seed) {
        this(config, seed, Duration.ofMillis(1), Duration.ofMillis(5), true);
    }

    public SimCluster(GossipConfig config, long seed, Duration latencyMin, Duration latencyMax, boolean serialize) {
        this.config = config;
        this.seed = seed;
        this.network = new SimNetwork(scheduler, seed, latencyMin, latencyMax, serialize);
    }

    public SimScheduler scheduler() {
        return scheduler;
    }

    public SimNetwork network() {
        return network;
    }

    /** Creates a node (not started) with the next simulated address. */
    public GossipNode addNode() {
        return createNode(SimNetwork.simulatedNode(nextIndex++));
    }

    private GossipNode createNode(NodeId id) {
        GossipMetrics metrics = new GossipMetrics();
        SimNetwork.SimTransport transport = network.attach(id, metrics);
        EpochStore epochStore = epochs.computeIfAbsent(id, n -> EpochStore.inMemory());
        long nodeSeed = seed * 1_000_003L + id.hashCode() * 31L + restarts;
        GossipNode node = GossipNode.create(config, transport, scheduler, metrics, epochStore, nodeSeed);
        nodes.put(id, node);
        return node;
    }

    /** Adds {@code count} nodes and starts each, joining through the first node of the cluster. */
    public List<GossipNode> addAndStart(int count) {
        List<GossipNode> added = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            GossipNode node = addNode();
            added.add(node);
        }
        NodeId contact = nodes.keySet().iterator().next();
        for (GossipNode node : added) {
            node.start(node.self().equals(contact) ? List.of() : List.of(contact));
        }
        return added;
    }

    /** Crashes a node at once: no goodbye, messages in flight to it are lost. */
    public void crash(NodeId id) {
        GossipNode node = nodes.remove(id);
        network.crash(id);
        if (node != null) {
            node.close();
        }
    }

    /** Starts a new incarnation of a crashed node (its epoch store remembers the last epoch). */
    public GossipNode restart(NodeId id, List<NodeId> contactNodes) {
        if (nodes.containsKey(id)) {
            throw new IllegalStateException(id + " is running");
        }
        restarts++;
        GossipNode node = createNode(id);
        node.start(contactNodes);
        return node;
    }

    public void partition(Collection<? extends Set<NodeId>> groups) {
        network.partition(groups);
    }

    public void heal() {
        network.heal();
    }

    /** The running nodes, in the order they were added. */
    public Collection<GossipNode> nodes() {
        return nodes.values();
    }

    public GossipNode node(NodeId id) {
        return nodes.get(id);
    }

    public void runFor(Duration duration) {
        scheduler.runFor(duration);
    }

    /** Runs until {@code condition} holds, checking every {@code step}; null when {@code limit} passed first. */
    public Duration runUntil(BooleanSupplier condition, Duration step, Duration limit) {
        return scheduler.runUntil(condition, step, limit);
    }
}
