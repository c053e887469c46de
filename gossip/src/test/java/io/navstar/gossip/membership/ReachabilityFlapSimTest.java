package io.navstar.gossip.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.GossipNode;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.sim.SimCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A node that comes back is reachable once and stays so: no {@code up, down, up} while the overlay
 * settles. Two ways it flapped: a node's link back after an outage (its peers' TCP connections
 * delivered the frames they held, pings included, only at their next backed-off retransmission, so
 * the probes sent meanwhile timed out) and a JOIN (the contact added the joiner without telling it,
 * so its first probe met a node that did not list it and was told to disconnect). Each case runs
 * over several seeds of the deterministic simulator. Threading: JUnit's thread drives the
 * simulation.
 */
class ReachabilityFlapSimTest {

    /** What one node was told about another's reachability, in order. */
    private static List<String> recordEvents(GossipNode observer, NodeId subject) {
        List<String> events = new ArrayList<>();
        observer.addMembershipListener(new MembershipListener() {
            @Override
            public void onReachabilityChanged(Set<NodeId> becameReachable, Set<NodeId> becameUnreachable) {
                if (becameReachable.contains(subject)) {
                    events.add("up");
                }
                if (becameUnreachable.contains(subject)) {
                    events.add("down");
                }
            }
        });
        return events;
    }

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 50);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void nodeBackFromALinkOutageBecomesReachableOnceOnEveryNode(long seed) {
        SimCluster cluster = new SimCluster(GossipConfig.lan(), seed);
        // as the agents of a cluster are started: each names the others as contacts
        List<GossipNode> nodes = List.of(cluster.addNode(), cluster.addNode(), cluster.addNode());
        for (GossipNode node : nodes) {
            node.start(nodes.stream().map(GossipNode::self).filter(n -> !n.equals(node.self())).toList());
        }
        assertNotNull(cluster.runUntil(() -> nodes.stream().allMatch(n -> n.reachableCount() == 3),
                Duration.ofMillis(100), Duration.ofSeconds(30)), "the cluster converged");
        cluster.runFor(Duration.ofSeconds(5));
        NodeId away = nodes.get(0).self();
        List<String> seenBySecond = recordEvents(nodes.get(1), away);
        List<String> seenByThird = recordEvents(nodes.get(2), away);

        cluster.network().linkDown(away);
        cluster.runFor(Duration.ofSeconds(5));
        assertEquals(List.of("down"), seenBySecond, "the second node lost it");
        assertEquals(List.of("down"), seenByThird, "the third node lost it");
        seenBySecond.clear();
        seenByThird.clear();

        // through 5 s of outage TCP's retransmission timer doubled from 200 ms (RFC 6298 §5.5) to 1.6-3.2 s
        cluster.network().linkUp(away, Duration.ofSeconds(3));
        cluster.runFor(Duration.ofSeconds(15));
        assertEquals(List.of("up"), seenBySecond, "what the second node saw after the link came back");
        assertEquals(List.of("up"), seenByThird, "what the third node saw after the link came back");
        assertEquals(3, nodes.get(0).reachableCount(), "the node back reaches both others");
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void joinerBecomesReachableOnceOnItsContact(long seed) {
        SimCluster cluster = new SimCluster(GossipConfig.lan(), seed);
        GossipNode contact = cluster.addNode();
        contact.start(List.of());
        GossipNode joiner = cluster.addNode();
        List<String> seenByContact = recordEvents(contact, joiner.self());
        joiner.start(List.of(contact.self()));
        cluster.runFor(Duration.ofSeconds(10));
        assertEquals(List.of("up"), seenByContact);
        assertEquals(2, joiner.reachableCount());
    }
}
