package io.navstar.gossip.health;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.navstar.gossip.GossipConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RoundTripWindowTest {

    private static long timeout(RoundTripWindow window) {
        GossipConfig config = GossipConfig.defaults();
        return window.timeoutNanos(config.probeTimeoutWithoutSamples().toNanos(), config.probeTimeoutFloor().toNanos(),
                config.probeTimeoutRttMultiplier(), config.probeTimeoutMax().toNanos());
    }

    @Test
    void usesOneSecondWithoutSamplesAndAbout660MillisForRoundTripsUpTo100Millis() {
        RoundTripWindow window = new RoundTripWindow(32);
        assertEquals(Duration.ofSeconds(1).toNanos(), timeout(window));
        window.add(Duration.ofMillis(20).toNanos());
        window.add(Duration.ofMillis(100).toNanos());
        window.add(Duration.ofMillis(60).toNanos());
        assertEquals(Duration.ofMillis(660).toNanos(), timeout(window));
    }

    @Test
    void forgetsOldRoundTripsAndCapsTheTimeout() {
        RoundTripWindow window = new RoundTripWindow(4);
        window.add(Duration.ofSeconds(10).toNanos());
        assertEquals(Duration.ofSeconds(5).toNanos(), timeout(window), "capped at probeTimeoutMax");
        for (int i = 0; i < 4; i++) {
            window.add(Duration.ofMillis(1).toNanos());
        }
        assertEquals(Duration.ofMillis(500).toNanos() + 1_600_000,
                timeout(window), "the 10 s sample fell out of the window");
    }
}
