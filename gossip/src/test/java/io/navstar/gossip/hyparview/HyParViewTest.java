package io.navstar.gossip.hyparview;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.sim.SimScheduler;
import io.navstar.gossip.transport.Transport;
import io.navstar.gossip.wire.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One HyParView instance against a recording transport: the paper's rules, message by message. */
class HyParViewTest {

    private record Sent(NodeId to, Message message) {
    }

    private static final NodeId SELF = node(0);

    private final List<Sent> sent = new ArrayList<>();
    private final List<String> events = new ArrayList<>();
    private SimScheduler scheduler;
    private HyParView view;
    private GossipConfig config;

    private static NodeId node(int i) {
        return new NodeId(0x0A000001 + i, 7000);
    }

    @BeforeEach
    void setUp() {
        scheduler = new SimScheduler();
        config = GossipConfig.defaults().toBuilder().activeViewSize(3).passiveViewSize(4).build();
        Transport transport = new Transport() {
            public NodeId localNode() { return SELF; }
            public void start(Receiver receiver) { }
            public boolean send(NodeId to, Message message) {
                sent.add(new Sent(to, message));
                return true;
            }
            public void disconnect(NodeId peer) { }
            public void close() { }
        };
        view = new HyParView(SELF, config, scheduler, new Random(1), transport, new HyParView.Listener() {
            public void onNeighbourUp(NodeId peer) { events.add("up " + peer); }
            public void onNeighbourDown(NodeId peer, boolean failed) { events.add("down " + peer + " " + failed); }
        });
    }

    private List<Sent> sentOf(Class<? extends Message> type) {
        return sent.stream().filter(s -> type.isInstance(s.message())).toList();
    }

    @Test
    void joinIsRetriedEveryOneToTwoSecondsWhileTheActiveViewIsEmpty() {
        view.start(List.of(node(9)));
        assertEquals(1, sentOf(Message.Join.class).size(), "first JOIN at once");
        scheduler.runFor(Duration.ofMillis(999));
        assertEquals(1, sentOf(Message.Join.class).size());
        scheduler.runFor(Duration.ofMillis(1_001));
        assertEquals(2, sentOf(Message.Join.class).size(), "retried within 1-2 s");
        view.onMessage(node(9), new Message.JoinReply());
        sent.clear();
        scheduler.runFor(Duration.ofSeconds(10));
        assertTrue(sentOf(Message.Join.class).isEmpty(), "no JOIN once a neighbour is there");
    }

    @Test
    void contactAddsAndAnswersJoinerAndStartsForwardJoinWithArwlTowardsEveryOtherNeighbour() {
        view.onMessage(node(1), new Message.JoinReply());
        view.onMessage(node(2), new Message.JoinReply());
        sent.clear();
        view.onMessage(node(5), new Message.Join());
        assertTrue(view.activeView().contains(node(5)));
        assertEquals(List.of(new Sent(node(5), new Message.JoinReply())), sentOf(Message.JoinReply.class),
                "the joiner is told, so that it lists the contact too");
        List<Sent> forwards = sentOf(Message.ForwardJoin.class);
        assertEquals(2, forwards.size());
        for (Sent forward : forwards) {
            assertEquals(new Message.ForwardJoin(node(5), config.activeRandomWalkLength()), forward.message());
        }
    }

    @Test
    void forwardJoinIsAddedToPassiveAtPrwlAndForwardedWithOneHopLess() {
        view.onMessage(node(1), new Message.JoinReply());
        view.onMessage(node(2), new Message.JoinReply());
        sent.clear();
        view.onMessage(node(1), new Message.ForwardJoin(node(7), config.passiveRandomWalkLength()));
        assertTrue(view.passiveView().contains(node(7)), "PRWL hop keeps the joiner as a backup");
        assertFalse(view.activeView().contains(node(7)));
        Sent forward = sentOf(Message.ForwardJoin.class).get(0);
        assertEquals(node(2), forward.to(), "forwarded to a neighbour other than the sender");
        assertEquals(new Message.ForwardJoin(node(7), config.passiveRandomWalkLength() - 1), forward.message());
    }

    @Test
    void forwardJoinWithNoHopsLeftIsAcceptedAndAnswered() {
        view.onMessage(node(1), new Message.JoinReply());
        view.onMessage(node(2), new Message.JoinReply());
        sent.clear();
        view.onMessage(node(1), new Message.ForwardJoin(node(8), 0));
        assertTrue(view.activeView().contains(node(8)));
        assertEquals(List.of(new Sent(node(8), new Message.JoinReply())), sentOf(Message.JoinReply.class));
    }

