package io.navstar.gossip;

import io.navstar.gossip.health.HealthChecker;
import io.navstar.gossip.hyparview.HyParView;
import io.navstar.gossip.membership.EpochStore;
import io.navstar.gossip.membership.GlobalMembership;
import io.navstar.gossip.membership.MemberEntry;
import io.navstar.gossip.membership.MembershipListener;
import io.navstar.gossip.metrics.GossipMetrics;
import io.navstar.gossip.multicast.MulticastService;
import io.navstar.gossip.route.RouteTable;
import io.navstar.gossip.scheduler.Scheduler;
import io.navstar.gossip.transport.Transport;
import io.navstar.gossip.wire.Message;
import io.navstar.gossip.wire.Message.App;
import io.navstar.gossip.wire.Message.MembershipUpdate;
import io.navstar.gossip.wire.Message.Multicast;
import io.navstar.gossip.wire.Message.Ping;
import io.navstar.gossip.wire.Message.Pong;
import io.navstar.gossip.wire.Message.ProbePurpose;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One Lashup node: HyParView overlay, adaptive health checks, global membership with routes, and
 * multicast, over one {@link Transport} and one {@link Scheduler}. Other components (the KV store)
 * talk through registered channels: {@link #send} point to point, {@link #multicast} to every
 * reachable node, and listen with {@link #addNeighbourListener} and {@link #addMembershipListener}.
 *
 * <p>Threading: all protocol work runs on the scheduler's thread. Methods that change state hop
 * onto it when called from another thread; queries ({@link #activeView()}, {@link #routes()},
 * {@link #members()}) return immutable snapshots and may be called from any thread (routes and
 * members are as of the last damped recomputation). Handlers and listeners run on the scheduler
 * thread.
 */
public final class GossipNode implements AutoCloseable {

    /** Channel ids below this are reserved for navstar's own components. */
    public static final int FIRST_USER_CHANNEL = 16;

    private final NodeId self;
    private final GossipConfig config;
    private final Transport transport;
    private final Scheduler scheduler;
    private final GossipMetrics metrics;
    private final HyParView hyParView;
    private final HealthChecker health;
    private final GlobalMembership membership;
    private final MulticastService multicast;
    private final Map<Integer, ChannelHandler> channels = new ConcurrentHashMap<>();
    private final List<NeighbourListener> neighbourListeners = new CopyOnWriteArrayList<>();
    private volatile List<NodeId> activeSnapshot = List.of();
    private volatile List<NodeId> passiveSnapshot = List.of();
    private volatile boolean closed;

    private GossipNode(GossipConfig config, Transport transport, Scheduler scheduler, GossipMetrics metrics,
                       long epoch, long randomSeed) {
        this.self = transport.localNode();
        this.config = config;
        this.transport = transport;
        this.scheduler = scheduler;
        this.metrics = metrics;
        Random random = new Random(randomSeed);
        this.hyParView = new HyParView(self, config, scheduler, random, transport, new HyParView.Listener() {
            @Override
            public void onNeighbourUp(NodeId peer) {
                neighbourUp(peer);
            }

            @Override
            public void onNeighbourDown(NodeId peer, boolean failed) {
                neighbourDown(peer, failed);
            }
        });
        // A neighbour whose probe timed out: our connection to it may hold frames gone stale. After an outage
        // TCP delivers them only at its next backed-off retransmission, seconds after the network is back, and
        // whatever we send meanwhile (probes, answers to its JOIN) waits behind them, so the neighbour fails
        // again at once. Drop the connection before HyParView tells the neighbour, so that everything from now
        // on goes on a new one and arrives as soon as the network does.
        this.health = new HealthChecker(config, scheduler, random, transport, metrics, hyParView.activeView(),
                peer -> {
                    transport.disconnect(peer);
                    hyParView.neighbourFailed(peer);
                });
        this.membership = new GlobalMembership(self, epoch, config, scheduler, random, transport, metrics,
                hyParView.activeView(), new GlobalMembership.Hooks() {
                    @Override
                    public void probeNeighbour(NodeId neighbour) {
                        health.probe(neighbour);
                    }

                    @Override
                    public void healWith(NodeId node) {
                        hyParView.requestHighPriorityNeighbour(node);
                    }
                });
        this.multicast = new MulticastService(self, membership::epoch, config, random, transport, metrics,
                membership::routes, hyParView.activeView(), channels::get);
        membership.addListener(new MembershipListener() {
            @Override
            public void onMemberRemoved(NodeId node) {
                multicast.forget(node);
            }
        });
    }

    /**
     * Assembles a node; call {@link #start} to join.
     *
     * @param metrics the metrics the transport already counts into (the same instance)
     * @param epochStore gives this incarnation's epoch (a file for real nodes)
     * @param randomSeed seeds every random choice of the node (views, walks, jitter)
     */
    public static GossipNode create(GossipConfig config, Transport transport, Scheduler scheduler,
                                    GossipMetrics metrics, EpochStore epochStore, long randomSeed) {
        return new GossipNode(config, transport, scheduler, metrics, epochStore.nextEpoch(), randomSeed);
    }

    /** Starts the protocols and joins the overlay through {@code contactNodes} (may be empty for the first node). */
    public void start(List<NodeId> contactNodes) {
        onNodeThread(() -> {
            transport.start(new Transport.Receiver() {
                @Override
                public void onMessage(NodeId from, Message message) {
                    receive(from, message);
                }

                @Override
                public void onPeerLost(NodeId peer) {
                    if (!closed) {
                        health.probe(peer);
                    }
                }

                @Override
                public void onPeerRefused(NodeId peer) {
                    if (!closed) {
                        health.onRefused(peer);
                    }
                }
            });
            membership.contactNodes(contactNodes);
            membership.start();
            health.start();
            hyParView.start(contactNodes);
            publishTick();
        });
    }

    // the passive view changes without an event (shuffles); publish it now and then
    private void publishTick() {
        if (!closed) {
            publishViews();
            scheduler.schedule(this::publishTick, 1, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    public NodeId self() {
        return self;
    }

    public GossipConfig config() {
        return config;
    }

    /** This incarnation's epoch. */
    public long epoch() {
        return membership.epoch();
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    public GossipMetrics metrics() {
        return metrics;
    }

    /** The active view (neighbours), as last changed. */
    public List<NodeId> activeView() {
        return activeSnapshot;
    }

    /** The passive view (backups), as last changed. */
    public List<NodeId> passiveView() {
        return passiveSnapshot;
    }

    /**
     * Routes from this node over the newest table. From another thread this waits (up to 1 s) for
     * the scheduler thread to publish a current snapshot, and returns the last published one if it
     * does not answer in time.
     */
    public RouteTable routes() {
        refreshFromAnyThread();
        return membership.publishedRoutes();
    }

    /** Every known node's row; freshness as for {@link #routes()}. */
    public Map<NodeId, MemberEntry> members() {
        refreshFromAnyThread();
        return membership.publishedMembers();
    }

    private void refreshFromAnyThread() {
        if (scheduler.inSchedulerThread() || closed) {
            if (!closed) {
                membership.refreshPublished();
            }
            return;
        }
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        scheduler.execute(() -> {
            membership.refreshPublished();
            done.complete(null);
        });
        try {
            done.get(1, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            // the last published snapshot will do
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Rows in the membership table; scheduler thread only. */
    public int memberCount() {
        return membership.size();
    }

    /** Nodes reachable at the last damped recomputation (this node included); scheduler thread only. */
    public int reachableCount() {
        return membership.reachableCount();
    }

    /** Registers the handler of {@code channel} (at least {@link #FIRST_USER_CHANNEL} for users). */
    public void registerChannel(int channel, ChannelHandler handler) {
        if (channels.putIfAbsent(channel, handler) != null) {
            throw new IllegalStateException("channel " + channel + " already has a handler");
        }
    }

    /** Sends {@code payload} to {@code to}'s handler of {@code channel}; false when dropped at once. */
    public boolean send(NodeId to, int channel, byte[] payload) {
        if (closed) {
            return false;
        }
        return transport.send(to, new App(channel, payload));
    }

    /** Sends {@code payload} to the handler of {@code channel} on every reachable node, once each. */
    public void multicast(int channel, byte[] payload) {
        onNodeThread(() -> {
            if (!closed) {
                multicast.multicast(channel, payload);
            }
        });
    }

    public void addNeighbourListener(NeighbourListener listener) {
        neighbourListeners.add(listener);
    }

    public void addMembershipListener(MembershipListener listener) {
        membership.addListener(listener);
    }

    /** Stops the protocols and closes the transport; other nodes will see this node fail. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        onNodeThread(() -> {
            hyParView.stop();
            health.stop();
            membership.stop();
            transport.close();
        });
    }

    public boolean isClosed() {
        return closed;
    }

    private void receive(NodeId from, Message message) {
        if (closed) {
            return;
        }
        switch (message) {
            case Ping ping -> health.onPing(from, ping);
            case Pong pong -> {
                if (pong.purpose() == ProbePurpose.HEALTH) {
                    health.onPong(from, pong);
                } else {
                    membership.onHealAnswer(from);
                }
            }
            case MembershipUpdate update -> membership.onUpdate(from, update);
            case Multicast m -> multicast.onMulticast(m);
            case App app -> {
                ChannelHandler handler = channels.get(app.channel());
                if (handler != null) {
                    handler.onMessage(from, app.payload());
                }
            }
            default -> hyParView.onMessage(from, message);
        }
    }

    private void neighbourUp(NodeId peer) {
        publishViews();
        membership.localViewChanged();
        membership.sendTable(peer);
        for (NeighbourListener listener : neighbourListeners) {
            listener.onNeighbourUp(peer);
        }
    }

    private void neighbourDown(NodeId peer, boolean failed) {
        publishViews();
        health.forget(peer);
        membership.localViewChanged();
        for (NeighbourListener listener : neighbourListeners) {
            listener.onNeighbourDown(peer, failed);
        }
    }

    private void publishViews() {
        activeSnapshot = List.copyOf(hyParView.activeView());
        passiveSnapshot = List.copyOf(hyParView.passiveView());
        metrics.viewSizes(activeSnapshot.size(), passiveSnapshot.size());
    }

    private void onNodeThread(Runnable task) {
        if (scheduler.inSchedulerThread()) {
            task.run();
        } else {
            scheduler.execute(task);
        }
    }
}
