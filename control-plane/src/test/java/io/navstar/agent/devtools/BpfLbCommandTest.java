package io.navstar.agent.devtools;

import io.navstar.agent.lb.LbMode;
import io.navstar.agent.lb.LbOptions;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BpfLbCommandTest {

    @Test
    void parsesModeSizesTimeoutsAndInterfaces() {
        LbOptions c = BpfLbCommand.parse(new String[] {"--mode", "tc", "--interfaces", "veth*,eth0", "--max-vips",
                "65536", "--max-flows", "1000000", "--udp-timeout", "30", "--tcp-closing", "5"}).options();
        assertEquals(LbMode.TC, c.mode());
        assertEquals(65_536, c.settings().maxVips());
        assertEquals(1_000_000, c.settings().maxFlows());
        assertEquals(Duration.ofSeconds(30), c.settings().udpTimeout());
        assertEquals(Duration.ofSeconds(5), c.settings().tcpClosing());
        assertEquals(java.util.List.of("veth*", "eth0"), c.interfacePatterns());
    }

    @Test
    void rejectsIncompleteOrWrongArgumentsWithAClearMessage() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BpfLbCommand.parse(new String[] {}))
                .getMessage().contains("--mode"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BpfLbCommand.parse(new String[] {"--mode", "sock"}))
                .getMessage().contains("cgroup"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BpfLbCommand.parse(new String[] {"--mode", "tc"}))
                .getMessage().contains("interfaces"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BpfLbCommand.parse(new String[] {"--mode", "ipvs"}))
                .getMessage().contains("unknown mode"));
        assertThrows(IllegalArgumentException.class, () -> BpfLbCommand.parse(new String[] {"--mode", "tc",
                "--interfaces", "x", "--udp-timeout", "-1"}));
        assertThrows(IllegalArgumentException.class, () -> BpfLbCommand.parse(new String[] {"--mode"}));
    }
}
