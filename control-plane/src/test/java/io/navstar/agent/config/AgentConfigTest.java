package io.navstar.agent.config;

import io.navstar.agent.lb.LbMode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsAreAProductionNodes() {
        AgentConfig config = AgentConfig.defaults();
        assertEquals(Path.of("/sys/fs/bpf/navstar"), config.lbSettings().pinDirectory());
        assertEquals(LbMode.SOCK, config.lbMode());
        assertEquals(List.of(new InetSocketAddress("198.51.100.1", 53), new InetSocketAddress("198.51.100.2", 53),
                new InetSocketAddress("198.51.100.3", 53)), config.dnsListen());
        assertEquals("spartan", config.dnsInterface());
        assertEquals("thisdcos.directory", config.domain());
        assertEquals(new InetSocketAddress("127.0.0.1", 62080), config.api());
        assertEquals(Path.of("/var/lib/navstar"), config.dataDir());
        assertEquals(Path.of("/var/lib/navstar/tasks"), config.tasksDir());
        assertEquals(62501, config.self().port());
        assertNull(config.clusterSecret());
    }

    @Test
    void aFileOverridesWhatItSets() throws IOException {
        Path secret = Files.writeString(dir.resolve("secret"), "0123456789abcdef0123\n");
        Path file = Files.writeString(dir.resolve("navstar.yaml"), """
                node:
                  address: 10.0.0.5
                  gossip_port: 7000
                  hostname: node5
                cluster:
                  contacts: [10.0.0.6:7000, 10.0.0.7:7000]
                  secret_file: %s
                data_dir: /tmp/navstar-5
                lb:
                  mode: tc
                  netns: node5
                  interfaces: ["veth*"]
                  pin_dir: /sys/fs/bpf/navstar-5
                  max_flows: 65536
                dns:
                  listen: [10.0.0.5, "10.0.0.5:5353"]
                  interface: ""
                  upstreams: ["127.0.0.53"]
                api:
                  listen: 127.0.0.1:9000
                log_level: WARN
                """.formatted(secret));
        AgentConfig config = AgentConfig.load(file);
        assertEquals("10.0.0.5:7000", config.self().toString());
        assertEquals("node5", config.hostname());
        assertEquals(2, config.contacts().size());
        assertEquals("0123456789abcdef0123", new String(config.clusterSecret()));
        assertEquals(Path.of("/tmp/navstar-5/tasks"), config.tasksDir());
        assertEquals(LbMode.TC, config.lbMode());
        assertEquals(65536, config.lbSettings().maxFlows());
        assertEquals(List.of(new InetSocketAddress("10.0.0.5", 53), new InetSocketAddress("10.0.0.5", 5353)),
                config.dnsListen());
        assertNull(config.dnsInterface());
        assertEquals(List.of(new InetSocketAddress("127.0.0.53", 53)), config.dnsUpstreams());
        assertEquals(9000, config.api().getPort());
        assertEquals("warn", config.logLevel());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "lb:\\n  modee: tc | :2: lb.modee: unknown key (known here: cgroup, interfaces, maglev_cells",
            "nodes: {} | :1: nodes: unknown key",
            "lb:\\n  mode: ipvs | lb.mode: expected sock, tc or xdp, got \"ipvs\"",
            "lb:\\n  mode: tc | lb.interfaces: tc mode needs the interfaces",
            "lb:\\n  pin_dir: /tmp/pins | lb.pin_dir: must be under /sys/fs/bpf",
            "lb:\\n  max_flows: lots | lb.max_flows: expected a whole number from 1 to 268435456, got \"lots\"",
            "node:\\n  address: 10.0.0.300 | node.address: expected an IPv4 address, got \"10.0.0.300\"",
            "node:\\n  gossip_port: 70000 | node.gossip_port: expected a whole number from 1 to 65535",
            "cluster:\\n  contacts: [10.0.0.1] | cluster.contacts[0]: expected a.b.c.d:port, got \"10.0.0.1\"",
            "cluster:\\n  secret_file: /nonexistent/secret | cluster.secret_file: no readable file /nonexistent/secret",
            "dns:\\n  listen: [] | dns.listen: needs at least one address",
            "dns:\\n  listen: [\"1.2.3.4:99999\"] | dns.listen[0]: expected ip:port",
            "dns:\\n  domain: bad_domain | dns.domain: expected a domain name",
            "vips:\\n  ipv4_range: 11.0.0.1/8 | vips.ipv4_range: expected an IPv4 CIDR such as 11.0.0.0/8, got \"11.0.0.1/8\" (host bits set)",
            "data_dir: relative/dir | data_dir: expected an absolute path",
            "log_level: loud | log_level: expected trace, debug, info, warn, error or off, got \"loud\"",
            "api:\\n  listen: 127.0.0.1 | api.listen: expected ip:port",
            "lb: [1, 2] | :1: lb: expected a mapping of keys",
            "lb:\\n  mode: [tc] | :2: lb.mode: expected a single value",
            "lb: {mode: tc | not valid YAML"})
    void refusesBadValuesNamingTheKey(String yaml, String expected) throws IOException {
        Path file = Files.writeString(dir.resolve("bad.yaml"), yaml.replace("\\n", "\n"));
        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfig.load(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Test
    void aCgroupThatDoesNotExistIsNamed() throws IOException {
        Path mount = AgentConfig.cgroup2Mount();
        Assumptions.assumeTrue(mount != null, "needs a cgroup v2 mount");
        Path missing = mount.resolve("navstar-config-test-none");
        Path file = Files.writeString(dir.resolve("c.yaml"), "lb:\n  mode: sock\n  cgroup: " + missing + "\n");
        assertEquals(file + ": lb.cgroup: no such cgroup directory " + missing,
                assertThrows(ConfigException.class, () -> AgentConfig.load(file)).getMessage());
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("none.yaml");
        assertEquals(missing + ": no such file",
                assertThrows(ConfigException.class, () -> AgentConfig.load(missing)).getMessage());
    }

    @Test
    void aShortSecretIsRefused() throws IOException {
        Path secret = Files.writeString(dir.resolve("secret"), "short");
        Path file = Files.writeString(dir.resolve("c.yaml"), "cluster:\n  secret_file: " + secret + "\n");
        assertTrue(assertThrows(ConfigException.class, () -> AgentConfig.load(file)).getMessage()
                .contains("cluster.secret_file: " + secret + " holds 5 bytes; a cluster secret needs at least 16"));
    }

    @Test
    void theShippedExampleConfigIsTheDefaults() {
        Path example = Path.of(System.getProperty("user.dir")).getParent().resolve("packaging/navstar.yaml");
        AgentConfig config = AgentConfig.load(example);
        assertEquals(AgentConfig.defaults().dnsListen(), config.dnsListen());
        assertEquals(AgentConfig.defaults().lbMode(), config.lbMode());
    }

    @Test
    void anEmptyFileIsTheDefaults() throws IOException {
        Path file = Files.writeString(dir.resolve("empty.yaml"), "");
        assertEquals(AgentConfig.defaults().lbSettings().pinDirectory(), AgentConfig.load(file).lbSettings().pinDirectory());
    }
}
