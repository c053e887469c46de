package io.navstar.dns.wire;

import io.netty.buffer.ByteBuf;

import static io.navstar.dns.wire.DnsWire.*;

/**
 * Encodes one DNS message into a caller-supplied (pooled) {@link ByteBuf}, with name compression
 * (RFC 1035 §4.1.4): every label sequence written through {@link #writeName} is remembered by its
 * offset and hash, and later names end with a pointer to the longest suffix already present.
 * Offsets are relative to the message start, which may sit after a TCP length prefix.
 *
 * <p>Not thread-safe: one instance per event loop, reset by {@link #begin} for each message; it
 * allocates nothing after construction.
 */
public final class DnsWriter {
    /** Names remembered for compression per message; later names are written uncompressed. */
    private static final int MAX_COMPRESSION_ENTRIES = 64;
    /** Pointers carry 14 bits of offset. */
    private static final int MAX_POINTER_OFFSET = 0x3FFF;

    private final int[] entryOffset = new int[MAX_COMPRESSION_ENTRIES];
    private final int[] entryHash = new int[MAX_COMPRESSION_ENTRIES];
    private int entries;
    private ByteBuf buf;
    private int base;

    /** Starts a message at the current writer index of {@code out}. */
    public DnsWriter begin(ByteBuf out) {
        this.buf = out;
        this.base = out.writerIndex();
        this.entries = 0;
        return this;
    }

    public ByteBuf buffer() {
        return buf;
    }

    /** Absolute index where the message starts. */
    public int base() {
        return base;
    }

    /** Bytes written since {@link #begin}. */
    public int size() {
        return buf.writerIndex() - base;
    }

    /** Writes the 12-byte header (RFC 1035 §4.1.1). */
    public void header(int id, int flags, int qdCount, int anCount, int nsCount, int arCount) {
        buf.writeShort(id);
        buf.writeShort(flags);
        buf.writeShort(qdCount);
        buf.writeShort(anCount);
        buf.writeShort(nsCount);
        buf.writeShort(arCount);
    }

    /** Overwrites one of the header's 16-bit fields ({@link DnsWire#OFFSET_ANCOUNT} etc.). */
    public void setHeaderField(int offset, int value) {
        buf.setShort(base + offset, value);
    }

    public int headerField(int offset) {
        return buf.getUnsignedShort(base + offset);
    }

    /** Cuts the message back to {@code size} bytes (to drop records that did not fit). */
    public void truncateTo(int size) {
        buf.writerIndex(base + size);
    }

    /**
     * Writes the question: {@code original} name as the client sent it, registered for compression
     * under its lowercase form {@code lower}, then type and class.
     */
    public void question(byte[] original, byte[] lower, int nameLength, int qtype, int qclass) {
        int at = size();
        buf.writeBytes(original, 0, nameLength);
        register(at, lower, 0, nameLength);
        buf.writeShort(qtype);
        buf.writeShort(qclass);
    }

    /**
     * Writes wire name {@code name[0, length)}; with {@code compress} the longest suffix already in the
     * message becomes a pointer. Suffixes newly written are remembered either way, so later names
     * can point at them (RFC 2782 forbids compressing SRV targets but not pointing to them).
     */
    public void writeName(byte[] name, int length, boolean compress) {
        int label = 0;
        while (label < length - 1) {
            if (compress) {
                int target = find(name, label, length);
                if (target >= 0) {
                    buf.writeShort(0xC000 | target);
                    return;
                }
            }
            int at = size();
            int labelLength = name[label];
            buf.writeBytes(name, label, 1 + labelLength);
            remember(at, Names.hash(name, label, length - label));
            label += 1 + labelLength;
        }
        buf.writeByte(0);
    }

    /** A pointer to the name at message offset {@code target} (e.g. 12 for the question name). */
    public void writePointer(int target) {
        buf.writeShort(0xC000 | target);
    }

    /** Writes type, class and TTL of an RR and reserves RDLENGTH; returns the RDLENGTH index. */
    public int rrFixed(int type, int rrClass, long ttl) {
        buf.writeShort(type);
        buf.writeShort(rrClass);
        buf.writeInt((int) ttl);
        int at = buf.writerIndex();
        buf.writeShort(0);
        return at;
    }

    /** Fills the RDLENGTH reserved by {@link #rrFixed} with everything written since. */
    public void endRdata(int rdLengthIndex) {
        buf.setShort(rdLengthIndex, buf.writerIndex() - rdLengthIndex - 2);
    }

    /** Writes {@code bytes[0, length)} as they are (a name already in wire form, uncompressed, unremembered). */
    public void writeBytesRaw(byte[] bytes, int length) {
        buf.writeBytes(bytes, 0, length);
    }

    public void writeBytes(byte[] bytes) {
        buf.writeBytes(bytes);
    }

    /**
     * Writes an OPT pseudo-RR (RFC 6891 §6.1.2) advertising {@code payloadSize}, carrying the upper 8
     * bits of an extended rcode and the DO bit echoed (RFC 3225 §3).
     */
    public void opt(int payloadSize, int extendedRcode, boolean dnssecOk) {
        buf.writeByte(0);
        buf.writeShort(TYPE_OPT);
        buf.writeShort(payloadSize);
        buf.writeByte(extendedRcode >>> 4);
        buf.writeByte(0); // version 0
        buf.writeShort(dnssecOk ? 0x8000 : 0);
        buf.writeShort(0);
    }

    /**
     * {@link #question(byte[], byte[], int, int, int)} with the name's suffix hashes already computed
     * by {@link Names#suffixHashes} (a decoded query has them): no hashing here.
     */
    public void question(byte[] original, int nameLength, int qtype, int qclass, int[] labelStarts,
                         int[] suffixHashes, int labelCount) {
        int at = size();
        buf.writeBytes(original, 0, nameLength);
        for (int k = 0; k < labelCount; k++) {
            remember(at + labelStarts[k], suffixHashes[k]);
        }
        buf.writeShort(qtype);
        buf.writeShort(qclass);
    }

    private void register(int at, byte[] lower, int from, int length) {
        int label = from;
        int pos = at;
        while (label < length - 1) {
            remember(pos, Names.hash(lower, label, length - label));
            int step = 1 + lower[label];
            label += step;
            pos += step;
        }
    }

    private void remember(int offset, int hash) {
        if (entries < MAX_COMPRESSION_ENTRIES && offset <= MAX_POINTER_OFFSET) {
            entryOffset[entries] = offset;
            entryHash[entries] = hash;
            entries++;
        }
    }

    private int find(byte[] name, int from, int length) {
        int hash = Names.hash(name, from, length - from);
        for (int i = 0; i < entries; i++) {
            if (entryHash[i] == hash && Names.equalsAt(buf, base, entryOffset[i], name, from, length)) {
                return entryOffset[i];
            }
        }
        return -1;
    }
}
