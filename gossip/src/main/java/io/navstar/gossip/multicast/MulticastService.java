package io.navstar.gossip.multicast;

import io.navstar.gossip.ChannelHandler;
import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.metrics.GossipMetrics;
import io.navstar.gossip.route.RouteTable;
import io.navstar.gossip.route.RouteTree.WireTree;
import io.navstar.gossip.transport.Transport;
import io.navstar.gossip.wire.Message.Multicast;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Lashup's multicast: a payload travels down BFS trees that the message carries, so a forwarding
 * node needs no routing state of its own. The origin sends it along its own tree and along the
 * trees of {@link GossipConfig#multicastExtraRoots()} random neighbours (each rooted at that
 * neighbour, which the origin computes from global membership), so one broken tree edge does not
 * lose it. Every copy is forwarded along the tree it carries; delivery to the channel happens once
 * per {@code (origin, epoch, sequence)}, de-duplicated with a bounded {@link DedupWindow} per origin.
 *
 * <p>Confined to the node's scheduler thread.
 */
public final class MulticastService {

    private final NodeId self;
    private final LongSupplier epoch;
    private final GossipConfig config;
    private final Random random;
    private final Transport transport;
    private final GossipMetrics metrics;
    private final Supplier<RouteTable> routes;
    private final List<NodeId> activeView;
    private final IntFunction<ChannelHandler> channels;
    private final Map<NodeId, DedupWindow> windows = new HashMap<>();
    private long nextSequence;

    public MulticastService(NodeId self, LongSupplier epoch, GossipConfig config, Random random, Transport transport,
                            GossipMetrics metrics, Supplier<RouteTable> routes, List<NodeId> activeView,
                            IntFunction<ChannelHandler> channels) {
        this.self = self;
        this.epoch = epoch;
        this.config = config;
        this.random = random;
        this.transport = transport;
        this.metrics = metrics;
        this.routes = routes;
        this.activeView = activeView;
        this.channels = channels;
    }

    /** Sends {@code payload} to every reachable node's handler of {@code channel}; not to self. */
    public void multicast(int channel, byte[] payload) {
        long sequence = ++nextSequence;
        long originEpoch = epoch.getAsLong();
        window(self).markDelivered(originEpoch, sequence);
        RouteTable table = routes.get();
        WireTree own = table.tree(self).toWire();
        Multicast message = new Multicast(self, originEpoch, sequence, channel, own.nodes(), own.parents(), payload);
        forward(message, 0);
        List<NodeId> candidates = new ArrayList<>(activeView);
        for (int i = 0; i < config.multicastExtraRoots() && !candidates.isEmpty(); i++) {
            NodeId root = candidates.remove(random.nextInt(candidates.size()));
            WireTree tree = table.tree(root).toWire();
            if (tree.nodes().length == 0) {
                continue;
            }
            transport.send(root, new Multicast(self, originEpoch, sequence, channel, tree.nodes(), tree.parents(), payload));
        }
    }

    /** A copy from a parent in its tree: deliver once, forward to our children in that tree. */
    public void onMulticast(Multicast message) {
        if (window(message.origin()).markDelivered(message.originEpoch(), message.sequence())) {
            ChannelHandler handler = channels.apply(message.channel());
            if (handler != null) {
                metrics.multicastDelivered();
                handler.onMessage(message.origin(), message.payload());
            }
        } else {
            metrics.multicastDuplicate();
        }
        NodeId[] nodes = message.treeNodes();
        for (int i = 0; i < nodes.length; i++) {
            if (nodes[i].equals(self)) {
                forward(message, i);
                return;
            }
        }
    }

    private void forward(Multicast message, int position) {
        int[] parents = message.treeParents();
        NodeId[] nodes = message.treeNodes();
        // parents point backwards in BFS order, so children come after their parent
        for (int k = position + 1; k < parents.length; k++) {
            if (parents[k] == position && !nodes[k].equals(message.origin())) {
                transport.send(nodes[k], message);
            }
        }
    }

    /** Forget an origin pruned from membership. */
    public void forget(NodeId origin) {
        windows.remove(origin);
    }

    private DedupWindow window(NodeId origin) {
        DedupWindow window = windows.get(origin);
        if (window == null) {
            window = new DedupWindow(config.multicastDedupWindow());
            windows.put(origin, window);
        }
        return window;
    }
}
