package io.navstar.agent.cluster;

import io.navstar.agent.lb.support.LbTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static io.navstar.agent.cluster.ClusterFixtures.awaitOutput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Bad input to a running agent and to one starting: a malformed task POSTed to the API is a 400 naming the JSON path
 * of the bad value and changes nothing (tasks, the tasks directory, the KV store); a bad file in the tasks directory
 * is left out and logged with its path and the JSON path, the other tasks unaffected; {@code navstar agent --config}
 * with a bad config exits 2 with one line naming the file and the key, and creates nothing (no data directory, no
 * pins, no Spartan interface). One node in sock mode; the configs run in a container's namespace of their own.
 * Threading: JUnit's thread.
 */
class AgentBadInputTest {
    private static final String API = "http://127.0.0.1:62080";

    private static NsCluster cluster;

    @BeforeAll
    static void startCluster() {
        assumeTrue(LbTestSupport.isRoot(), "needs root: namespaces, cgroups and eBPF programs");
        cluster = NsCluster.up(NsCluster.uniqueName("b"), 1, "sock");
        cluster.container(1, 1).orThrow("container n1 c1");
        cluster.container(1, 2).orThrow("container n1 c2");
        cluster.serve(1, 1, 80, "node1").orThrow("serve");
        cluster.register(1, 1, "good-1", "/good:80", 80).orThrow("register good-1");
        awaitOutput(Duration.ofSeconds(10), "good-1 in the KV store", () -> cluster.api(1, "/lashup/kv/minuteman/vips"),
                kv -> kv.contains(NsCluster.containerAddress(1, 1) + ":80|1"));
    }

    @AfterAll
    static void removeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void malformedTaskIsRefusedNamingItsJsonPathAndChangesNothing() throws IOException {
        String address = NsCluster.containerAddress(1, 1);
        String tasksBefore = cluster.api(1, "/v1/tasks").orThrow("GET /v1/tasks");
        Map<String, String> filesBefore = taskFiles();
        String kvBefore = kvWithClock();
        String[][] cases = {
                {"{\"id\": \"x\", \"address\": \"" + address + "\", \"ports\": [{\"port\": 80}]", "(top): not valid JSON"},
                {"[1, 2]", "(top):"},
                {"{\"id\": \"x\", \"address\": \"" + address + "\", \"ports\": [{\"port\": 80}], \"bogus\": 1}", "bogus: unknown field"},
                {"{\"id\": \"../x\", \"address\": \"" + address + "\", \"ports\": [{\"port\": 80}]}", "id: expected 1-128 of"},
                {"{\"id\": \"x\", \"address\": \"10.201.1.300\", \"ports\": [{\"port\": 80}]}", "address: expected an IP address"},
                {"{\"id\": \"x\", \"address\": \"" + address + "\", \"ports\": []}", "ports: required"},
                {"{\"id\": \"x\", \"address\": \"" + address + "\", \"ports\": [{\"port\": 80}, {\"port\": 70000}]}",
                        "ports[1].port: expected 1..65535"},
                {"{\"id\": \"x\", \"address\": \"" + address + "\", \"ports\": [{\"port\": 80, \"protocol\": \"sctp\"}]}",
                        "ports[0].protocol: expected tcp or udp"},
                {"{\"id\": \"x\", \"address\": \"" + address + "\", \"ports\": [{\"port\": 80, \"labels\": {\"VIP_0\": \"/web\"}}]}",
                        "ports[0].labels.VIP_0:"},
                {"{\"id\": \"x\", \"address\": \"" + address + "\", \"ports\": [{\"port\": 80, \"weight\": -1}]}",
                        "ports[0].weight: expected 0.."},
                {"{\"id\": \"good-1\", \"address\": \"" + address + "\", \"ports\": [{\"port\": 80, \"labels\": {\"VIP_0\": \"/good:80\"}},"
                        + " {\"port\": 80}]}", "ports[1]: port 80/tcp listed twice"},
        };
        Path body = cluster.workDir().resolve("task.json");
        for (String[] c : cases) {
            Files.writeString(body, c[0]);
            String answer = cluster.nodeExec(1, "curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-X", "POST",
                    "-H", "Content-Type: application/json", "--data-binary", "@" + body, API + "/v1/tasks")
                    .orThrow("POST " + c[0]);
            String status = answer.substring(answer.lastIndexOf('\n') + 1).strip();
            String error = ClusterFixtures.json(answer.substring(0, answer.lastIndexOf('\n'))).path("error").asText();
            assertEquals("400", status, () -> "POST " + c[0] + " answered " + answer);
            assertTrue(error.startsWith(c[1]), () -> "POST " + c[0] + ": expected an error starting '" + c[1] + "', got: " + error);
            assertEquals(1, error.lines().count(), error);
        }
        ClusterFixtures.sleep(300); // a change would be committed and seen by now
        assertEquals(tasksBefore, cluster.api(1, "/v1/tasks").orThrow("GET /v1/tasks"), "the tasks");
        assertEquals(filesBefore, taskFiles(), "the tasks directory");
        assertEquals(kvBefore, kvWithClock(), "the KV key [minuteman, vips] and its clock");
    }

