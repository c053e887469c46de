package io.navstar.gossip.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.GossipNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimDeterminismTest {

    /** Everything observable about a run: views, tables and traffic. */
    private static List<String> run(long seed, double loss) {
        SimCluster cluster = new SimCluster(GossipConfig.simulation(), seed);
        cluster.network().lossRate(loss);
        cluster.addAndStart(40);
        cluster.runFor(Duration.ofSeconds(15));
        cluster.crash(cluster.nodes().iterator().next().self());
        cluster.runFor(Duration.ofSeconds(5));
        List<String> trace = new ArrayList<>();
        trace.add("delivered=" + cluster.network().deliveredMessages() + " bytes=" + cluster.network().deliveredBytes()
                + " dropped=" + cluster.network().droppedMessages() + " events=" + cluster.scheduler().executedEvents());
        for (GossipNode node : cluster.nodes()) {
            trace.add(node.self() + " active=" + node.activeView() + " passive=" + node.passiveView()
                    + " members=" + node.memberCount() + " reachable=" + node.reachableCount());
        }
        return trace;
    }

    @Test
    void sameSeedReplaysTheSameRunAndAnotherSeedDoesNot() {
        List<String> first = run(77, 0.0);
        assertEquals(first, run(77, 0.0));
        assertNotEquals(first, run(78, 0.0));
    }

    @Test
    void clusterConvergesDespiteTenPercentMessageLoss() {
        SimCluster cluster = new SimCluster(GossipConfig.simulation(), 79);
        cluster.network().lossRate(0.10);
        cluster.addAndStart(60);
        assertNotNull(cluster.runUntil(() -> SimAssertions.overlayConnected(cluster.nodes())
                        && SimAssertions.everyNodeSeesExactly(cluster.nodes(), true),
                Duration.ofSeconds(1), Duration.ofMinutes(3)), "converged with 10 % loss");
        assertTrue(cluster.network().droppedMessages() > 0);
    }
}
