package io.navstar.agent.lb;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InterfaceWatcherTest {

    @Test
    void interfaceGlobsMatchWholeNames() {
        InterfaceWatcher w = new InterfaceWatcher(null, java.util.List.of("veth*", "eth?", "lo.x"), n -> true, n -> { });
        assertTrue(w.matches("veth0abc"));
        assertTrue(w.matches("eth1"));
        assertTrue(w.matches("lo.x"));
        assertFalse(w.matches("eth10"));
        assertFalse(w.matches("loax"));
        assertFalse(w.matches("xveth0"));
    }
}