    @Test
    void fullViewRejectsLowPriorityButAcceptsHighPriorityNeighbourRequestsDroppingOneNeighbour() {
        for (int i = 1; i <= 3; i++) {
            view.onMessage(node(i), new Message.JoinReply());
        }
        sent.clear();
        view.onMessage(node(6), new Message.Neighbor(false));
        assertEquals(new Message.NeighborReply(false), sent.get(0).message());
        assertFalse(view.activeView().contains(node(6)));
        sent.clear();
        view.onMessage(node(6), new Message.Neighbor(true));
        assertTrue(view.activeView().contains(node(6)));
        assertEquals(3, view.activeView().size(), "active view stays within its bound");
        assertEquals(1, sentOf(Message.Disconnect.class).size(), "the dropped neighbour is told");
        NodeId dropped = sentOf(Message.Disconnect.class).get(0).to();
        assertTrue(view.passiveView().contains(dropped), "and kept as a backup");
    }

    @Test
    void failedNeighbourIsReplacedFromThePassiveViewWithAPriorityRequest() {
        view.onMessage(node(1), new Message.JoinReply());
        view.onMessage(node(1), new Message.ShuffleReply(new NodeId[] {node(4)}));
        sent.clear();
        view.neighbourFailed(node(1));
        assertTrue(view.activeView().isEmpty());
        assertFalse(view.passiveView().contains(node(1)), "a failed node is no backup");
        assertEquals(List.of(new Sent(node(4), new Message.Neighbor(true))), sentOf(Message.Neighbor.class),
                "empty active view: high priority");
        view.onMessage(node(4), new Message.NeighborReply(true));
        assertEquals(List.of(node(4)), view.activeView());
        assertTrue(events.contains("down " + node(1) + " true"));
    }

    @Test
    void shuffleWalksThenAnswersTheOriginAndMergesTheSampleIntoThePassiveView() {
        view.onMessage(node(1), new Message.JoinReply());
        view.onMessage(node(2), new Message.JoinReply());
        sent.clear();
        NodeId[] sample = {node(10), node(11), node(12)};
        view.onMessage(node(1), new Message.Shuffle(node(10), 3, sample));
        assertEquals(new Sent(node(2), new Message.Shuffle(node(10), 2, sample)).to(), sent.get(0).to(),
                "forwarded while hops remain");
        sent.clear();
        view.onMessage(node(1), new Message.Shuffle(node(10), 0, sample));
        assertEquals(node(10), sentOf(Message.ShuffleReply.class).get(0).to(), "answered straight to the origin");
        assertTrue(view.passiveView().containsAll(List.of(sample)));
        assertTrue(view.passiveView().size() <= config.passiveViewSize());
    }

    @Test
    void joinFromANodeStillListedAsNeighbourRelinksItAndAnswersInsteadOfIgnoringIt() {
        view.onMessage(node(1), new Message.JoinReply());
        view.onMessage(node(2), new Message.JoinReply());
        events.clear();
        sent.clear();
        // node 1 restarted with the same address faster than we noticed: its JOIN finds it listed
        view.onMessage(node(1), new Message.Join());
        assertEquals(List.of("down " + node(1) + " false", "up " + node(1)), events, "old link down, new one up");
        assertEquals(List.of(node(1)), sentOf(Message.JoinReply.class).stream().map(Sent::to).toList(),
                "the joiner learns that we hold it");
        assertEquals(List.of(node(2)), sentOf(Message.ForwardJoin.class).stream().map(Sent::to).toList());
        assertEquals(2, view.activeView().size());
        assertTrue(view.activeView().contains(node(1)));
    }

    @Test
    void forwardJoinEndingAtANodeThatStillListsTheJoinerStillAnswersIt() {
        view.onMessage(node(1), new Message.JoinReply());
        events.clear();
        sent.clear();
        view.onMessage(node(3), new Message.ForwardJoin(node(1), 0));
        assertEquals(List.of(node(1)), sentOf(Message.JoinReply.class).stream().map(Sent::to).toList(),
                "the walk does not end in silence");
        assertEquals(List.of(node(1)), view.activeView());
        assertTrue(events.isEmpty(), "no churn: the joiner adds us idempotently");
    }

    @Test
    void highPriorityNeighborFromAListedNeighbourRelinksIt() {
        view.onMessage(node(1), new Message.JoinReply());
        view.onMessage(node(2), new Message.JoinReply());
        events.clear();
        sent.clear();
        view.onMessage(node(1), new Message.Neighbor(true));
        assertEquals(List.of("down " + node(1) + " false", "up " + node(1)), events);
        assertTrue(((Message.NeighborReply) sentOf(Message.NeighborReply.class).get(0).message()).accepted());
        events.clear();
        view.onMessage(node(2), new Message.Neighbor(false));
        assertTrue(events.isEmpty(), "a low-priority request from a neighbour changes nothing");
    }
}
