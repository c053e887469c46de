package io.navstar.agent.lb.model;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AddressTextTest {
    @ParameterizedTest
    @CsvSource({
            "fd01:000c:0000:0000:0000:0000:0000:0042, fd01:c::42",
            "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",       // RFC 5952 §4.2.3: the first of equal runs
            "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",    // §4.2.2: one zero group stays
            "2001:0db8:0000:0000:0000:0000:0002:0001, 2001:db8::2:1",
            "0:0:0:0:0:0:0:1, ::1",
            "0:0:0:0:0:0:0:0, ::",
            "fe80:0:0:0:0:0:0:0, fe80::",
            "2001:DB8:0:0:0:0:0:AB, 2001:db8::ab",            // §4.3: lowercase
            "10.0.1.2, 10.0.1.2"})
    void writesTheRecommendedForm(String address, String expected) {
        assertEquals(expected, AddressText.of(InetAddress.ofLiteral(address)));
    }
}
