package io.navstar.sys.netlink;

import io.navstar.sys.TestNamespace;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Link notifications (RTNLGRP_LINK) as root inside a namespace each test makes. */
class LinkMonitorTest {

    /** Records what the monitor reports, in order, for the test thread to wait on. */
    static final class Recorder implements LinkListener {
        final List<String> events = new ArrayList<>();

        @Override
        public synchronized void linkUpdated(Link link) {
            events.add("+" + link.name() + (link.up() ? " up" : ""));
            notifyAll();
        }

        @Override
        public synchronized void linkRemoved(Link link) {
            events.add("-" + link.name());
            notifyAll();
        }

        synchronized List<String> snapshot() {
            return List.copyOf(events);
        }

        /** Waits up to 5 s for an event matching {@code wanted}. */
        synchronized void await(Predicate<List<String>> wanted, String what) throws InterruptedException {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!wanted.test(events)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    fail("no " + what + " within 5 s; saw " + events);
                }
                wait(Math.max(1, left / 1_000_000));
            }
        }

        synchronized void clear() {
            events.clear();
        }
    }

    @Test
    void reportsTheLinksPresentAtStartThenAVethPairAsItAppearsAndGoes() throws Exception {
        try (TestNamespace ns = TestNamespace.create("veth")) {
            Recorder recorder = new Recorder();
            try (LinkMonitor monitor = LinkMonitor.open(ns.namespace, recorder).start("links-test")) {
                recorder.await(e -> e.contains("+lo"), "initial dump with lo");

                ns.ip("link", "add", "va", "type", "veth", "peer", "name", "vb");
                recorder.await(e -> e.contains("+va") && e.contains("+vb"), "RTM_NEWLINK of both ends");
                ns.ip("link", "set", "va", "up");
                recorder.await(e -> e.contains("+va up"), "RTM_NEWLINK with IFF_UP");
                assertEquals(Set.of("lo", "va", "vb"), names(monitor));

                ns.ip("link", "del", "va");
                recorder.await(e -> e.contains("-va") && e.contains("-vb"), "RTM_DELLINK of both ends");
                assertEquals(Set.of("lo"), names(monitor));
                assertEquals(1, monitor.resyncs(), "one dump, at the start");
            }
        }
    }

    @Test
    void aBridgePortLeavingItsBridgeIsNotTheLinkGoing() throws Exception {
        try (TestNamespace ns = TestNamespace.create("bridge")) {
            Recorder recorder = new Recorder();
            try (LinkMonitor monitor = LinkMonitor.open(ns.namespace, recorder).start("links-test")) {
                ns.ip("link", "add", "br0", "type", "bridge");
                ns.ip("link", "add", "va", "type", "veth", "peer", "name", "vb");
                ns.ip("link", "set", "va", "master", "br0");
                ns.ip("link", "set", "va", "nomaster");   // an AF_BRIDGE RTM_DELLINK for va
                ns.ip("link", "add", "marker", "type", "ifb");
                recorder.await(e -> e.contains("+marker"), "the marker after the bridge changes");

                assertFalse(recorder.snapshot().contains("-va"), "va is still there: " + recorder.snapshot());
                assertTrue(names(monitor).contains("va"));
            }
        }
    }

    @Test
    void anEventLoopReadsWhatIsQueuedWithoutBlocking() {
        try (TestNamespace ns = TestNamespace.create("loop")) {
            Recorder recorder = new Recorder();
            try (LinkMonitor monitor = LinkMonitor.open(ns.namespace, recorder)) {
                assertEquals(0, monitor.readAvailable(), "nothing queued, and no wait");
                monitor.resync();
                ns.ip("link", "add", "va", "type", "veth", "peer", "name", "vb");

                assertTrue(monitor.readAvailable() >= 2);
                assertTrue(recorder.snapshot().containsAll(List.of("+lo", "+va", "+vb")), recorder.snapshot().toString());
                assertEquals(0, monitor.readAvailable());
            }
        }
    }

    @Test
    void anOverrunIsRepairedByADumpThatAlsoReportsWhatWentMeanwhile() throws Exception {
        try (TestNamespace ns = TestNamespace.create("overrun")) {
            Recorder recorder = new Recorder();
            // the smallest receive buffer the kernel allows holds a few notifications, not forty
            try (LinkMonitor monitor = ns.namespace.run(() -> LinkMonitor.open(recorder, 1));
                 Rtnetlink rtnetlink = Rtnetlink.open(ns.namespace)) {
                monitor.resync();
                // queued before the overrun and read only after it: applying it after the dump would bring back
                // a link the dump knows is gone
                rtnetlink.createLink("doomed", "ifb");

                for (int i = 0; i < 40; i++) {
                    rtnetlink.createLink("m" + i, "ifb");
                }
                rtnetlink.deleteLink("doomed");
                monitor.readAvailable();

                assertTrue(monitor.resyncs() >= 2, "ENOBUFS led to a dump; resyncs " + monitor.resyncs());
                Set<String> expected = new java.util.HashSet<>(Set.of("lo"));
                for (int i = 0; i < 40; i++) {
                    expected.add("m" + i);
                }
                assertEquals(expected, names(monitor));
                assertTrue(recorder.snapshot().contains("-doomed"), "the lost RTM_DELLINK is made up for: "
                        + recorder.snapshot());
                for (int i = 0; i < 40; i++) {
                    assertTrue(recorder.snapshot().contains("+m" + i), "m" + i + " reported");
                }
            }
        }
    }

    @Test
    void closeStopsTheThreadAtOnce() throws Exception {
        try (TestNamespace ns = TestNamespace.create("close")) {
            Recorder recorder = new Recorder();
            LinkMonitor monitor = LinkMonitor.open(ns.namespace, recorder).start("links-close");
            recorder.await(e -> e.contains("+lo"), "initial dump");
            long start = System.nanoTime();
            monitor.close();
            assertTrue(System.nanoTime() - start < 2_000_000_000L, "woken by the eventfd, not a timeout");
            boolean alive = Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("links-close"));
            assertFalse(alive, "the reading thread ended");
        }
    }

    private static Set<String> names(LinkMonitor monitor) {
        return monitor.links().values().stream().map(Link::name).collect(Collectors.toSet());
    }
}
