package io.navstar.dns.zone;

/**
 * All records of one owner name in a {@link ZoneSnapshot}, grouped into RRsets by type. A node
 * without RRsets is an empty non-terminal (RFC 8020 §2: its existence makes the answer NODATA, not
 * NXDOMAIN). Immutable.
 */
public final class NameNode {
    private static final RecordData[] EMPTY = new RecordData[0];

    final byte[] name;
    final int hash;
    final Zone zone;
    private final int[] types;
    private final RecordData[][] sets;

    NameNode(byte[] name, int hash, Zone zone, int[] types, RecordData[][] sets) {
        this.name = name;
        this.hash = hash;
        this.zone = zone;
        this.types = types;
        this.sets = sets;
    }

    /** The RRset of {@code type}, an empty array when there is none. */
    public RecordData[] rrset(int type) {
        for (int i = 0; i < types.length; i++) {
            if (types[i] == type) {
                return sets[i];
            }
        }
        return EMPTY;
    }

    /** Number of RRsets (types) at this name. */
    public int typeCount() {
        return types.length;
    }

    /** The {@code index}-th RRset, for ANY queries. */
    public RecordData[] rrsetAt(int index) {
        return sets[index];
    }

    public Zone zone() {
        return zone;
    }

    /** Owner name, lowercase wire form. */
    public byte[] name() {
        return name;
    }
}
