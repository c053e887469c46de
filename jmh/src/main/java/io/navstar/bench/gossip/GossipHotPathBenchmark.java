package io.navstar.bench.gossip;

import io.navstar.gossip.NodeId;
import io.navstar.gossip.route.IndexedGraph;
import io.navstar.gossip.wire.FrameException;
import io.navstar.gossip.wire.Message;
import io.navstar.gossip.wire.MessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Gossip hot paths, side by side: the damped reachability recomputation over membership's indexed
 * graph (allocation-free BFS) against building a route snapshot and its BFS tree (what a multicast
 * or a route query costs); and decoding the most frequent frames (health probe, a membership row).
 * Run with {@code -prof gc} to see bytes per operation.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class GossipHotPathBenchmark {

    @Param({"1000"})
    int nodes;

    private IndexedGraph graph;
    private NodeId root;
    private ByteBuf pingBody;
    private ByteBuf membershipBody;

    @Setup
    public void setUp() {
        Random random = new Random(1);
        graph = new IndexedGraph();
        NodeId[] ids = new NodeId[nodes];
        for (int i = 0; i < nodes; i++) {
            ids[i] = new NodeId(0x0A000001 + i, 7000);
        }
        for (int i = 0; i < nodes; i++) {
            NodeId[] view = new NodeId[7];
            for (int k = 0; k < 7; k++) {
                view[k] = ids[random.nextInt(nodes)];
            }
            Arrays.sort(view);
            graph.setRow(ids[i], view);
        }
        root = ids[0];
        pingBody = body(new Message.Ping(1, 2, Message.ProbePurpose.HEALTH));
        membershipBody = body(new Message.MembershipUpdate(new io.navstar.gossip.membership.MemberEntry[] {
            new io.navstar.gossip.membership.MemberEntry(ids[1], 3, 4, Arrays.copyOf(ids, 7))}));
    }

    private static ByteBuf body(Message message) {
        ByteBuf frame = Unpooled.directBuffer();
        MessageCodec.encodeFrame(message, frame);
        return frame.skipBytes(MessageCodec.LENGTH_BYTES + MessageCodec.HEADER_BYTES).slice();
    }

    @Benchmark
    public int reachabilityOverIndexedGraph() {
        return graph.reach(root, null);
    }

    @Benchmark
    public int routeSnapshotAndBfsTree() {
        return graph.snapshot().tree(root).reachableCount();
    }

    @Benchmark
    public Message decodePing() throws FrameException {
        return MessageCodec.decodeBody(io.navstar.gossip.wire.MessageType.PING.code(), pingBody.duplicate());
    }

    @Benchmark
    public Message decodeMembershipRow() throws FrameException {
        return MessageCodec.decodeBody(io.navstar.gossip.wire.MessageType.MEMBERSHIP_UPDATE.code(), membershipBody.duplicate());
    }
}
