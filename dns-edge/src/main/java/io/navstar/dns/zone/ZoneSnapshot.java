package io.navstar.dns.zone;

import io.navstar.dns.wire.DnsWire;
import io.navstar.dns.wire.Names;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An immutable set of local zones and their records, looked up by lowercase wire name without
 * allocating (open addressing over {@link Names#hash}). The control plane builds a new snapshot with
 * {@link #builder()} whenever cluster state changes and publishes it through {@link LocalZones};
 * readers on event loops see either the old or the new snapshot, never a mix.
 */
public final class ZoneSnapshot {
    private static final ZoneSnapshot EMPTY = builder().build();

    private final NameNode[] nodes;
    private final int nodeMask;
    private final Zone[] zoneTable;
    private final int zoneMask;
    private final List<Zone> zones;
    private final int recordCount;

    private ZoneSnapshot(NameNode[] nodes, Zone[] zoneTable, List<Zone> zones, int recordCount) {
        this.nodes = nodes;
        this.nodeMask = nodes.length - 1;
        this.zoneTable = zoneTable;
        this.zoneMask = zoneTable.length - 1;
        this.zones = zones;
        this.recordCount = recordCount;
    }

    /** A snapshot with no zones: every name is forwarded. */
    public static ZoneSnapshot empty() {
        return EMPTY;
    }

    public static Builder builder() {
        return new Builder();
    }

    public List<Zone> zones() {
        return zones;
    }

    public int recordCount() {
        return recordCount;
    }

    /**
     * The deepest local zone containing {@code name[0, length)} (lowercase wire form), or null when
     * the name is not under any local zone.
     */
    public Zone findZone(byte[] name, int length) {
        int label = 0;
        while (label < length) {
            int suffixLength = length - label;
            int hash = Names.hash(name, label, suffixLength);
            Zone z = zoneAt(hash, name, label, length);
            if (z != null) {
                return z;
            }
            if (name[label] == 0) {
                break;
            }
            label = Names.nextLabel(name, label);
        }
        return null;
    }

    /** The zone whose apex is the suffix of name from label, whose hash is given; null when none (linear probing). */
    private Zone zoneAt(int hash, byte[] name, int label, int length) {
        for (int i = hash & zoneMask; ; i = (i + 1) & zoneMask) {
            Zone z = zoneTable[i];
            if (z == null) {
                return null;
            }
            if (z.apexHash() == hash && java.util.Arrays.equals(z.apex(), 0, z.apex().length, name, label, length)) {
                return z;
            }
        }
    }

    /**
     * {@link #findZone(byte[], int)} with the suffix hashes already computed by
     * {@link Names#suffixHashes} (a decoded query has them): no hashing here.
     */
    public Zone findZone(byte[] name, int length, int[] labelStarts, int[] suffixHashes, int labelCount) {
        for (int k = 0; k <= labelCount; k++) {
            int label = k < labelCount ? labelStarts[k] : length - 1; // then the root suffix
            int hash = k < labelCount ? suffixHashes[k] : Names.hash(name, label, 1);
            Zone z = zoneAt(hash, name, label, length);
            if (z != null) {
                return z;
            }
        }
        return null;
    }

    /** The node of {@code name[0, length)} whose {@link Names#hash} is {@code hash}, or null. */
    public NameNode findNode(byte[] name, int length, int hash) {
        for (int i = hash & nodeMask; ; i = (i + 1) & nodeMask) {
            NameNode n = nodes[i];
            if (n == null) {
                return null;
            }
            if (n.hash == hash && java.util.Arrays.equals(n.name, 0, n.name.length, name, 0, length)) {
                return n;
            }
        }
    }

    /** Convenience for control paths and tests: the node of a text name, or null. */
    public NameNode findNode(String name) {
        byte[] wire = Names.toWire(name);
        return findNode(wire, wire.length, Names.hash(wire, 0, wire.length));
    }

    /**
     * The reverse-lookup name of an address (RFC 1035 §3.5 in-addr.arpa, RFC 3596 §2.5 ip6.arpa),
     * e.g. {@code 1.0.0.11.in-addr.arpa} for 11.0.0.1.
     */
    public static String reverseName(String address) {
        InetAddress ip = InetAddress.ofLiteral(address);
        byte[] b = ip.getAddress();
        StringBuilder sb = new StringBuilder();
        if (ip instanceof Inet4Address) {
            for (int i = 3; i >= 0; i--) {
                sb.append(b[i] & 0xFF).append('.');
            }
            return sb.append("in-addr.arpa").toString();
        }
        for (int i = 15; i >= 0; i--) {
            sb.append(Character.forDigit(b[i] & 0xF, 16)).append('.').append(Character.forDigit((b[i] >> 4) & 0xF, 16)).append('.');
        }
        return sb.append("ip6.arpa").toString();
    }

    /**
     * Collects zones and records for one snapshot. Not thread-safe; used by one control-plane thread.
     * Every record must lie under a declared zone ({@link IllegalArgumentException} otherwise), so a
     * typo in a name fails loudly instead of being silently forwarded.
     */
    public static final class Builder {
        /** Default TTL of the synthesized SOA and NS records and of negative answers (seconds). */
        public static final long DEFAULT_ZONE_TTL = 5;

        private final Map<String, RecordData> zoneSoa = new LinkedHashMap<>();
        private final Map<String, List<RecordData>> records = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * Declares a zone with a synthesized SOA ({@code ns.<zone>}, {@code hostmaster.<zone>}, 5 s TTL
         * and MINIMUM, as dcos-dns answered cluster names with short TTLs) and an NS record.
         */
        public Builder zone(String origin) {
            String o = normalize(origin);
            return zone(o, RecordData.soa("ns." + o, "hostmaster." + o, 1, 60, 60, 86400, DEFAULT_ZONE_TTL,
                    DEFAULT_ZONE_TTL), RecordData.ns("ns." + o, DEFAULT_ZONE_TTL));
        }

        /** Declares a zone with an explicit SOA and apex NS records. */
        public Builder zone(String origin, RecordData soa, RecordData... nameServers) {
            if (soa.type() != DnsWire.TYPE_SOA) {
                throw new IllegalArgumentException("zone " + origin + ": SOA expected, got type " + soa.type());
            }
            String o = normalize(origin);
            zoneSoa.put(o, soa);
            records.computeIfAbsent(o, k -> new ArrayList<>()).add(soa);
            for (RecordData ns : nameServers) {
                add(o, ns);
            }
            return this;
        }

        /** Adds one record at {@code name}. */
        public Builder add(String name, RecordData record) {
            records.computeIfAbsent(normalize(name), k -> new ArrayList<>()).add(record);
            return this;
        }

        /** A or AAAA for {@code address} at {@code name}. */
        public Builder address(String name, String address, long ttl) {
            return add(name, RecordData.address(address, ttl));
        }

        /** A or AAAA at {@code name} plus the PTR at the reverse name (whose zone must be declared). */
        public Builder addressWithPtr(String name, String address, long ttl) {
            address(name, address, ttl);
            return add(reverseName(address), RecordData.ptr(name, ttl));
        }

        public ZoneSnapshot build() {
            TreeMap<String, Zone> zoneByName = new TreeMap<>();
            List<Zone> zoneList = new ArrayList<>();
            for (Map.Entry<String, RecordData> e : zoneSoa.entrySet()) {
                Zone z = new Zone(e.getKey(), Names.toWire(e.getKey()), e.getValue());
                zoneByName.put(e.getKey(), z);
                zoneList.add(z);
            }
            Zone[] zoneTable = new Zone[tableSize(zoneList.size())];
            for (Zone z : zoneList) {
                int i = z.apexHash() & (zoneTable.length - 1);
                while (zoneTable[i] != null) {
                    i = (i + 1) & (zoneTable.length - 1);
                }
                zoneTable[i] = z;
            }
            // owner -> (type -> records), plus empty non-terminals up to each apex
            Map<String, Map<Integer, List<RecordData>>> byName = new LinkedHashMap<>();
            Map<String, Zone> owners = new LinkedHashMap<>();
            int count = 0;
            for (Map.Entry<String, List<RecordData>> e : records.entrySet()) {
                Zone z = deepestZone(zoneByName, e.getKey());
                if (z == null) {
                    throw new IllegalArgumentException("record name '" + e.getKey() + "' is not under any local zone "
                            + zoneByName.keySet());
                }
                Map<Integer, List<RecordData>> types = byName.computeIfAbsent(e.getKey(), k -> new LinkedHashMap<>());
                owners.put(e.getKey(), z);
                for (RecordData r : e.getValue()) {
                    types.computeIfAbsent(r.type(), k -> new ArrayList<>()).add(r);
                    count++;
                }
                String parent = e.getKey();
                while (!parent.equals(z.name()) && parent.indexOf('.') >= 0) {
                    parent = parent.substring(parent.indexOf('.') + 1);
                    byName.computeIfAbsent(parent, k -> new LinkedHashMap<>());
                    owners.putIfAbsent(parent, z);
                }
            }
            NameNode[] nodes = new NameNode[tableSize(byName.size())];
            for (Map.Entry<String, Map<Integer, List<RecordData>>> e : byName.entrySet()) {
                byte[] wire = Names.toWire(e.getKey());
                int hash = Names.hash(wire, 0, wire.length);
                int[] types = new int[e.getValue().size()];
                RecordData[][] sets = new RecordData[types.length][];
                int t = 0;
                for (Map.Entry<Integer, List<RecordData>> set : e.getValue().entrySet()) {
                    types[t] = set.getKey();
                    sets[t++] = set.getValue().toArray(new RecordData[0]);
                }
                int i = hash & (nodes.length - 1);
                while (nodes[i] != null) {
                    i = (i + 1) & (nodes.length - 1);
                }
                nodes[i] = new NameNode(wire, hash, owners.get(e.getKey()), types, sets);
            }
            return new ZoneSnapshot(nodes, zoneTable, List.copyOf(zoneList), count);
        }

        private static Zone deepestZone(TreeMap<String, Zone> zones, String name) {
            String n = name;
            while (true) {
                Zone z = zones.get(n);
                if (z != null) {
                    return z;
                }
                int dot = n.indexOf('.');
                if (dot < 0) {
                    return zones.get("");
                }
                n = n.substring(dot + 1);
            }
        }

        /** Load factor at most 1/2 so probes stay short. */
        private static int tableSize(int entries) {
            int size = 4;
            while (size < entries * 2) {
                size <<= 1;
            }
            return size;
        }

        private static String normalize(String name) {
            String n = name.toLowerCase(java.util.Locale.ROOT);
            if (n.endsWith(".")) {
                n = n.substring(0, n.length() - 1);
            }
            Names.toWire(n); // validates label and name lengths
            return n;
        }
    }
}
