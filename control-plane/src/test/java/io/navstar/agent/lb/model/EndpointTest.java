package io.navstar.agent.lb.model;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Endpoints parse strictly (four decimal octets, IPv6 in brackets) and cheaply: the agent parses every backend of
 * every VIP on each recompute.
 */
class EndpointTest {

    @Test
    void parsesIpv4AndBracketedIpv6() {
        assertEquals(new Endpoint(InetAddress.ofLiteral("10.0.1.2"), 8080), Endpoint.parse("10.0.1.2:8080"));
        assertEquals(new Endpoint(InetAddress.ofLiteral("fd00::1"), 80), Endpoint.parse("[fd00::1]:80"));
    }

    @Test
    void refusesWhatTheJdkWouldReadAsIpv4() {
        for (String text : new String[] {"10.0.1:80", "10:80", "10.0.1.256:80", "10.0.01.2:80"}) {
            assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(text), text);
        }
    }

    @Test
    void parsesWithoutCompilingAPatternEachTime() {
        String[] texts = new String[1_000];
        for (int i = 0; i < texts.length; i++) {
            texts[i] = "10.1." + i / 250 + "." + i % 250 + ":8080";
        }
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long fewest = Long.MAX_VALUE;
        int sum = 0;
        for (int round = 0; round < 3; round++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (String text : texts) {
                sum += Endpoint.parse(text).port();
            }
            fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
        }
        assertEquals(3 * texts.length * 8080, sum);
        // compiling the IPv4 pattern for each parse cost about 6,700 bytes; a match and the address about 400
        assertTrue(fewest < texts.length * 2_000L, fewest + " bytes allocated by " + texts.length + " parses");
    }
}
