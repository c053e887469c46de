package io.navstar.gossip.kv;

import io.navstar.gossip.GossipNode;
import io.navstar.gossip.NeighbourListener;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.scheduler.Scheduler;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs the KV replicator over a {@link GossipNode}: deltas go out on {@link #DELTA_CHANNEL} through
 * the node's BFS-tree multicast, anti-entropy frames on {@link #ANTI_ENTROPY_CHANNEL} point to point
 * to active-view neighbours, and neighbour changes come from the node's HyParView active view. Node
 * ids become replica ids through {@link NodeId#toString()} ({@code a.b.c.d:port}), which a restart
 * keeps, as dots require.
 *
 * <p>Everything reaches the handler on the node's scheduler thread; timers use the same scheduler,
 * so a simulation stays deterministic.
 */
public final class GossipKvNetwork implements KvNetwork {

    /** Channel of delta multicasts. */
    public static final int DELTA_CHANNEL = GossipNode.FIRST_USER_CHANNEL;
    /** Channel of anti-entropy pushes, acks and full-exchange requests. */
    public static final int ANTI_ENTROPY_CHANNEL = GossipNode.FIRST_USER_CHANNEL + 1;

    private final GossipNode node;
    private final Scheduler scheduler;
    private final ConcurrentHashMap<String, NodeId> ids = new ConcurrentHashMap<>();

    public GossipKvNetwork(GossipNode node) {
        this.node = node;
        this.scheduler = node.scheduler();
    }

    @Override
    public String localId() {
        return node.self().toString();
    }

    @Override
    public void start(Handler handler) {
        node.registerChannel(DELTA_CHANNEL, (origin, payload) -> handler.onFrame(name(origin), payload));
        node.registerChannel(ANTI_ENTROPY_CHANNEL, (origin, payload) -> handler.onFrame(name(origin), payload));
        node.addNeighbourListener(new NeighbourListener() {
            @Override
            public void onNeighbourUp(NodeId neighbour) {
                handler.onNeighbourUp(name(neighbour));
            }

            @Override
            public void onNeighbourDown(NodeId neighbour, boolean failed) {
                handler.onNeighbourDown(name(neighbour));
            }
        });
        // Neighbours that came up before we listened (the replicator ignores repeats).
        scheduler.execute(() -> node.activeView().forEach(n -> handler.onNeighbourUp(name(n))));
    }

    private String name(NodeId id) {
        final String name = id.toString();
        ids.putIfAbsent(name, id);
        return name;
    }

    @Override
    public void multicast(byte[] frame) {
        node.multicast(DELTA_CHANNEL, frame);
    }

    @Override
    public boolean send(String peer, byte[] frame) {
        NodeId id = ids.get(peer);
        if (id == null) {
            id = NodeId.parse(peer);
            ids.putIfAbsent(peer, id);
        }
        return node.send(id, ANTI_ENTROPY_CHANNEL, frame);
    }

    @Override
    public void execute(Runnable task) {
        scheduler.execute(task);
    }

    @Override
    public Runnable schedule(Runnable task, long delayMillis) {
        final Scheduler.Cancellable c = scheduler.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        return c::cancel;
    }

    @Override
    public long nanoTime() {
        return scheduler.nanoTime();
    }
}
