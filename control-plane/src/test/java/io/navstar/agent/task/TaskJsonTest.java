package io.navstar.agent.task;

import io.navstar.agent.lb.model.Protocol;
import io.navstar.agent.vip.Vip;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TaskJsonTest {
    private final TaskJson json = new TaskJson("marathon");

    @Test
    void readsATaskWithDcosVipLabelsAndWritesItBack() {
        Task task = json.parse(bytes("""
                {"id": "web-1", "address": "10.0.1.2",
                 "ports": [{"port": 8080, "labels": {"VIP_0": "/web:80", "VIP_1": "11.0.0.1:80", "owner": "x"}},
                           {"port": 5353, "protocol": "udp", "labels": {"VIP_0": "/dns:53"}, "weight": 3}]}
                """));
        assertEquals("web-1", task.id());
        assertEquals("marathon", task.framework());
        assertEquals(InetAddress.ofLiteral("10.0.1.2"), task.address());
        Task.Port web = task.ports().get(0);
        assertEquals(List.of(Vip.named(Protocol.TCP, "web", "marathon", 80),
                Vip.fixed(Protocol.TCP, InetAddress.ofLiteral("11.0.0.1"), 80)), web.vips());
        assertTrue(web.healthCheck());
        Task.Port dns = task.ports().get(1);
        assertEquals(Protocol.UDP, dns.protocol());
        assertEquals(3, dns.weight());
        assertFalse(dns.healthCheck(), "UDP ports are not checked with TCP connects");
        assertEquals(task, json.parse(json.write(task)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"address\": \"10.0.1.2\", \"ports\": [{\"port\": 80}]} | id: expected 1-128 of",
            "{\"id\": \"../x\", \"address\": \"10.0.1.2\", \"ports\": [{\"port\": 80}]} | id: expected",
            "{\"id\": \"a\", \"ports\": [{\"port\": 80}]} | address: required",
            "{\"id\": \"a\", \"address\": \"10.0.1\", \"ports\": [{\"port\": 80}]} | address: expected an IP address",
            "{\"id\": \"a\", \"address\": \"10.0.1.2\"} | ports: required, at least one",
            "{\"id\": \"a\", \"address\": \"10.0.1.2\", \"ports\": [{\"port\": 0}]} | ports[0].port: expected 1..65535, got 0",
            "{\"id\": \"a\", \"address\": \"10.0.1.2\", \"ports\": [{}]} | ports[0].port: expected 1..65535, got null",
            "{\"id\": \"a\", \"address\": \"10.0.1.2\", \"ports\": [{\"port\": \"x\"}]} | ports[0].port:",
            "{\"id\": \"a\", \"address\": \"10.0.1.2\", \"ports\": [{\"port\": 80, \"protocol\": \"sctp\"}]} | ports[0].protocol: expected tcp or udp",
            "{\"id\": \"a\", \"address\": \"10.0.1.2\", \"ports\": [{\"port\": 80, \"labels\": {\"VIP_0\": \"/web\"}}]} | ports[0].labels.VIP_0: expected /name:port",
            "{\"id\": \"a\", \"address\": \"10.0.1.2\", \"ports\": [{\"port\": 80, \"labels\": {\"VIP_0\": \"/Web_1:80\"}}]} | ports[0].labels.VIP_0: VIP name /web_1 must be",
            "{\"id\": \"a\", \"address\": \"10.0.1.2\", \"ports\": [{\"port\": 80, \"labels\": {\"VIP_0\": \"/web:99999\"}}]} | ports[0].labels.VIP_0: VIP port 99999 out of range",
            "{\"id\": \"a\", \"address\": \"10.0.1.2\", \"ports\": [{\"port\": 80, \"weight\": 5000}]} | ports[0].weight: expected 0..1000",
            "{\"id\": \"a\", \"address\": \"10.0.1.2\", \"ports\": [{\"port\": 80}, {\"port\": 80}]} | ports[1]: port 80/tcp listed twice",
            "{\"id\": \"a\", \"address\": \"10.0.1.2\", \"portz\": []} | portz: unknown field",
            "{\"id\": \"a\", \"framework\": \"Bad_Fw\", \"address\": \"10.0.1.2\", \"ports\": [{\"port\": 80}]} | framework: expected a DNS label",
            "{\"id\": \"a\" | (top): not valid JSON at line 1",
            "[] | (top):",
            "null | (top): expected a task object"})
    void refusesBadTasksNamingTheJsonPath(String body, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> json.parse(bytes(body)));
        assertTrue(e.getMessage().startsWith(expected), "expected '" + expected + "' at the start of: " + e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
