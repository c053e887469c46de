package io.navstar.agent.torture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.navstar.agent.config.Cidr;
import io.navstar.agent.lb.model.BackendSpec;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.VipKey;
import io.navstar.agent.lb.model.VipSpec;
import io.navstar.agent.torture.FaultSchedule.Fault;
import io.navstar.agent.torture.FaultSchedule.Kind;
import io.navstar.agent.vip.BackendEntry;
import io.navstar.agent.vip.Vip;
import io.navstar.agent.vip.VipCompiler;
import io.navstar.dns.server.DnsConfig;
import io.navstar.gossip.NodeId;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The torture suite's invariants as pure functions of what was read from the agents, their kernels and the fault
 * schedule: each returns the violations it finds, one sentence each naming the node, VIP or write concerned, and an
 * empty list when the property holds. Kept apart from the run so that each check can be shown to fail on crafted
 * input that breaks its property ({@code InvariantChecksTest}). Stateless and thread-safe.
 */
final class InvariantChecks {
    /** The agent's defaults (AgentConfig): named VIPs in 11.0.0.0/8 and fd01:c::/64, names under thisdcos.directory. */
    static final VipCompiler COMPILER = new VipCompiler(Cidr.parse("11.0.0.0/8"), Cidr.parse("fd01:c::/64"),
            DnsConfig.DEFAULT_DOMAIN);

    private InvariantChecks() {
    }

    /**
     * One component: every node's {@code /v1/members} lists every expected node as reachable, and the active views
     * it shows join them all into one graph.
     *
     * @param membersByNode each node's {@code /v1/members} body
     * @param expected      every node's id ({@code 10.77.0.1:62501})
     */
    static List<String> oneComponent(Map<Integer, JsonNode> membersByNode, Set<String> expected) {
        List<String> violations = new ArrayList<>();
        for (Map.Entry<Integer, JsonNode> e : new TreeMap<>(membersByNode).entrySet()) {
            String node = "n" + e.getKey();
            Map<String, Set<String>> edges = new HashMap<>();
            Set<String> reachable = new TreeSet<>();
            for (JsonNode member : e.getValue()) {
                String id = member.path("node").asText();
                if (member.path("reachable").asBoolean(false)) {
                    reachable.add(id);
                }
                for (JsonNode neighbour : member.path("active_view")) {
                    edges.computeIfAbsent(id, k -> new HashSet<>()).add(neighbour.asText());
                    edges.computeIfAbsent(neighbour.asText(), k -> new HashSet<>()).add(id);
                }
            }
            Set<String> unreachable = new TreeSet<>(expected);
            unreachable.removeAll(reachable);
            if (!unreachable.isEmpty()) {
                violations.add(node + " does not reach " + unreachable);
            }
            List<Set<String>> components = components(expected, edges);
            if (components.size() > 1) {
                violations.add(node + "'s active views split the cluster into " + components.size() + " components: "
                        + components);
            }
        }
        return violations;
    }

