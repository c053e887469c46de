package io.navstar.loader.spec;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MapTypeTest {
    @Test
    void shouldRejectUnknownKernelMapType() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MapType.ofKernelValue(999));
        assertEquals("unsupported map type 999 (enum bpf_map_type)", e.getMessage());
    }

    @Property(tries = 50)
    void kernelValueRoundTrips(@ForAll MapType type) {
        assertEquals(type, MapType.ofKernelValue(type.kernelValue()));
    }
}
