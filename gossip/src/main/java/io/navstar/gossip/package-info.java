/**
 * Lashup: the gossip layer of navstar. A {@link io.navstar.gossip.GossipNode} joins a HyParView
 * overlay, checks its neighbours' health, keeps a global membership table with routes, and
 * multicasts along BFS trees. It runs over a {@link io.navstar.gossip.transport.Transport} (TCP, or
 * the in-memory simulator) on one {@link io.navstar.gossip.scheduler.Scheduler} thread.
 *
 * <h2>Using it from another component (the KV store)</h2>
 * <ol>
 *   <li><b>Pick channel ids</b> at or above {@link io.navstar.gossip.GossipNode#FIRST_USER_CHANNEL}
 *       (constants in your package; one for multicast deltas, one for anti-entropy, say) and
 *       register a {@link io.navstar.gossip.ChannelHandler} for each with
 *       {@link io.navstar.gossip.GossipNode#registerChannel}, before {@code start}.</li>
 *   <li><b>Send</b> {@code byte[]} payloads: {@link io.navstar.gossip.GossipNode#send(NodeId, int, byte[])}
 *       to one node (an active-view neighbour for anti-entropy, but any node works) and
 *       {@link io.navstar.gossip.GossipNode#multicast(int, byte[])} to every reachable node, each
 *       receiving it once (never the sender itself). Delivery is best effort: a payload may be
 *       lost (that is what anti-entropy repairs). Payloads must fit in
 *       {@link io.navstar.gossip.GossipConfig#maxFrameBytes()} with the tree a multicast carries.</li>
 *   <li><b>Listen</b>: {@link io.navstar.gossip.NeighbourListener} for active-view changes (run
 *       anti-entropy with each neighbour), {@link io.navstar.gossip.membership.MembershipListener}
 *       for rows, prunes and reachability; {@link io.navstar.gossip.GossipNode#routes()} answers
 *       reachable/pathTo/distance/tree/children.</li>
 *   <li><b>Threads</b>: handlers and listeners run on the node's scheduler thread and must not
 *       block; use {@link io.navstar.gossip.GossipNode#scheduler()} for your own timers so that a
 *       simulation stays deterministic.</li>
 * </ol>
 *
 * <h2>Assembling nodes</h2>
 * <pre>{@code
 * // simulation: 100 nodes, deterministic for seed 7
 * SimCluster cluster = new SimCluster(GossipConfig.simulation(), 7);
 * List<GossipNode> nodes = cluster.addAndStart(100);   // register channels on nodes before runFor
 * cluster.runFor(Duration.ofSeconds(30));
 *
 * // or node by node, registering channels before start:
 * GossipNode node = cluster.addNode();
 * node.registerChannel(MY_CHANNEL, (origin, payload) -> ...);
 * node.start(List.of(contact));
 *
 * // real TCP node (netty epoll), epoch persisted in dataDir
 * TcpGossipNode real = TcpGossipNode.open(GossipConfig.defaults(), NodeId.of("10.0.0.5", 7946), dataDir);
 * real.node().registerChannel(MY_CHANNEL, handler);
 * real.node().start(seeds);
 * ...
 * real.close();
 * }</pre>
 */
package io.navstar.gossip;
