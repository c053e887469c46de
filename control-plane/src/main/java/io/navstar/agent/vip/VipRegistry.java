package io.navstar.agent.vip;

import io.navstar.gossip.NodeId;
import io.navstar.gossip.kv.KvKey;
import io.navstar.gossip.kv.crdt.Crdt;
import io.navstar.gossip.kv.crdt.CrdtType;
import io.navstar.gossip.kv.crdt.Field;
import io.navstar.gossip.kv.crdt.Op;
import io.navstar.gossip.kv.crdt.OrMap;
import io.navstar.gossip.kv.crdt.OrSwot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The typed view of the KV key {@code [minuteman, vips]}: an OR-map whose fields are VIPs ({@link Vip#field()})
 * and whose values are OR-sets of backends ({@link BackendEntry#element()}). {@link #read} turns a value into
 * VIPs and backends, skipping (and logging once per distinct entry) anything it cannot parse, so one bad
 * writer cannot stop every node from compiling; the {@code *Ops} methods build the operations a node sends to
 * change its own entries. Stateless and thread-safe.
 */
public final class VipRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(VipRegistry.class);
    /** Where the VIPs live, as in dcos-net. */
    public static final KvKey KEY = KvKey.of("minuteman", "vips");

    private VipRegistry() {
    }

    /** Every VIP in {@code value} with its backends, both sorted. An absent key reads as empty. */
    public static NavigableMap<Vip, Set<BackendEntry>> read(OrMap value) {
        NavigableMap<Vip, Set<BackendEntry>> vips = new TreeMap<>();
        if (value == null) {
            return vips;
        }
        for (Map.Entry<Field, Crdt<?>> field : value.fields().entrySet()) {
            if (field.getKey().type() != CrdtType.ORSWOT) {
                warnOnce("field " + field.getKey().name() + " is a " + field.getKey().type() + ", not an OR-set");
                continue;
            }
            Vip vip;
            try {
                vip = Vip.parseField(field.getKey().name());
            } catch (IllegalArgumentException e) {
                warnOnce("VIP field '" + field.getKey().name() + "' skipped: " + e.getMessage());
                continue;
            }
            TreeSet<BackendEntry> backends = new TreeSet<>();
            for (String element : ((OrSwot) field.getValue()).elements()) {
                try {
                    backends.add(BackendEntry.parse(element));
                } catch (IllegalArgumentException e) {
                    warnOnce("backend '" + element + "' of " + vip + " skipped: " + e.getMessage());
                }
            }
            if (!backends.isEmpty()) {
                vips.put(vip, Collections.unmodifiableSet(backends));
            }
        }
        return vips;
    }

    /**
     * The operations that make {@code node}'s backends in {@code current} equal {@code wanted}: adds for what is
     * new, removes for what went (a weight change is a remove and an add), and the removal of each VIP field that
     * is left without any backend, so state does not grow without bound. Other nodes' entries are never touched.
     */
    public static List<Op> syncOps(NavigableMap<Vip, Set<BackendEntry>> current, NodeId node,
                                   Map<Vip, Set<BackendEntry>> wanted) {
        List<Op> ops = new ArrayList<>();
        Set<Vip> vips = new TreeSet<>(current.keySet());
        vips.addAll(wanted.keySet());
        for (Vip vip : vips) {
            Set<BackendEntry> have = current.getOrDefault(vip, Set.of());
            Set<BackendEntry> want = wanted.getOrDefault(vip, Set.of());
            int others = 0;
            List<Op> changes = new ArrayList<>();
            for (BackendEntry entry : have) {
                if (!entry.node().equals(node)) {
                    others++;
                } else if (!want.contains(entry)) {
                    changes.add(new Op.Remove(entry.element()));
                }
            }
            for (BackendEntry entry : want) {
                if (!entry.node().equals(node)) {
                    throw new IllegalArgumentException(entry + " is not " + node + "'s to publish");
                }
                if (!have.contains(entry)) {
                    changes.add(new Op.Add(entry.element()));
                }
            }
            if (others == 0 && want.isEmpty() && !have.isEmpty()) {
                ops.add(new Op.RemoveField(field(vip)));
            } else {
                for (Op change : changes) {
                    ops.add(new Op.Update(field(vip), change));
                }
            }
        }
        return ops;
    }

    /**
     * The operations that remove every backend {@code gone} published, for a node that membership pruned (gone
     * for good); any agent may send them, and a VIP left without backends goes too.
     */
    public static List<Op> removeNodeOps(NavigableMap<Vip, Set<BackendEntry>> current, NodeId gone) {
        List<Op> ops = new ArrayList<>();
        for (Map.Entry<Vip, Set<BackendEntry>> vip : current.entrySet()) {
            List<Op> removes = new ArrayList<>();
            int remaining = 0;
            for (BackendEntry entry : vip.getValue()) {
                if (entry.node().equals(gone)) {
                    removes.add(new Op.Update(field(vip.getKey()), new Op.Remove(entry.element())));
                } else {
                    remaining++;
                }
            }
            if (!removes.isEmpty()) {
                if (remaining == 0) {
                    ops.add(new Op.RemoveField(field(vip.getKey())));
                } else {
                    ops.addAll(removes);
                }
            }
        }
        return ops;
    }

    private static Field field(Vip vip) {
        return Field.of(vip.field(), CrdtType.ORSWOT);
    }

    private static final Set<String> WARNED = Collections.synchronizedSet(new java.util.HashSet<>());

    private static void warnOnce(String message) {
        if (WARNED.size() < 1024 && WARNED.add(message)) {
            LOG.warn("{}: {}", KEY, message);
        }
    }
}
