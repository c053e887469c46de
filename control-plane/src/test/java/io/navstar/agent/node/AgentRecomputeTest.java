package io.navstar.agent.node;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A task registered on a node reaches the KV store without waiting for a compile of the state it does not change:
 * the node's recompute publishes the task's entry at once, and the one compile that follows is that of the entry's
 * commit, as on every other node. Seen in the load balancer's count of applies. One agent in this JVM
 * ({@link LocalAgentSetup}); needs root.
 */
class AgentRecomputeTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String VIP_NAME = "web.marathon.l4lb.thisdcos.directory";

    @Test
    void aNewTaskIsPublishedWithoutCompilingTheStateItLeavesUnchanged() throws Exception {
        try (LocalAgentSetup setup = new LocalAgentSetup("recompute");
             NodeAgent agent = NodeAgent.start(setup.config)) {
            long before = settledApplies(agent);
            setup.task("web", "/web:80");
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (agent.view().compiled() == null
                    || agent.view().compiled().vips().stream().noneMatch(v -> VIP_NAME.equals(v.dnsName()))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the agent did not publish and serve /web:80 within " + WAIT);
                }
                Thread.sleep(10);
            }
            assertEquals(1, settledApplies(agent) - before,
                    "one compile per new task: that of its entry's commit, none of the state before it");
        }
    }

    /** The load balancer's applies once no more come for half a second (nothing else changes in a lone agent). */
    private static long settledApplies(NodeAgent agent) throws InterruptedException {
        long applies = -1;
        long now = agent.loadBalancer().statistics().snapshot().applies();
        while (now != applies) {
            applies = now;
            Thread.sleep(500);
            now = agent.loadBalancer().statistics().snapshot().applies();
        }
        return applies;
    }
}
