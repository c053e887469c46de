package io.navstar.agent.lb.model;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DesiredStateJsonTest {

    private static final String SAMPLE = """
            {"version": 1, "vips": [
              {"vip": "11.0.0.1:80", "protocol": "tcp",
               "backends": [{"endpoint": "10.0.1.2:8080", "weight": 2}, {"endpoint": "10.0.2.2:8080"}]},
              {"vip": "[fd01:c::1]:53", "protocol": "udp",
               "backends": [{"endpoint": "[fd00::2]:53", "weight": 0}]}
            ]}""";

    @Test
    void parsesVipsBackendsWeightsAndDefaults() {
        DesiredState state = DesiredStateJson.parse(SAMPLE);
        assertEquals(2, state.vips().size());
        VipSpec web = state.vips().get(VipKey.of("11.0.0.1:80", "tcp"));
        assertEquals(List.of(new BackendSpec(Endpoint.parse("10.0.1.2:8080"), 2),
                new BackendSpec(Endpoint.parse("10.0.2.2:8080"), 1)), web.backends());
        VipSpec dns = state.vips().get(VipKey.of("[fd01:c::1]:53", "udp"));
        assertEquals(0, dns.activeBackends());
        assertEquals(Endpoint.AF_INET6, dns.key().endpoint().family());
    }

    @Test
    void roundTripsThroughItsOwnOutput() {
        DesiredState state = DesiredStateJson.parse(SAMPLE);
        assertEquals(state, DesiredStateJson.parse(DesiredStateJson.toJson(state)));
    }

    @Test
    void namesThePathOfTheBadValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DesiredStateJson.parse(
                "{\"vips\":[{\"vip\":\"11.0.0.1:80\",\"backends\":[{\"endpoint\":\"10.0.0.1:99999\"}]}]}"));
        assertTrue(e.getMessage().startsWith("$.vips[0].backends[0].endpoint"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DesiredStateJson.parse(
                "{\"vips\":[{\"vip\":\"11.0.0.1:80\",\"protocol\":\"sctp\",\"backends\":[]}]}"));
        assertTrue(e.getMessage().contains("$.vips[0].protocol"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DesiredStateJson.parse(
                "{\"vips\":[{\"vip\":\"11.0.0.1:80\",\"backends\":[],\"colour\":1}]}"));
        assertTrue(e.getMessage().contains("colour"), e.getMessage());
    }

    @Test
    void rejectsDuplicateVipsDuplicateBackendsAndMixedFamilies() {
        assertThrows(IllegalArgumentException.class, () -> DesiredStateJson.parse(
                "{\"vips\":[{\"vip\":\"11.0.0.1:80\",\"backends\":[]},{\"vip\":\"11.0.0.1:80\",\"backends\":[]}]}"));
        assertThrows(IllegalArgumentException.class, () -> DesiredStateJson.parse(
                "{\"vips\":[{\"vip\":\"11.0.0.1:80\",\"backends\":[{\"endpoint\":\"10.0.0.1:1\"},{\"endpoint\":\"10.0.0.1:1\"}]}]}"));
        assertThrows(IllegalArgumentException.class, () -> DesiredStateJson.parse(
                "{\"vips\":[{\"vip\":\"11.0.0.1:80\",\"backends\":[{\"endpoint\":\"[fd00::1]:1\"}]}]}"));
    }

    @Test
    void rejectsHostNamesWithoutLookingThemUp() {
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("example.com:80"));
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("10.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("fd00::1:80"));
    }

    @Property(tries = 300)
    void garbageNeverEscapesAsAnythingButIllegalArgument(@ForAll @Size(max = 200) byte[] garbage) {
        try {
            DesiredStateJson.parse(garbage);
        } catch (IllegalArgumentException expected) {
            // the only failure allowed
        }
    }

    @Property(tries = 300)
    void mutatedSampleFailsCleanlyOrParses(@ForAll @Size(max = 8) List<Integer> positions, @ForAll byte value) {
        byte[] bytes = SAMPLE.getBytes(StandardCharsets.UTF_8);
        for (int p : positions) {
            bytes[Math.floorMod(p, bytes.length)] = value;
        }
        try {
            DesiredState state = DesiredStateJson.parse(bytes);
            assertEquals(state, DesiredStateJson.parse(DesiredStateJson.toJson(state)));
        } catch (IllegalArgumentException expected) {
            // a clear error is fine
        }
    }
}
