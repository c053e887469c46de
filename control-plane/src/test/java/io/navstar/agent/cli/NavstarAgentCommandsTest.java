package io.navstar.agent.cli;

import io.navstar.agent.support.AgentInNamespace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.navstar.agent.lb.abi.LbFlowBucket;
import io.navstar.agent.lb.support.LbTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.StreamSupport;

import static io.navstar.agent.cli.Tables.cell;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each command that talks to the agent, run in-process against one real agent in a namespace of its own
 * ({@link AgentInNamespace}): its table parsed back, its {@code -o json} parsed and checked, its failures one line
 * with the documented exit code. The agent runs with {@code --log-level warn}, which its log shows.
 */
class NavstarAgentCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration EVENTUALLY = Duration.ofSeconds(10);

    @TempDir
    static Path work;
    private static AgentInNamespace agent;
    /** A TCP listener inside the namespace: a backend whose health checks pass. */
    private static ServerSocket backend;

    @BeforeAll
    static void startAgent() throws Exception {
        LbTestSupport.assumeRoot();
        agent = AgentInNamespace.start("cli", work, "--log-level", "warn");
        backend = agent.run(() -> {
            ServerSocket socket = new ServerSocket();
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket;
        });
    }

    @AfterAll
    static void stopAgent() throws Exception {
        if (backend != null) {
            backend.close();
        }
        if (agent != null) {
            agent.close();
        }
    }

    @Test
    void vipAddListsTheBackendAndVipRmRemovesIt() throws Exception {
        String endpoint = "127.0.0.1:" + backend.getLocalPort();
        AgentInNamespace.Result added = agent.api("vip", "add", "/shop:80", "--backend", endpoint);
        assertEquals(0, added.code(), added.toString());
        String id = "vip-shop-80-127.0.0.1-" + backend.getLocalPort();
        assertEquals(id, cell(Tables.parse(added.outLines()).getFirst(), "ID"), added.toString());

        Map<String, List<String>> row = eventually(() -> Tables.parse(agent.api("vip", "ls").outLines()).stream()
                .filter(r -> cell(r, "VIP").equals("/shop:80")).findFirst().orElse(null));
        assertEquals("tcp", cell(row, "PROTOCOL"));
        assertEquals(List.of(endpoint), row.get("BACKENDS"));
        JsonNode vips = json(agent.api("vip", "ls", "-o", "json"));
        assertTrue(StreamSupport.stream(vips.spliterator(), false).anyMatch(v -> v.path("vip").asText().equals("/shop:80")
                && v.path("backend").get(0).path("port").asInt() == backend.getLocalPort()), vips.toString());
        assertTrue(json(agent.api("task", "ls", "-o", "json")).toString().contains("\"id\":\"" + id + "\""));

        // the data plane got it: navstar bpf maps decodes the VIP's key and the backend, ports in host order
        String backendRow = "\"addr\":\"127.0.0.1\",\"port\":" + backend.getLocalPort() + ",";
        JsonNode maps = eventually(() -> {
            JsonNode read = json(agent.navstar("bpf", "maps", "lb_vips", "lb_backends", "--pin-dir",
                    agent.pins().toString(), "-o", "json"));
            return read.path("maps").get(0).path("rows").toString().contains(backendRow) ? read : null;
        });
        assertEquals("lb_vips", maps.path("maps").get(1).path("name").asText());
        assertEquals(maps.path("maps").get(1).path("max_entries").asLong(), maps.path("maps").get(1).path("capacity").asLong(-1));
        JsonNode vip = StreamSupport.stream(maps.path("maps").get(1).path("rows").spliterator(), false)
                .filter(r -> r.path("port").asInt() == 80).findFirst().orElseThrow(() -> new AssertionError(maps));
        assertTrue(vip.path("addr").asText().startsWith("11.") && vip.path("proto").asText().equals("tcp"), vip.toString());
        assertTrue(vip.path("table_size").asInt() > 100, vip.toString()); // a Maglev table over the healthy backend

        AgentInNamespace.Result removed = agent.api("vip", "rm", "/shop:80", "--backend", endpoint);
        assertEquals(0, removed.code(), removed.toString());
        assertEquals("removed task " + id, removed.out().strip());
        eventually(() -> agent.api("vip", "ls").out().contains("/shop:80") ? null : true);
        AgentInNamespace.Result again = agent.api("vip", "rm", "/shop:80", "--backend", endpoint);
        assertEquals(1, again.code(), again.toString());
        assertEquals(List.of("navstar vip rm: no task " + id), again.errLines());
    }

    @Test
    void taskAddTakesAFileTaskLsShowsItTaskRmRemovesIt() throws Exception {
        Path file = Files.writeString(work.resolve("db.json"), """
                {"id": "db-1", "address": "10.9.0.7",
                 "ports": [{"port": 5432, "labels": {"VIP_0": "/db:5432"}, "health_check": false},
                           {"port": 9187, "protocol": "udp"}]}
                """);
        AgentInNamespace.Result added = agent.api("task", "add", file.toString());
        assertEquals(0, added.code(), added.toString());

        Map<String, List<String>> row = Tables.parse(agent.api("task", "ls").outLines()).stream()
                .filter(r -> cell(r, "ID").equals("db-1")).findFirst().orElseThrow();
        assertEquals("10.9.0.7", cell(row, "ADDRESS"));
        assertEquals(List.of("5432/tcp", "9187/udp"), row.get("PORT"));
        assertEquals(List.of("/db:5432", "-"), row.get("VIPS"));
        assertEquals(List.of("no", "no"), row.get("CHECKED"));

        AgentInNamespace.Result removed = agent.api("task", "rm", "db-1", "-o", "json");
        assertEquals(0, removed.code(), removed.toString());
        assertEquals("[\"db-1\"]", json(removed).path("removed").toString());
        AgentInNamespace.Result gone = agent.api("task", "rm", "db-1");
        assertEquals(1, gone.code(), gone.toString());
        assertEquals(List.of("navstar task rm: no task db-1"), gone.errLines());
    }

    @Test
    void aBadTaskFileIsOneLineNamingTheFileAndJsonPathExitTwo() throws Exception {
        Path file = Files.writeString(work.resolve("bad.json"), "{\"id\": \"x\", \"address\": \"10.0.0.1\", "
                + "\"ports\": [{\"port\": 70000}]}");
        AgentInNamespace.Result refused = agent.api("task", "add", file.toString());
        assertEquals(2, refused.code(), refused.toString());
        assertEquals(List.of("navstar task add: " + file + ": ports[0].port: expected 1..65535, got 70000"),
                refused.errLines());
        assertTrue(agent.api("task", "ls").out().lines().noneMatch(l -> l.startsWith("x ")));
    }

    @Test
    void membersAndRouteShowThisNodeAsTheGossipSeesIt() throws Exception {
        Map<String, List<String>> member = Tables.parse(agent.api("members").outLines()).getFirst();
        assertEquals("127.0.0.1:62501 (self)", cell(member, "NODE"));
        assertEquals("reachable", cell(member, "STATE"));

        JsonNode members = json(agent.api("members", "-o", "json"));
        assertEquals(1, members.size(), members.toString());
        JsonNode self = members.get(0);
        assertEquals("127.0.0.1:62501", self.path("node").asText());
        assertTrue(self.path("self").asBoolean() && self.path("reachable").asBoolean(), self.toString());
        assertTrue(self.path("epoch").asLong() > 0, self.toString());
        assertTrue(self.path("active_view").isArray(), self.toString());

        JsonNode routes = json(agent.api("route", "-o", "json"));
        assertEquals("[{\"node\":\"127.0.0.1:62501\",\"reachable\":true,\"distance\":0,\"next_hop\":null,"
                + "\"path\":[\"127.0.0.1:62501\"]}]", routes.toString());
        Map<String, List<String>> route = Tables.parse(agent.api("route").outLines()).getFirst();
        assertEquals("0", cell(route, "DISTANCE"));
        assertEquals("-", cell(route, "NEXT HOP"));
    }

    @Test
    void kvPutAppliesOperationsInOrderAndGetPrintsTypedValuesAndTheClock() throws Exception {
        // in the order given, a is added, removed and added again, b added and removed: only a is left
        AgentInNamespace.Result put = agent.api("kv", "put", "cli", "put", "--pncounter", "hits=5", "--orswot-add",
                "tags=a", "--orswot-remove", "tags=a", "--orswot-add", "tags=a", "--orswot-add", "tags=b",
                "--orswot-remove", "tags=b", "--assign", "owner=alice=admin", "--enable", "on");
        assertEquals(0, put.code(), put.toString());
        List<Map<String, List<String>>> fields = Tables.parse(put.outLines());
        assertEquals(List.of("hits", "on", "owner", "tags"), fields.stream().map(r -> cell(r, "FIELD")).toList());
        assertEquals(List.of("pncounter", "5"), List.of(cell(fields.get(0), "TYPE"), cell(fields.get(0), "VALUE")));
        assertEquals("alice=admin", cell(fields.get(2), "VALUE"));
        assertEquals(List.of("a"), fields.get(3).get("VALUE"), put.toString());

        JsonNode value = json(agent.api("kv", "get", "cli/put", "-o", "json"));
        assertEquals("[\"cli\",\"put\"]", value.path("key").toString());
        assertEquals("{\"type\":\"flag\",\"value\":true}", value.path("value").path("on").toString());
        JsonNode clock = value.path("clock");
        assertTrue(clock.size() == 1 && clock.elements().next().asLong() >= 1, clock.toString());

        AgentInNamespace.Result cas = agent.api("kv", "put", "cli", "put", "--pncounter", "hits=-2", "--if-clock",
                clock.toString());
        assertEquals(0, cas.code(), cas.toString());
        AgentInNamespace.Result stale = agent.api("kv", "put", "cli", "put", "--pncounter", "hits=-2", "--if-clock",
                clock.toString());
        assertEquals(CliErrors.EXIT_CONFLICT, stale.code(), stale.toString());
        assertEquals(1, stale.errLines().size(), stale.toString());
        assertTrue(stale.err().startsWith("navstar kv put: the key changed meanwhile"), stale.toString());
        assertEquals(3, json(agent.api("kv", "get", "cli", "put", "-o", "json")).path("value").path("hits")
                .path("value").asInt());
    }

    @Test
    void kvPutReadsAnOpsFileAndNamesTheJsonPathOfABadOne() throws Exception {
        Path ops = Files.writeString(work.resolve("ops.json"),
                "[{\"field\": \"n\", \"type\": \"gcounter\", \"op\": \"increment\", \"amount\": 7}]");
        AgentInNamespace.Result put = agent.api("kv", "put", "cli", "ops", "--ops", ops.toString(), "-o", "json");
        assertEquals(0, put.code(), put.toString());
        assertEquals(7, json(put).path("value").path("n").path("value").asInt());

        Path bad = Files.writeString(work.resolve("bad-ops.json"),
                "[{\"field\": \"n\", \"type\": \"gcounter\", \"op\": \"increment\", \"amount\": -1}]");
        AgentInNamespace.Result refused = agent.api("kv", "put", "cli", "ops", "--ops", bad.toString());
        assertEquals(2, refused.code(), refused.toString());
        assertEquals(List.of("navstar kv put: " + bad + ": [0].amount: a gcounter only grows, got -1"), refused.errLines());
    }

    @Test
    void kvWatchPrintsTheValueThenEachChange() throws Exception {
        assertEquals(0, agent.api("kv", "put", "cli", "watched", "--assign", "v=one").code());
        StringWriter out = new StringWriter(); // a StringBuffer underneath: read here while the watch writes
        CompletableFuture<AgentInNamespace.Result> watch = CompletableFuture.supplyAsync(() -> agent.navstar(out,
                AgentInNamespace.withApi("kv", "watch", "cli", "watched", "--count", "2", "--interval", "20", "-o", "json")));
        eventually(() -> out.toString().contains("\"one\"") ? true : null);
        assertEquals(0, agent.api("kv", "put", "cli", "watched", "--assign", "v=two").code());
        AgentInNamespace.Result watched = watch.get(10, TimeUnit.SECONDS);
        assertEquals(0, watched.code(), watched.toString());
        List<String> values = watched.outLines().stream()
                .map(line -> read(line).path("value").path("v").path("value").asText()).toList();
        assertEquals(List.of("one", "two"), values, watched.toString());
    }

    @Test
    void dnsQueryAsksSpartanForAVipName() throws Exception {
        assertEquals(0, agent.api("vip", "add", "/search:9200", "--backend", "10.9.0.8:9200").code());
        Map<String, List<String>> answer = eventually(() -> {
            AgentInNamespace.Result query = agent.navstar("dns", "query", "search.marathon.l4lb.thisdcos.directory",
                    "--server", AgentInNamespace.DNS);
            return query.code() == 0 ? Tables.parse(query.outLines()).getFirst() : null;
        });
        assertEquals("A", cell(answer, "TYPE"));
        assertTrue(cell(answer, "DATA").startsWith("11."), answer.toString());

        JsonNode srv = json(agent.navstar("dns", "query", "_search._tcp.marathon.l4lb.thisdcos.directory", "--type",
                "SRV", "--server", AgentInNamespace.DNS, "-o", "json"));
        assertEquals("NOERROR", srv.path("rcode").asText());
        assertEquals("0 0 9200 search.marathon.l4lb.thisdcos.directory.", srv.path("answers").get(0).path("data").asText());

        AgentInNamespace.Result missing = agent.navstar("dns", "query", "nothing.thisdcos.directory", "--server",
                AgentInNamespace.DNS);
        assertEquals(1, missing.code(), missing.toString());
        assertEquals(List.of("navstar dns query: nothing.thisdcos.directory A: NXDOMAIN from " + AgentInNamespace.DNS),
                missing.errLines());
        assertEquals(0, agent.api("vip", "rm", "/search:9200", "--backend", "10.9.0.8:9200").code());
    }

    @Test
    void bpfMapsSummarisesEveryPinnedMapWithItsMemory() {
        AgentInNamespace.Result maps = agent.navstar("bpf", "maps", "--pin-dir", agent.pins().toString());
        assertEquals(0, maps.code(), maps.toString());
        List<Map<String, List<String>>> summary = Tables.parse(maps.outLines());
        List<String> names = summary.stream().map(r -> cell(r, "MAP")).toList();
        assertTrue(names.containsAll(List.of("lb_vips", "lb_backends", "lb_flow_buckets", "lb_maglev_tables", "lb_config", "lb_events")),
                names.toString());
        Map<String, List<String>> config = summary.get(names.indexOf("lb_config"));
        assertEquals(List.of("array", "1", "1"), List.of(cell(config, "TYPE"), cell(config, "ENTRIES"),
                cell(config, "MAX ENTRIES")));
        assertTrue(cell(config, "MEMORY").endsWith(" B"), config.toString()); // the kernel's figure, not an estimate
        assertEquals(cell(config, "MAX ENTRIES"), cell(config, "CAPACITY"));
        // the connection table counts flows: its capacity is its buckets' ways, not the kernel's entries (buckets)
        Map<String, List<String>> flows = summary.get(names.indexOf("lb_flow_buckets"));
        assertEquals(Long.parseLong(cell(flows, "MAX ENTRIES")) * LbFlowBucket.WAYS, Long.parseLong(cell(flows, "CAPACITY")),
                flows.toString());
        assertTrue(maps.out().contains("\nlb_config\nTCP_TIMEOUT_S  TCP_CLOSING_S"), maps.out());
    }

    @Test
    void anAgentThatCannotBeReachedIsOneLineExitOne() {
        AgentInNamespace.Result result = agent.navstar("vip", "ls", "--api", "http://127.0.0.1:1");
        assertEquals(1, result.code(), result.toString());
        assertEquals(1, result.errLines().size(), result.toString());
        assertTrue(result.err().startsWith("navstar vip ls: cannot reach the agent at http://127.0.0.1:1"), result.toString());
    }

    @Test
    void theApiClientsThreadsLiveInTheNamespaceOfTheThreadThatMadeIt() throws Exception {
        String agentNamespace = "net:[" + Files.getAttribute(Path.of("/run/netns", agent.namespaceName()), "unix:ino") + "]";
        // other tests' HTTP clients (made in the root namespace) may still run in this JVM: only this client's count
        java.util.Set<String> before = threadsNamed("HttpClient-").keySet();
        List<String> namespaces = agent.run(() -> {
            try (ApiClient client = new ApiClient(java.net.URI.create(AgentInNamespace.API))) {
                client.get("/v1/version");
                Map<String, String> now = new java.util.HashMap<>(threadsNamed("HttpClient-"));
                now.keySet().removeAll(before);
                return List.copyOf(now.values());
            }
        });
        assertFalse(namespaces.isEmpty(), "the client's selector thread is running");
        assertEquals(List.of(agentNamespace), namespaces.stream().distinct().toList());
        assertFalse(Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString().equals(agentNamespace));
    }

    /**
     * This process's threads whose names start with {@code prefix} (15 characters kept), by thread id, to their
     * network namespace.
     */
    private static Map<String, String> threadsNamed(String prefix) throws IOException {
        Map<String, String> namespaces = new java.util.HashMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (Files.readString(task.resolve("comm")).strip().startsWith(prefix)) {
                        namespaces.put(task.getFileName().toString(),
                                Files.readSymbolicLink(task.resolve("ns/net")).toString());
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // the thread ended between the listing and the read: it is none of the threads asked about
                }
            }
        }
        return namespaces;
    }

    @Test
    void theAgentLogsAtTheLevelItsOptionSet() {
        // the default level (info) logs a line per attachment and "ready"; --log-level warn none of them
        String log = agent.log();
        assertFalse(log.contains(" INFO "), log);
    }

    private static JsonNode json(AgentInNamespace.Result result) {
        assertEquals(0, result.code(), result.toString());
        return read(result.out());
    }

    private static JsonNode read(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    /** The first non-null answer of {@code probe} within {@link #EVENTUALLY} (the agent publishes asynchronously). */
    private static <T> T eventually(Supplier<T> probe) throws InterruptedException {
        long deadline = System.nanoTime() + EVENTUALLY.toNanos();
        List<Throwable> failures = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            try {
                T value = probe.get();
                if (value != null) {
                    return value;
                }
            } catch (RuntimeException | AssertionError e) {
                failures.add(e);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("not within " + EVENTUALLY + (failures.isEmpty() ? "" : ": " + failures.getLast()));
    }
}