    @Test
    void badTaskFileIsLeftOutAndLoggedOthersUnaffected() throws IOException {
        String address = NsCluster.containerAddress(1, 1);
        Path tasks = tasksDir();
        Path portZero = tasks.resolve("port-zero.json");
        Path broken = tasks.resolve("broken.json");
        drop(portZero, "{\"id\": \"port-zero\", \"address\": \"" + address + "\", \"ports\": [{\"port\": 0}]}");
        drop(broken, "{\"id\": \"broken\", \"address\": ");
        drop(tasks.resolve("good-2.json"), "{\"id\": \"good-2\", \"address\": \"" + address
                + "\", \"ports\": [{\"port\": 80, \"labels\": {\"VIP_0\": \"/good2:80\"}}]}");

        awaitOutput(Duration.ofSeconds(10), "good-2's VIP", () -> cluster.api(1, "/v1/vips"),
                vips -> vips.contains("/good2:80") && vips.contains("/good:80"));
        String listed = cluster.api(1, "/v1/tasks").orThrow("GET /v1/tasks");
        assertTrue(listed.contains("\"good-1\"") && listed.contains("\"good-2\""), listed);
        assertFalse(listed.contains("port-zero") || listed.contains("\"broken\""), listed);
        String log = Files.readString(cluster.agentLog(1));
        assertTrue(log.contains("task file " + portZero + " left out: ports[0].port: expected 1..65535, got 0"), log);
        assertTrue(log.contains("task file " + broken + " left out: (top): not valid JSON"), log);
    }

