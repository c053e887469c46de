package io.navstar.agent.vip;

import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.Protocol;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.kv.crdt.CrdtType;
import io.navstar.gossip.kv.crdt.Field;
import io.navstar.gossip.kv.crdt.MutationContext;
import io.navstar.gossip.kv.crdt.Op;
import io.navstar.gossip.kv.crdt.OrMap;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The registry's operations, applied to a real OR-map: what a node publishes is what every node reads back. */
class VipRegistryTest {
    private static final NodeId A = NodeId.parse("10.0.0.1:62501");
    private static final NodeId B = NodeId.parse("10.0.0.2:62501");
    private static final Vip WEB = Vip.named(Protocol.TCP, "web", "marathon", 80);
    private static final Vip DB = Vip.fromLabel("11.0.0.9:5432", Protocol.TCP, "marathon");

    private final Replica replica = new Replica();

    @Test
    void aNodePublishesChangesAndRemovesOnlyItsOwnBackends() {
        BackendEntry a1 = new BackendEntry(A, Endpoint.parse("10.0.1.2:8080"), 1);
        BackendEntry b1 = new BackendEntry(B, Endpoint.parse("10.0.2.2:8080"), 1);
        replica.apply(VipRegistry.syncOps(replica.read(), A, Map.of(WEB, Set.of(a1), DB, Set.of(
                new BackendEntry(A, Endpoint.parse("10.0.1.3:5432"), 1)))));
        replica.apply(VipRegistry.syncOps(replica.read(), B, Map.of(WEB, Set.of(b1))));
        assertEquals(Set.of(a1, b1), replica.read().get(WEB));

        BackendEntry drained = new BackendEntry(A, a1.endpoint(), 0);
        replica.apply(VipRegistry.syncOps(replica.read(), A, Map.of(WEB, Set.of(drained))));
        assertEquals(Set.of(drained, b1), replica.read().get(WEB), "a weight change replaces the entry");
        assertTrue(!replica.read().containsKey(DB), "a VIP left without backends is removed");
        assertEquals(List.of(), names(replica.value.fields().keySet().stream().filter(f -> f.name().contains("5432")).toList()));

        replica.apply(VipRegistry.syncOps(replica.read(), A, Map.of()));
        assertEquals(Set.of(b1), replica.read().get(WEB), "B's entry stays");
        assertEquals(List.of(), VipRegistry.syncOps(replica.read(), A, Map.of()), "nothing left to do");
    }

    @Test
    void anyNodeRemovesWhatAPrunedNodePublished() {
        BackendEntry a1 = new BackendEntry(A, Endpoint.parse("10.0.1.2:8080"), 1);
        BackendEntry b1 = new BackendEntry(B, Endpoint.parse("10.0.2.2:8080"), 1);
        replica.apply(VipRegistry.syncOps(replica.read(), A, Map.of(WEB, Set.of(a1))));
        replica.apply(VipRegistry.syncOps(replica.read(), B, Map.of(WEB, Set.of(b1), DB,
                Set.of(new BackendEntry(B, Endpoint.parse("10.0.2.3:5432"), 1)))));
        replica.apply(VipRegistry.removeNodeOps(replica.read(), B));
        assertEquals(Map.of(WEB, Set.of(a1)), replica.read());
    }

    @Test
    void aNodeCannotPublishAnotherNodesBackend() {
        assertThrows(IllegalArgumentException.class, () -> VipRegistry.syncOps(replica.read(), A,
                Map.of(WEB, Set.of(new BackendEntry(B, Endpoint.parse("10.0.2.2:8080"), 1)))));
    }

    @Test
    void entriesThatDoNotParseAreLeftOutNotFatal() {
        replica.apply(List.of(
                new Op.Update(Field.of("tcp:/web:80@marathon", CrdtType.ORSWOT), new Op.Add("garbage")),
                new Op.Update(Field.of("tcp:/web:80@marathon", CrdtType.ORSWOT), new Op.Add("10.0.0.1:62501|10.0.1.2:80|1")),
                new Op.Update(Field.of("sctp:1.2.3.4:80", CrdtType.ORSWOT), new Op.Add("10.0.0.1:62501|10.0.1.2:80|1")),
                new Op.Update(Field.of("tcp:/web:81@marathon", CrdtType.LWW_REGISTER), new Op.Assign(new byte[1]))));
        NavigableMap<Vip, Set<BackendEntry>> read = replica.read();
        assertEquals(1, read.size(), read.toString());
        assertEquals(1, read.get(WEB).size());
    }

    @Test
    void fieldsAndElementsReadBackAsWritten() {
        for (Vip vip : List.of(WEB, DB, Vip.fromLabel("/db/pg:5432", Protocol.UDP, "svc"),
                Vip.fromLabel("[fd01:c::7]:53", Protocol.UDP, "x"))) {
            assertEquals(vip, Vip.parseField(vip.field()), vip.field());
        }
        BackendEntry v6 = new BackendEntry(A, Endpoint.parse("[fd00::2]:8080"), 7);
        assertEquals(v6, BackendEntry.parse(v6.element()));
    }

    private static List<String> names(List<Field> fields) {
        return fields.stream().map(Field::name).toList();
    }

    /** One replica's value of the key, updated as the KV store would. */
    private static final class Replica {
        OrMap value = OrMap.empty();

        NavigableMap<Vip, Set<BackendEntry>> read() {
            return VipRegistry.read(value);
        }

        private long clock;

        void apply(List<Op> ops) {
            for (Op op : ops) {
                value = value.apply(op, new MutationContext("r", ++clock)).state();
            }
        }
    }
}
