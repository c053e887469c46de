package io.navstar.agent.vip;

import io.navstar.agent.lb.model.Protocol;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A VIP's identity and order are its KV field's: equal exactly when the fields are, sorted as the fields sort (the
 * order of {@code /v1/vips} and of the registry), and compared without building anything, since a node with ten
 * thousand VIPs compares them hundreds of thousands of times per recompute.
 */
class VipTest {

    @Test
    void sortsAsItsFieldsDo() {
        List<Vip> vips = new ArrayList<>(List.of(
                Vip.named(Protocol.TCP, "web", "marathon", 80),
                Vip.named(Protocol.TCP, "web", "marathon", 8080),
                Vip.named(Protocol.TCP, "web", "marathon", 9),
                Vip.named(Protocol.TCP, "web-a", "marathon", 80),
                Vip.named(Protocol.TCP, "web/api", "marathon", 80),
                Vip.named(Protocol.TCP, "web", "aurora", 80),
                Vip.named(Protocol.UDP, "web", "marathon", 80),
                Vip.fixed(Protocol.TCP, InetAddress.ofLiteral("11.0.0.9"), 80),
                Vip.fixed(Protocol.TCP, InetAddress.ofLiteral("11.0.0.10"), 80),
                Vip.fixed(Protocol.TCP, InetAddress.ofLiteral("fd01:c::1"), 53),
                Vip.fixed(Protocol.UDP, InetAddress.ofLiteral("11.0.0.1"), 53)));
        List<Vip> byField = new ArrayList<>(vips);
        byField.sort(Comparator.comparing(Vip::field));
        vips.sort(null);
        assertEquals(byField, vips);
    }

    @Test
    void equalExactlyWhenTheFieldsAre() {
        Vip web = Vip.named(Protocol.TCP, "web", "marathon", 80);
        assertEquals(web, Vip.parseField("tcp:/web:80@marathon"));
        assertEquals(web.hashCode(), Vip.parseField("tcp:/web:80@marathon").hashCode());
        assertNotEquals(web, Vip.named(Protocol.TCP, "web", "marathon", 81));
        assertNotEquals(web, Vip.named(Protocol.UDP, "web", "marathon", 80));
        assertNotEquals(web, Vip.named(Protocol.TCP, "web", "aurora", 80));
        assertEquals(Vip.fixed(Protocol.TCP, InetAddress.ofLiteral("fd01:c:0::1"), 80),
                Vip.parseField("tcp:[fd01:c::1]:80"));
        assertEquals("tcp:/web:80@marathon", web.toString());
    }

    @Test
    void comparesWithoutAllocating() {
        List<Vip> vips = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            vips.add(Vip.named(Protocol.TCP, "svc" + i, "marathon", 80));
        }
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long fewest = Long.MAX_VALUE;
        int sum = 0;
        for (int round = 0; round < 3; round++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 1; i < vips.size(); i++) {
                sum += vips.get(i).compareTo(vips.get(i - 1));
            }
            fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
        }
        assertTrue(sum != 0);
        // building the two fields per comparison cost about 220 bytes
        assertTrue(fewest < vips.size() * 8L, fewest + " bytes allocated by " + (vips.size() - 1) + " comparisons");
    }
}