    private static List<Set<String>> components(Set<String> nodes, Map<String, Set<String>> edges) {
        List<Set<String>> components = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String start : new TreeSet<>(nodes)) {
            if (!seen.add(start)) {
                continue;
            }
            Set<String> component = new TreeSet<>();
            Deque<String> queue = new ArrayDeque<>(List.of(start));
            while (!queue.isEmpty()) {
                String node = queue.poll();
                component.add(node);
                for (String next : edges.getOrDefault(node, Set.of())) {
                    if (nodes.contains(next) && seen.add(next)) {
                        queue.add(next);
                    }
                }
            }
            components.add(component);
        }
        return components;
    }

    /**
     * Identical state: every node returned the same {@code what} (a {@code /lashup/kv} body), compared with sets in
     * any order; a violation lists the groups of nodes that agree.
     */
    static List<String> identical(String what, Map<Integer, JsonNode> valueByNode) {
        Map<JsonNode, List<Integer>> groups = new LinkedHashMap<>();
        for (Map.Entry<Integer, JsonNode> e : new TreeMap<>(valueByNode).entrySet()) {
            groups.computeIfAbsent(canonical(e.getValue()), k -> new ArrayList<>()).add(e.getKey());
        }
        if (groups.size() <= 1) {
            return List.of();
        }
        StringBuilder text = new StringBuilder(what + " differs between nodes:");
        for (Map.Entry<JsonNode, List<Integer>> group : groups.entrySet()) {
            text.append("\n  ").append(group.getValue().stream().map(n -> "n" + n).toList()).append(": ")
                    .append(group.getKey());
        }
        return List.of(text.toString());
    }

    /** The value with object fields sorted and arrays of scalars sorted (an OR-set's elements have no order). */
    static JsonNode canonical(JsonNode value) {
        if (value.isObject()) {
            Map<String, JsonNode> fields = new TreeMap<>();
            value.properties().forEach(p -> fields.put(p.getKey(), canonical(p.getValue())));
            ObjectNode sorted = JsonNodeFactory.instance.objectNode();
            fields.forEach(sorted::set);
            return sorted;
        }
        if (value.isArray()) {
            List<JsonNode> items = new ArrayList<>();
            value.forEach(item -> items.add(canonical(item)));
            if (items.stream().allMatch(JsonNode::isValueNode)) {
                items.sort((a, b) -> a.asText().compareTo(b.asText()));
            }
            ArrayNode array = JsonNodeFactory.instance.arrayNode();
            items.forEach(array::add);
            return array;
        }
        return value;
    }

    /** The VIP registry in a {@code /lashup/kv/minuteman/vips} body: field -> OR-set of {@code node|ip:port|weight}. */
    static NavigableMap<Vip, Set<BackendEntry>> registry(JsonNode kvVips) {
        NavigableMap<Vip, Set<BackendEntry>> registry = new TreeMap<>();
        kvVips.properties().forEach(field -> {
            Set<BackendEntry> entries = new TreeSet<>();
            for (JsonNode element : field.getValue().path("value")) {
                entries.add(BackendEntry.parse(element.asText()));
            }
            if (!entries.isEmpty()) {
                registry.put(Vip.parseField(field.getKey()), entries);
            }
        });
        return registry;
    }

    /** The ids of the members a {@code /v1/members} body calls reachable. */
    static Set<String> reachable(JsonNode members) {
        Set<String> reachable = new TreeSet<>();
        for (JsonNode member : members) {
            if (member.path("reachable").asBoolean(false)) {
                reachable.add(member.path("node").asText());
            }
        }
        return reachable;
    }

    /**
     * What a node's kernel must hold for its KV state and membership: every VIP the agent's compiler makes of them,
     * with the backends that take new flows (weight above 0, on a reachable node unless none is).
     */
    static Map<VipKey, Set<Endpoint>> expectedKernel(JsonNode kvVips, JsonNode members) {
        return expectedKernel(kvVips, members, Set.of());
    }

    /**
     * As {@link #expectedKernel(JsonNode, JsonNode)}, less the backends the node's passive health rule skips (tc and
     * xdp modes): the Reconciler gives them no Maglev cells, and a VIP whose backends are all skipped an empty table.
     */
    static Map<VipKey, Set<Endpoint>> expectedKernel(JsonNode kvVips, JsonNode members, Set<Endpoint> skipped) {
        Set<String> reachable = reachable(members);
        VipCompiler.Compiled compiled = COMPILER.compile(registry(kvVips), node -> reachable.contains(node.toString()));
        Map<VipKey, Set<Endpoint>> expected = new TreeMap<>();
        for (VipSpec spec : compiled.desired().vips().values()) {
            Set<Endpoint> backends = new TreeSet<>();
            for (BackendSpec backend : spec.backends()) {
                if (backend.weight() > 0 && !skipped.contains(backend.endpoint())) {
                    backends.add(backend.endpoint());
                }
            }
            expected.put(spec.key(), backends);
        }
        return expected;
    }

    private static final Pattern HEALTH_SKIPPED =
            Pattern.compile("^navstar_lb_backend_health_skipped\\{backend=\"([^\"]+)\"} (\\S+)$", Pattern.MULTILINE);

    /**
     * The backends a node's passive health rule skips now, from its {@code /metrics} text: each
     * {@code navstar_lb_backend_health_skipped} sample at 1 (docs/metrics.md). Sock mode has none.
     */
    static Set<Endpoint> healthSkipped(String metrics) {
        Set<Endpoint> skipped = new TreeSet<>();
        Matcher sample = HEALTH_SKIPPED.matcher(metrics);
        while (sample.find()) {
            if (Double.parseDouble(sample.group(2)) > 0) {
                skipped.add(Endpoint.parse(sample.group(1)));
            }
        }
        return skipped;
    }

    /** The kernel holds exactly the expected VIPs, each with exactly the expected backends in its Maglev table. */
    static List<String> kernelMatches(String node, Map<VipKey, Set<Endpoint>> expected, Map<VipKey, Set<Endpoint>> kernel) {
        List<String> violations = new ArrayList<>();
        Set<VipKey> keys = new TreeSet<>(expected.keySet());
        keys.addAll(kernel.keySet());
        for (VipKey key : keys) {
            Set<Endpoint> want = expected.get(key);
            Set<Endpoint> have = kernel.get(key);
            if (want == null) {
                violations.add(node + "'s kernel holds VIP " + key + " (backends " + have + ") that its KV state does not");
            } else if (have == null) {
                violations.add(node + "'s kernel lacks VIP " + key + " (backends " + want + ")");
            } else if (!want.equals(have)) {
                violations.add(node + "'s kernel table of " + key + " holds " + have + ", its KV state compiles to " + want);
            }
        }
        return violations;
    }

    /**
     * The DNS names every node must answer, from the agreed KV state: each named VIP's name and its address.
     */
    static Map<String, Set<String>> expectedNames(JsonNode kvVips) {
        Map<String, Set<String>> names = new TreeMap<>();
        for (VipCompiler.CompiledVip vip : COMPILER.compile(registry(kvVips), node -> true).vips()) {
            if (vip.dnsName() != null && vip.key().endpoint().ipv4()) {
                names.computeIfAbsent(vip.dnsName(), k -> new TreeSet<>())
                        .add(vip.key().endpoint().address().getHostAddress());
            }
        }
        return names;
    }

    /**
     * Every node's DNS answers every name with the same addresses, and those are the addresses the KV state gives
     * (an absent name is an empty set).
     *
     * @param answersByNode node -> name -> the A records its Spartan answered
     */
    static List<String> dnsAgrees(Map<String, Set<String>> expected, Map<Integer, Map<String, Set<String>>> answersByNode) {
        List<String> violations = new ArrayList<>();
        for (String name : expected.keySet()) {
            Map<Set<String>, List<Integer>> answers = new LinkedHashMap<>();
            for (Map.Entry<Integer, Map<String, Set<String>>> e : new TreeMap<>(answersByNode).entrySet()) {
                answers.computeIfAbsent(e.getValue().getOrDefault(name, Set.of()), k -> new ArrayList<>()).add(e.getKey());
            }
            if (answers.size() > 1) {
                violations.add(name + " is answered differently: " + answers);
            } else if (!answers.isEmpty() && !answers.keySet().iterator().next().equals(expected.get(name))) {
                violations.add(name + " is answered " + answers.keySet().iterator().next() + " by every node, the KV state"
                        + " gives " + expected.get(name));
            }
        }
        return violations;
    }

    /**
     * No acknowledged write lost: the set every node holds contains every acknowledged element and nothing that was
     * never attempted, and its counter is at least the number of acknowledged increments and at most the number
     * attempted.
     *
     * @param setByNode     node -> the elements of the written OR-set it holds
     * @param counterByNode node -> the written PN-counter's value it holds
     */
    static List<String> acknowledgedWritesKept(Set<String> acknowledged, Set<String> attempted,
                                               Map<Integer, Set<String>> setByNode, Map<Integer, Long> counterByNode) {
        List<String> violations = new ArrayList<>();
        for (Map.Entry<Integer, Set<String>> e : new TreeMap<>(setByNode).entrySet()) {
            Set<String> lost = new TreeSet<>(acknowledged);
            lost.removeAll(e.getValue());
            if (!lost.isEmpty()) {
                violations.add("n" + e.getKey() + " lost " + lost.size() + " acknowledged write(s): " + first(lost));
            }
            Set<String> invented = new TreeSet<>(e.getValue());
            invented.removeAll(attempted);
            if (!invented.isEmpty()) {
                violations.add("n" + e.getKey() + " holds element(s) never written: " + first(invented));
            }
        }
        for (Map.Entry<Integer, Long> e : new TreeMap<>(counterByNode).entrySet()) {
            if (e.getValue() < acknowledged.size() || e.getValue() > attempted.size()) {
                violations.add("n" + e.getKey() + "'s counter is " + e.getValue() + ", expected " + acknowledged.size()
                        + " (acknowledged) to " + attempted.size() + " (attempted)");
            }
        }
        return violations;
    }

    private static String first(Set<String> items) {
        Iterator<String> it = items.iterator();
        List<String> shown = new ArrayList<>();
        while (it.hasNext() && shown.size() < 10) {
            shown.add(it.next());
        }
        return shown + (items.size() > shown.size() ? " ..." : "");
    }

    /**
     * No agent's memory grows without bound: in each process's series of resident-set samples (at least nine), the
     * largest of the last third is at most {@code ratio} times the largest of the first third plus {@code slackKib}.
     *
     * @param rssKibByProcess process name (node and pid) -> VmRSS samples in KiB, in order
     */
    static List<String> memoryLevelsOff(Map<String, List<Long>> rssKibByProcess, double ratio, long slackKib) {
        List<String> violations = new ArrayList<>();
        for (Map.Entry<String, List<Long>> e : new TreeMap<>(rssKibByProcess).entrySet()) {
            List<Long> samples = e.getValue();
            if (samples.size() < 9) {
                continue;
            }
            int third = samples.size() / 3;
            long firstMax = samples.subList(0, third).stream().mapToLong(Long::longValue).max().orElseThrow();
            long lastMax = samples.subList(samples.size() - third, samples.size()).stream().mapToLong(Long::longValue)
                    .max().orElseThrow();
            if (lastMax > firstMax * ratio + slackKib) {
                violations.add(e.getKey() + "'s resident memory grew from at most " + firstMax + " KiB in the first third"
                        + " of its " + samples.size() + " samples to " + lastMax + " KiB in the last");
            }
        }
        return violations;
    }

    /** One connection a client made to a VIP: when it started, whether it failed, what came back. */
    record Connection(int clientNode, String vip, long atMillis, boolean failed, String text) {
    }

    /**
     * What became of the connections: every failure is excused as in flight at a kill (the client's agent or an
     * agent serving the VIP was killed while it ran: within a second before it started and its end, the timeout for
     * one that timed out, a second for one refused at once), as having no backend to go to (none registered, listening and
     * on the client's side of the partition when it started), or as settling (within {@code graceMillis} after a
     * change that concerns the VIP from this client: a backend registered, removed, stopped or started, a
     * partition that cut or joined the client and a backend's node, or joined the client with a node that was on a
     * backend's side until then, such an agent restarted); any other failure
     * is a violation.
     */
    record ConnectionReport(int total, int failed, int inFlightAtKill, int noBackend, int settling,
                            List<String> violations, List<String> excused) {
        String summary() {
            return total + " connections, " + failed + " failed: " + inFlightAtKill + " in flight at a kill, " + noBackend
                    + " with no backend reachable and healthy, " + settling + " while the cluster settled after a change, "
                    + violations.size() + " unexcused";
        }
    }

    static ConnectionReport connections(List<Connection> connections, List<Fault> faults, long timeoutMillis,
                                        long graceMillis) {
        World world = new World(faults);
        int failed = 0;
        int inFlight = 0;
        int noBackend = 0;
        int settling = 0;
        List<String> violations = new ArrayList<>();
        List<String> excused = new ArrayList<>();
        for (Connection c : connections) {
            if (!c.failed()) {
                continue;
            }
            failed++;
            long t = c.atMillis();
            String what = String.format(java.util.Locale.ROOT, "%9.3f n%d %s %s", (t - world.start) / 1000.0,
                    c.clientNode(), c.vip(), c.text());
            // a refused or unreachable connection failed at once; one that timed out ran for the whole timeout
            String text = c.text().toLowerCase(java.util.Locale.ROOT);
            long ran = text.contains("timed out") || text.contains("timeout") ? timeoutMillis : 1000;
            if (world.killed(c, t - 1000, t + ran)) {
                inFlight++;
                excused.add(what + ": in flight at a kill");
            } else if (world.available(c.vip(), c.clientNode(), t).isEmpty()) {
                noBackend++;
                excused.add(what + ": no backend reachable and healthy");
            } else if (world.changed(c, t - graceMillis, t + timeoutMillis)) {
                settling++;
                excused.add(what + ": settling");
            } else {
                violations.add("a connection from n" + c.clientNode() + " to " + c.vip() + " at "
                        + (t - world.start) / 1000.0 + " s failed (" + c.text() + ") while " + world.available(c.vip(),
                        c.clientNode(), t) + " were reachable and healthy and nothing had changed for " + graceMillis + " ms");
            }
        }
        return new ConnectionReport(connections.size(), failed, inFlight, noBackend, settling, violations, excused);
    }

    /** The world that {@link FaultSchedule} describes, at any moment: partitions, registrations, listening backends. */
    private static final class World {
        private final List<Fault> faults;
        private final long start;

        World(List<Fault> faults) {
            this.faults = faults;
            this.start = faults.isEmpty() ? 0 : faults.getFirst().atMillis();
        }

        /** The group index of each node at time t; nodes in no group of a partition are each alone. */
        Map<Integer, Integer> groups(long t) {
            Map<Integer, Integer> groups = new HashMap<>();
            for (Fault f : faults) {
                if (f.atMillis() > t) {
                    break;
                }
                if (f.kind() == Kind.PARTITION) {
                    groups.clear();
                    for (int g = 0; g < f.groups().size(); g++) {
                        for (int node : f.groups().get(g)) {
                            groups.put(node, g);
                        }
                    }
                } else if (f.kind() == Kind.HEAL) {
                    groups.clear();
                }
            }
            return groups;
        }

        /**
         * Whether a node the client is joined with by this change was, until it, on the side of {@code node}, which
         * the change leaves out of the client's reach. Its membership rows still name its edges to that side until
         * its failure detection cuts them, so the client, whose reachability is a walk over the rows it gossips, may
         * count that side as reachable for as long.
         */
        boolean heardOfThroughANewPeer(Map<Integer, Integer> before, Map<Integer, Integer> after, int client,
                                       int node) {
            if (together(after, client, node)) {
                return false;
            }
            // a partition names every node it joins with another, so the peers to look at are the keys of after
            for (int peer : after.keySet()) {
                if (peer != client && together(after, client, peer) && !together(before, client, peer)
                        && together(before, peer, node)) {
                    return true;
                }
            }
            return false;
        }

        boolean together(Map<Integer, Integer> groups, int a, int b) {
            if (groups.isEmpty() || a == b) {
                return true;
            }
            Integer ga = groups.get(a);
            return ga != null && ga.equals(groups.get(b));
        }

        /** The nodes whose backend is registered in vip at t. */
        Set<Integer> registered(String vip, long t) {
            Set<Integer> nodes = new TreeSet<>();
            for (Fault f : faults) {
                if (f.atMillis() > t) {
                    break;
                }
                if (Objects.equals(f.vip(), vip)) {
                    if (f.kind() == Kind.REGISTER) {
                        nodes.add(f.node());
                    } else if (f.kind() == Kind.UNREGISTER) {
                        nodes.remove(f.node());
                    }
                }
            }
            return nodes;
        }

        boolean listening(int node, long t) {
            boolean listening = true;
            for (Fault f : faults) {
                if (f.atMillis() > t) {
                    break;
                }
                if (f.node() == node && f.kind() == Kind.STOP_LISTENING) {
                    listening = false;
                } else if (f.node() == node && f.kind() == Kind.START_LISTENING) {
                    listening = true;
                }
            }
            return listening;
        }

        /** The nodes with a backend of vip registered, listening and on the client's side at t. */
        Set<Integer> available(String vip, int client, long t) {
            Map<Integer, Integer> groups = groups(t);
            Set<Integer> available = new TreeSet<>();
            for (int node : registered(vip, t)) {
                if (listening(node, t) && together(groups, client, node)) {
                    available.add(node);
                }
            }
            return available;
        }

        /** Nodes concerned by a connection around [from, to]: the client and every node registered in its VIP. */
        Set<Integer> concerned(Connection c, long from, long to) {
            Set<Integer> nodes = new TreeSet<>(registered(c.vip(), from));
            nodes.addAll(registered(c.vip(), to));
            nodes.add(c.clientNode());
            return nodes;
        }

        boolean killed(Connection c, long from, long to) {
            Set<Integer> concerned = concerned(c, from, to);
            return faults.stream().anyMatch(f -> f.kind() == Kind.CRASH && f.atMillis() >= from && f.atMillis() <= to
                    && concerned.contains(f.node()));
        }

        boolean changed(Connection c, long from, long to) {
            Set<Integer> concerned = concerned(c, from, to);
            for (Fault f : faults) {
                if (f.atMillis() < from || f.atMillis() > to) {
                    continue;
                }
                switch (f.kind()) {
                    case REGISTER, UNREGISTER -> {
                        if (Objects.equals(f.vip(), c.vip())) {
                            return true;
                        }
                    }
                    case STOP_LISTENING, START_LISTENING, CRASH -> {
                        if (concerned.contains(f.node())) {
                            return true;
                        }
                    }
                    case PARTITION, HEAL -> {
                        Map<Integer, Integer> before = groups(f.atMillis() - 1);
                        Map<Integer, Integer> after = groups(f.atMillis());
                        for (int node : concerned) {
                            if (together(before, c.clientNode(), node) != together(after, c.clientNode(), node)
                                    || heardOfThroughANewPeer(before, after, c.clientNode(), node)) {
                                return true;
                            }
                        }
                    }
                    default -> {
                    }
                }
            }
            return false;
        }
    }
}
