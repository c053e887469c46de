package io.navstar.agent.lb;

import io.navstar.sys.netlink.Link;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

    /** The watcher's decisions on a stream of link notifications, without a kernel. */
    @Test
    void matchingLinksAreReportedOnceAndTheirRemovalAndRenameFollow() {
        List<String> calls = new ArrayList<>();
        boolean[] attachSucceeds = {false};
        InterfaceWatcher watcher = new InterfaceWatcher(null, List.of("veth*"), name -> {
            calls.add("+" + name);
            return attachSucceeds[0];
        }, name -> calls.add("-" + name));

        watcher.linkUpdated(new Link(7, "veth7", 0, "veth"));       // attach fails
        watcher.linkUpdated(new Link(8, "eth0", 0, ""));            // no match
        attachSucceeds[0] = true;
        watcher.linkUpdated(new Link(7, "veth7", 1, "veth"));       // set up: tried again, attached
        watcher.linkUpdated(new Link(7, "veth7", 1, "veth"));       // already attached
        watcher.linkUpdated(new Link(7, "vethB", 1, "veth"));       // renamed
        watcher.linkRemoved(new Link(8, "eth0", 0, ""));            // never reported
        watcher.linkRemoved(new Link(7, "vethB", 1, "veth"));

        assertEquals(List.of("+veth7", "+veth7", "-veth7", "+vethB", "-vethB"), calls);
    }
}
