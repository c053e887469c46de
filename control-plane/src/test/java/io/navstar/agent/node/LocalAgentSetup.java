package io.navstar.agent.node;

import io.navstar.agent.config.AgentConfig;
import io.navstar.agent.lb.support.LbTestSupport;
import io.navstar.agent.lb.support.LbTopology;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What an agent in the test's own JVM needs, made and removed by the test: a work directory (data, tasks, config), a
 * child cgroup for sock mode, a pin directory, and loopback addresses for DNS, gossip and the API (random ports, so
 * test JVMs beside each other do not meet; below the kernel's ephemeral range, 32768-60999, where a port may be held by
 * any connection's local end). {@link #close} removes the pins (detaching the programs), the cgroup and
 * the files; close the agents first. Needs root.
 */
final class LocalAgentSetup implements AutoCloseable {
    final Path work;
    final Path cgroup;
    final Path pins;
    final InetSocketAddress dns;
    final AgentConfig config;

    LocalAgentSetup(String tag) throws IOException {
        LbTestSupport.assumeRoot();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        work = Files.createTempDirectory("agent-" + tag);
        cgroup = Files.createDirectories(LbTopology.cgroup2Mount().resolve(LbTestSupport.PREFIX + "-" + tag));
        pins = LbTestSupport.pinDirectory(tag);
        dns = new InetSocketAddress("127.0.55." + random.nextInt(2, 250), random.nextInt(20_000, 32_000));
        Path file = work.resolve("config.yaml");
        Files.writeString(file, String.join("\n",
                "node: {address: 127.0.0.1, gossip_port: " + random.nextInt(20_000, 26_000) + ", hostname: " + tag + "}",
                "cluster: {contacts: []}",
                "data_dir: " + work.resolve("data"),
                "lb:",
                "  mode: sock",
                "  cgroup: " + cgroup,
                "  pin_dir: " + pins,
                "  max_vips: 64",
                "  max_backends: 64",
                "  max_flows: 1024",
                "dns: {listen: [\"" + dns.getAddress().getHostAddress() + ":" + dns.getPort()
                        + "\"], interface: \"\", upstreams: [], event_loops: 1}",
                "api: {listen: \"127.0.0.1:" + random.nextInt(26_000, 32_000) + "\"}",
                ""));
        config = AgentConfig.load(file);
        Files.createDirectories(config.tasksDir());
    }

    /** Drops a task file with one port, 8080 on 127.0.0.1, labelled with {@code vip} and without a health check. */
    void task(String id, String vip) throws IOException {
        Files.writeString(config.tasksDir().resolve(id + ".json"), "{\"id\":\"" + id + "\",\"address\":\"127.0.0.1\","
                + "\"ports\":[{\"port\":8080,\"labels\":{\"VIP_0\":\"" + vip + "\"},\"health_check\":false}]}");
    }

    @Override
    public void close() throws IOException {
        LbTestSupport.deleteTree(pins);
        Files.deleteIfExists(cgroup);
        LbTestSupport.deleteTree(work);
    }
}
