package io.navstar.gossip.sim;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.navstar.gossip.GossipConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class QuickSimTest {

    @Test
    void fiftyNodesConverge() {
        SimCluster cluster = new SimCluster(GossipConfig.simulation(), 42);
        cluster.addAndStart(50);
        Duration took = cluster.runUntil(() -> SimAssertions.overlayConnected(cluster.nodes())
                && SimAssertions.everyNodeSeesExactly(cluster.nodes(), false), Duration.ofMillis(500), Duration.ofMinutes(2));
        System.out.println("converged in " + took);
        cluster.nodes().forEach(n -> System.out.println(n.self() + " a=" + n.activeView().size() + " p=" + n.passiveView().size()));
        assertNotNull(took);
    }
}
