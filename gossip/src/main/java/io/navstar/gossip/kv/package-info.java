/**
 * Lashup KV: the replicated, durable state that VIPs, DNS zones and node data live in.
 *
 * <p>Keys are paths ({@link io.navstar.gossip.kv.KvKey}, e.g. {@code [minuteman, vips]}); each holds
 * an {@link io.navstar.gossip.kv.crdt.OrMap} (fields of counters, registers, flags, sets and nested
 * maps, see {@code crdt}) and a version vector clock.
 *
 * <ul>
 *   <li>{@link io.navstar.gossip.kv.KvStore}: the local API ({@code requestOp}, compare-and-set,
 *       {@code value}, {@code valueWithClock}, {@code keys}, {@code subscribe}), durable in SQLite WAL
 *       with group commit; size limit and "overloaded" back-pressure.</li>
 *   <li>{@link io.navstar.gossip.kv.KvReplicator}: delta multicast and per-peer-watermark
 *       anti-entropy over a {@link io.navstar.gossip.kv.KvNetwork}; {@code replicationLag()} tells
 *       how far behind each neighbour has confirmed.</li>
 *   <li>{@link io.navstar.gossip.kv.GossipKvNetwork}: that network on a gossip node (channels 16 and 17).</li>
 * </ul>
 *
 * <pre>{@code
 * TcpGossipNode gossip = TcpGossipNode.open(GossipConfig.defaults(), self, dataDir);
 * KvStore kv = KvStore.open(KvConfig.defaults(dataDir.resolve("kv.db"), self.toString()));
 * KvReplicator replicator = new KvReplicator(kv, new GossipKvNetwork(gossip.node()),
 *         KvReplicator.Config.defaults()).start();   // before gossip.node().start(seeds)
 * gossip.node().start(seeds);
 * kv.requestOp(KvKey.of("minuteman", "vips"),
 *         List.of(Op.update("/web:80", CrdtType.ORSWOT, new Op.Add("nodeB|10.0.0.2:80|1"))));
 * }</pre>
 */
package io.navstar.gossip.kv;
