package io.navstar.sys.netlink;

import io.navstar.sys.Errno;
import io.navstar.sys.TestNamespace;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Link and address changes through NETLINK_ROUTE, as root inside a namespace each test makes. */
class RtnetlinkTest {
    private static final List<InetAddress> SPARTAN = List.of(address("198.51.100.1"), address("198.51.100.2"),
            address("198.51.100.3"));

    @Test
    void ensureCreatesTheDummyWithItsAddressesUpAsIpShowsIt() {
        try (TestNamespace ns = TestNamespace.create("dummy")) {
            Link link = DummyInterface.ensure(ns.namespace, "spartan", SPARTAN);

            assertEquals("spartan", link.name());
            assertTrue(DummyInterface.KINDS.contains(link.kind()), link.kind());
            assertTrue(link.up());
            String addresses = ns.ip("-o", "-4", "addr", "show", "dev", "spartan");
            for (String expected : List.of("198.51.100.1/32", "198.51.100.2/32", "198.51.100.3/32")) {
                assertTrue(addresses.contains("inet " + expected), expected + " in:\n" + addresses);
            }
            assertEquals(3, addresses.strip().split("\n").length, addresses);
            assertTrue(ns.ip("-o", "link", "show", "dev", "spartan").contains("UP"), "set up");
        }
    }

    @Test
    void ensureIsIdempotentAndAddsOnlyWhatIsMissing() {
        try (TestNamespace ns = TestNamespace.create("again")) {
            Link first = DummyInterface.ensure(ns.namespace, "spartan", SPARTAN.subList(0, 1));
            Link second = DummyInterface.ensure(ns.namespace, "spartan", SPARTAN);
            Link third = DummyInterface.ensure(ns.namespace, "spartan", SPARTAN);

            assertEquals(first.index(), second.index(), "the same interface, not a new one");
            assertEquals(second, third);
            String addresses = ns.ip("-o", "-4", "addr", "show", "dev", "spartan");
            assertEquals(3, addresses.strip().split("\n").length, addresses);
        }
    }

    @Test
    void ensureAddsIpv6HostAddressesUsableAtOnce() {
        try (TestNamespace ns = TestNamespace.create("six")) {
            DummyInterface.ensure(ns.namespace, "spartan", List.of(address("198.51.100.1"), address("fd01:d::1")));

            String addresses = ns.ip("-o", "-6", "addr", "show", "dev", "spartan");
            assertTrue(addresses.contains("inet6 fd01:d::1/128"), addresses);
            assertFalse(addresses.contains("tentative"), "no duplicate address detection: " + addresses);
        }
    }

    @Test
    void ensureRefusesAnInterfaceOfThatNameThatIsNotADummy() {
        try (TestNamespace ns = TestNamespace.create("veth")) {
            ns.ip("link", "add", "spartan", "type", "veth", "peer", "name", "other");

            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> DummyInterface.ensure(ns.namespace, "spartan", SPARTAN));
            assertTrue(e.getMessage().contains("\"spartan\" exists and is a veth, not a dummy"), e.getMessage());
            assertFalse(ns.ip("-o", "addr", "show", "dev", "spartan").contains("198.51.100"), "nothing added");
        }
    }

    @Test
    void refusalsNameTheRequestTheErrnoAndTheOperation() {
        try (TestNamespace ns = TestNamespace.create("refuse"); Rtnetlink rtnetlink = Rtnetlink.open(ns.namespace)) {
            assertTrue(rtnetlink.createLink("gone", "ifb"));
            Link gone = rtnetlink.link("gone").orElseThrow();
            assertTrue(rtnetlink.deleteLink("gone"));

            NetlinkException e = assertThrows(NetlinkException.class,
                    () -> rtnetlink.addAddress(gone, address("198.51.100.9"), 32));
            assertEquals("RTM_NEWADDR", e.command());
            assertEquals(Errno.ENODEV, e.errno());
            assertTrue(e.getMessage().startsWith("RTM_NEWADDR: ENODEV (No such device) adding 198.51.100.9/32 to "
                    + "interface \"gone\""), e.getMessage());

            NetlinkException up = assertThrows(NetlinkException.class, () -> rtnetlink.setUp(gone, true));
            assertTrue(up.getMessage().startsWith("RTM_NEWLINK: ENODEV (No such device) setting interface \"gone\" up"),
                    up.getMessage());
        }
    }

    @Test
    void theKernelsOwnWordsAreAddedWhenItSendsThem() {
        try (TestNamespace ns = TestNamespace.create("extack"); Rtnetlink rtnetlink = Rtnetlink.open(ns.namespace)) {
            rtnetlink.createLink("d0", "ifb");
            Link d0 = rtnetlink.link("d0").orElseThrow();
            // a /33 never reaches the kernel; a multicast local address does, and the kernel says why it refuses
            assertThrows(IllegalArgumentException.class, () -> rtnetlink.addAddress(d0, address("198.51.100.1"), 33));
            NetlinkException e = assertThrows(NetlinkException.class,
                    () -> rtnetlink.addAddress(d0, address("ff02::1"), 128));
            assertEquals("RTM_NEWADDR", e.command());
            assertEquals(Errno.EADDRNOTAVAIL, e.errno());
            assertTrue(e.getMessage().contains("/128 to interface \"d0\" (kernel: "), e.getMessage());
            assertTrue(e.kernelMessage().contains("multicast"), e.kernelMessage());
        }
    }

    @Test
    void existingAndMissingAreAnswersNotFailures() {
        try (TestNamespace ns = TestNamespace.create("idem"); Rtnetlink rtnetlink = Rtnetlink.open(ns.namespace)) {
            assertTrue(rtnetlink.createLink("d0", "ifb"));
            assertFalse(rtnetlink.createLink("d0", "bridge"), "EEXIST, whatever the kind");
            Link d0 = rtnetlink.link("d0").orElseThrow();
            assertTrue(rtnetlink.addAddress(d0, address("198.51.100.1"), 32));
            assertFalse(rtnetlink.addAddress(d0, address("198.51.100.1"), 32), "EEXIST");
            assertEquals(List.of(new InterfaceAddress(d0.index(), address("198.51.100.1"), 32)),
                    rtnetlink.addresses(d0).stream().filter(a -> a.address().getAddress().length == 4).toList());
            assertTrue(rtnetlink.deleteLink("d0"));
            assertFalse(rtnetlink.deleteLink("d0"), "ENODEV");
            assertEquals(Optional.empty(), rtnetlink.link("d0"));
        }
    }

    @Test
    void linksListsEveryInterfaceOfTheNamespaceOnly() {
        try (TestNamespace ns = TestNamespace.create("list"); Rtnetlink rtnetlink = Rtnetlink.open(ns.namespace)) {
            ns.ip("link", "add", "va", "type", "veth", "peer", "name", "vb");

            List<String> names = rtnetlink.links().stream().map(Link::name).sorted().toList();
            assertEquals(List.of("lo", "va", "vb"), names);
            assertEquals("veth", rtnetlink.link("va").orElseThrow().kind());
        }
    }

    @Test
    void badInterfaceNamesAreRefusedBeforeTheKernelIsAsked() {
        for (String bad : new String[]{"", "sixteen-letters!", "a/b", "a b", "eth0:1", ".."}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Rtnetlink.requireInterfaceName(bad));
            assertTrue(e.getMessage().startsWith("interface name \"" + bad + "\" is not valid: "), e.getMessage());
        }
        assertEquals("spartan", Rtnetlink.requireInterfaceName("spartan"));
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