    /**
     * Each case replaces one line of a config that would start an agent. A value the file's reader refuses is named
     * with the file and key; a value only the load balancer can check (a namespace may come and go) is named as
     * the load balancer found it, before it or anything else made a thing.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "an unknown key      | lb: {mode: sock, cgroupp: CGROUP, pin_dir: PINS}                  | FILE:5: lb.cgroupp: unknown key",
            "a bad mode          | lb: {mode: sockk, cgroup: CGROUP, pin_dir: PINS}                  | FILE: lb.mode: expected sock, tc or xdp",
            "a missing cgroup    | lb: {mode: sock, cgroup: CGROUP/none, pin_dir: PINS}              | FILE: lb.cgroup: no such cgroup directory CGROUP/none",
            "a missing namespace | lb: {mode: tc, netns: none-ns, interfaces: [eth0], pin_dir: PINS} | netns none-ns: no such network namespace in /run/netns",
            "a bad DNS address   | dns: {listen: [\"198.51.100.1:99999\"]}                           | FILE: dns.listen[0]: expected ip:port",
            "a missing secret    | cluster: {secret_file: /nonexistent/secret}                       | FILE: cluster.secret_file: no readable file"})
    void badConfigExitsTwoWithOneLineAndCreatesNothing(String what, String line, String expected) throws IOException {
        Path cgroupRoot = cgroup2Mount();
        Path containerCgroup = cgroupRoot.resolve(cluster.name()).resolve("n1").resolve("c2");
        Path dir = cluster.workDir().resolve("bad-config");
        Path data = dir.resolve("data");
        Path pins = Path.of("/sys/fs/bpf", cluster.name() + "-bad");
        Files.createDirectories(dir);
        Map<String, String> sections = new TreeMap<>(Map.of(
                "node", "node: {address: " + NsCluster.containerAddress(1, 2) + ", hostname: bad}",
                "data_dir", "data_dir: " + data,
                "lb", "lb: {mode: sock, cgroup: CGROUP, pin_dir: PINS}",
                "dns", "dns: {upstreams: [], event_loops: 1}"));
        sections.put(line.substring(0, line.indexOf(':')), line);
        List<String> lines = new ArrayList<>(List.of("# " + what));
        for (String key : List.of("node", "data_dir", "dns", "lb", "cluster")) {
            if (sections.containsKey(key)) {
                lines.add(sections.get(key).replace("CGROUP", containerCgroup.toString()).replace("PINS", pins.toString()));
            }
        }
        Path config = Files.write(dir.resolve("bad.yaml"), lines);
        try {
            NsCluster.Result run = NsCluster.runProcess(List.of("nsenter", "--net=/run/netns/" + cluster.name() + "-n1-c2",
                    "--", NsCluster.repository().resolve("scripts/navstar").toString(), "agent", "--config",
                    config.toString()), Map.of("NAVSTAR_JVM_OPTS", "-Xmx64m"), Duration.ofSeconds(30));
            assertEquals(2, run.exitCode(), () -> what + ": " + run.output());
            List<String> output = run.output().lines().toList();
            assertEquals(1, output.size(), () -> what + ": one line, not:\n" + run.output());
            String wanted = "navstar agent: " + expected.replace("FILE", config.toString())
                    .replace("CGROUP", containerCgroup.toString());
            assertEquals(wanted, output.get(0).substring(0, Math.min(wanted.length(), output.get(0).length())),
                    () -> what + ": " + output.get(0));
            assertFalse(Files.exists(data), what + ": no data directory");
            assertFalse(Files.exists(pins), what + ": no pins");
            assertFalse(cluster.nodeExec(1, "ip", "-n", cluster.name() + "-n1-c2", "link", "show", "spartan").ok(),
                    what + ": no spartan interface");
        } finally {
            NsCluster.runProcess(List.of("rm", "-rf", data.toString(), pins.toString()), Map.of(), Duration.ofSeconds(10));
            NsCluster.runProcess(List.of("ip", "-n", cluster.name() + "-n1-c2", "link", "del", "spartan"), Map.of(),
                    Duration.ofSeconds(10));
        }
    }

    private static Path tasksDir() {
        return cluster.nodeDir(1).resolve("data/tasks");
    }

    /** Each file of the tasks directory and its content. */
    private static Map<String, String> taskFiles() throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(tasksDir())) {
            for (Path file : list.toList()) {
                files.put(file.getFileName().toString(), Files.readString(file));
            }
        }
        return files;
    }

    /** The KV key's value with its clock header, as the API answers them. */
    private static String kvWithClock() {
        String answer = cluster.nodeExec(1, "curl", "-sS", "-D", "-", API + "/lashup/kv/minuteman/vips").orThrow("GET kv");
        return answer.lines().filter(l -> l.toLowerCase(java.util.Locale.ROOT).startsWith("clock:") || l.startsWith("{"))
                .reduce("", (a, b) -> a + b.strip() + "\n");
    }

    /** Writes a task file whole: to a hidden name first, then renamed, as an orchestrator should. */
    private static void drop(Path file, String content) throws IOException {
        Path hidden = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(hidden, content);
        Files.move(hidden, file, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Path cgroup2Mount() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
            String[] fields = line.split(" ");
            if (fields[2].equals("cgroup2")) {
                return Path.of(fields[1]);
            }
        }
        throw new AssertionError("no cgroup2 mount");
    }
}
