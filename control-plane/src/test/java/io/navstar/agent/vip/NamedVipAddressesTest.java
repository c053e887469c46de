package io.navstar.agent.vip;

import io.navstar.agent.config.Cidr;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Named VIP addresses are what every node computes alike: the same for the same set of names whatever order a
 * node learnt them in, unmoved when names that do not collide with them come and go, and distinct. Collisions
 * are forced with a range of 8 addresses.
 */
class NamedVipAddressesTest {
    private static final Cidr RANGE = Cidr.parse("11.0.0.0/8");
    private static final Cidr TINY = Cidr.parse("10.9.9.0/29"); // 6 usable slots: collisions are the rule

    @Provide
    Arbitrary<List<String>> names() {
        return Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(8)
                .map(n -> n + "@marathon").list().uniqueElements().ofMinSize(0).ofMaxSize(40);
    }

    @Provide
    Arbitrary<List<String>> fewNames() {
        return Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(4)
                .map(n -> n + "@marathon").list().uniqueElements().ofMinSize(1).ofMaxSize(6);
    }

    @Property
    void everyNodeComputesTheSameAddressesWhateverOrderItLearntTheNamesIn(@ForAll("names") List<String> names,
                                                                          @ForAll long seed) {
        List<String> shuffled = new ArrayList<>(names);
        Collections.shuffle(shuffled, new Random(seed));
        assertEquals(NamedVipAddresses.allocate(names, RANGE, Set.of()),
                NamedVipAddresses.allocate(shuffled, RANGE, Set.of()));
    }

    @Property
    void collisionsResolveTheSameWayEverywhereAndGiveDistinctAddressesInRange(@ForAll("fewNames") List<String> names,
                                                                              @ForAll long seed) {
        List<String> shuffled = new ArrayList<>(names);
        Collections.shuffle(shuffled, new Random(seed));
        Map<String, InetAddress> one = NamedVipAddresses.allocate(names, TINY, Set.of());
        assertEquals(one, NamedVipAddresses.allocate(shuffled, TINY, Set.of()));
        assertEquals(names.size(), new HashSet<>(one.values()).size(), "distinct: " + one);
        for (InetAddress address : one.values()) {
            assertTrue(TINY.contains(address), address.toString());
            assertNotEquals(TINY.at(0), address, "never the network address");
            assertNotEquals(TINY.at(7), address, "never the broadcast address");
        }
    }

    @Property
    void namesThatComeAndGoLeaveUnrelatedNamesWhereTheyWere(@ForAll("names") List<String> names,
                                                            @ForAll @Size(max = 10) List<@net.jqwik.api.constraints.AlphaChars
                                                                    @net.jqwik.api.constraints.StringLength(min = 1, max = 8) String> extra) {
        Map<String, InetAddress> before = NamedVipAddresses.allocate(names, RANGE, Set.of());
        List<String> more = new ArrayList<>(names);
        for (String e : extra) {
            String key = e.toLowerCase() + "@other";
            if (!more.contains(key)) {
                more.add(key);
            }
        }
        Map<String, InetAddress> after = NamedVipAddresses.allocate(more, RANGE, Set.of());
        Set<InetAddress> preferredOfNew = new HashSet<>();
        for (String key : more) {
            if (!names.contains(key)) {
                preferredOfNew.add(NamedVipAddresses.allocate(List.of(key), RANGE, Set.of()).get(key));
            }
        }
        for (String key : names) {
            // unrelated: the new names' own slots are not where this name's probe went
            if (!preferredOfNew.contains(before.get(key))) {
                assertEquals(before.get(key), after.get(key), key);
            }
        }
    }

    @Test
    void aFixedAddressVipIsNeverGivenToAName() {
        InetAddress preferred = NamedVipAddresses.allocate(List.of("web@marathon"), RANGE, Set.of()).get("web@marathon");
        InetAddress moved = NamedVipAddresses.allocate(List.of("web@marathon"), RANGE, Set.of(preferred)).get("web@marathon");
        assertNotEquals(preferred, moved);
        assertEquals(RANGE.at(offset(preferred) + 1), moved, "the next slot, by linear probing");
    }

    @Test
    void collidingNamesTakeSlotsInSortedOrder() {
        // in a range of 2 usable slots, any two names collide or not; the first in sorted order keeps its slot
        Cidr two = Cidr.parse("10.0.0.0/30");
        Map<String, InetAddress> both = NamedVipAddresses.allocate(List.of("b@x", "a@x"), two, Set.of());
        InetAddress aAlone = NamedVipAddresses.allocate(List.of("a@x"), two, Set.of()).get("a@x");
        assertEquals(aAlone, both.get("a@x"));
        assertNotEquals(both.get("a@x"), both.get("b@x"));
    }

    @Test
    void moreNamesThanSlotsIsRefused() {
        assertThrows(IllegalStateException.class,
                () -> NamedVipAddresses.allocate(List.of("a@x", "b@x", "c@x"), Cidr.parse("10.0.0.0/30"), Set.of()));
    }

    @Test
    void theHashIsFixedForGood() {
        // a node of another version or JVM must compute the same slot; the value was computed apart from this code:
        // python3: int.from_bytes(sha256(b"web@marathon").digest()[:8], "big") % (2**24 - 2) + 1 -> 11.36.205.229
        assertEquals(InetAddress.ofLiteral("11.36.205.229"),
                NamedVipAddresses.allocate(List.of("web@marathon"), RANGE, Set.of()).get("web@marathon"));
        assertFalse(RANGE.contains(InetAddress.ofLiteral("12.0.0.1")));
    }

    @Test
    void looksTheDigestUpOncePerAllocation() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            names.add("svc" + i + "@marathon");
        }
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long fewest = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            assertEquals(names.size(), NamedVipAddresses.allocate(names, RANGE, Set.of()).size());
            fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
        }
        // a MessageDigest.getInstance per name cost about 1,070 bytes a name; hashing and placing it about 380
        assertTrue(fewest < names.size() * 700L, fewest + " bytes allocated for " + names.size() + " names");
    }

    private static long offset(InetAddress address) {
        byte[] b = address.getAddress();
        return ((b[1] & 0xFFL) << 16) | ((b[2] & 0xFFL) << 8) | (b[3] & 0xFFL);
    }
}
