package io.navstar.gossip.kv;

import io.navstar.gossip.kv.crdt.Crdt;
import io.navstar.gossip.kv.crdt.CrdtCodec;
import io.navstar.gossip.kv.crdt.OrMap;
import io.navstar.gossip.kv.crdt.VersionVector;
import io.navstar.gossip.kv.wire.CorruptDataException;
import io.navstar.gossip.kv.wire.WireReader;
import io.navstar.gossip.kv.wire.WireWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The KV replication frames carried as gossip payloads. Every frame is
 * {@code [version u8 = 1][type u8][crc32c i32 of version, type and body][body]}; the checksum makes a damaged
 * frame an error rather than a silently different value. Types are append-only numbers:
 * 1 {@link Delta} (multicast after each local commit), 2 {@link Push} (anti-entropy: the keys
 * changed since the receiver's watermark, or none as a heartbeat carrying the state digest),
 * 3 {@link Ack} (the push is durable), 4 {@link FullRequest} (send me everything).
 *
 * <p>Stateless; safe to call from any thread.
 */
public final class KvFrames {

    public static final int VERSION = 1;
    /** Most entries in one push. */
    public static final int MAX_PUSH_ENTRIES = 1 << 20;
    private static final int MAX_ORIGIN_BYTES = 1024;

    private KvFrames() {
    }

    /** A decoded frame. */
    public sealed interface Frame permits Delta, Push, Ack, FullRequest {
    }

    /** The delta of the {@code seq}-th local operation of {@code origin}, on {@code key}. */
    public record Delta(String origin, long seq, KvKey key, OrMap delta) implements Frame {
    }

    /** One key's full state in a push. */
    public record PushEntry(KvKey key, VersionVector clock, OrMap value) {
    }

    /**
     * Anti-entropy: the sender's keys changed after the receiver's watermark, up to the sender's
     * change {@code upToSeq}; {@code more} when a byte budget cut the batch short.
     */
    public record Push(long pushId, long upToSeq, long digest, boolean more, List<PushEntry> entries) implements Frame {
    }

    /** The push {@code pushId} is merged and durable; {@code digest} is the receiver's state digest. */
    public record Ack(long pushId, long upToSeq, long digest) implements Frame {
    }

    /** The sender asks for all of the receiver's keys. */
    public record FullRequest() implements Frame {
    }

    static final int DELTA = 1;
    static final int PUSH = 2;
    static final int ACK = 3;
    static final int FULL_REQUEST = 4;

    public static byte[] delta(String origin, long seq, KvKey key, OrMap delta) {
        final WireWriter body = header(DELTA);
        body.string(origin).varuint(seq);
        key.write(body);
        CrdtCodec.encode(delta, body);
        return seal(body);
    }

    /** A push of committed entries, reusing their cached encodings. */
    static byte[] push(long pushId, long upToSeq, long digest, boolean more, List<java.util.Map.Entry<KvKey, KvStore.Entry>> entries) {
        final WireWriter body = header(PUSH);
        body.varuint(pushId).varuint(upToSeq).i64(digest).u8(more ? 1 : 0).varuint(entries.size());
        for (java.util.Map.Entry<KvKey, KvStore.Entry> e : entries) {
            e.getKey().write(body);
            CrdtCodec.writeVector(e.getValue().clock(), body);
            final byte[] value = e.getValue().encodedValue();
            body.raw(value, 0, value.length);
        }
        return seal(body);
    }

    public static byte[] ack(long pushId, long upToSeq, long digest) {
        final WireWriter body = header(ACK);
        body.varuint(pushId).varuint(upToSeq).i64(digest);
        return seal(body);
    }

    public static byte[] fullRequest() {
        return seal(header(FULL_REQUEST));
    }

    private static WireWriter header(int type) {
        return new WireWriter(64).u8(VERSION).u8(type).i32(0);
    }

    private static byte[] seal(WireWriter out) {
        final byte[] bytes = out.toByteArray();
        final int sum = checksum(bytes);
        bytes[2] = (byte) (sum >>> 24);
        bytes[3] = (byte) (sum >>> 16);
        bytes[4] = (byte) (sum >>> 8);
        bytes[5] = (byte) sum;
        return bytes;
    }

    /** CRC32C over the version and type bytes and the body: everything but the checksum itself. */
    private static int checksum(byte[] frame) {
        final CRC32C crc = new CRC32C();
        crc.update(frame, 0, 2);
        crc.update(frame, 6, frame.length - 6);
        return (int) crc.getValue();
    }

    /** Decodes one frame, or fails with a {@link CorruptDataException} saying why. */
    public static Frame decode(byte[] bytes) {
        final WireReader in = new WireReader(bytes);
        final int version = in.u8("frame version");
        if (version != VERSION) {
            throw in.corrupt("unsupported KV frame version " + version + " (this build speaks " + VERSION + ")");
        }
        final int type = in.u8("frame type");
        final int sum = in.i32("frame checksum");
        if (checksum(bytes) != sum) {
            throw new CorruptDataException("KV frame checksum mismatch (type " + type + ", " + bytes.length + " bytes)");
        }
        final Frame frame = switch (type) {
            case DELTA -> new Delta(in.string("origin", MAX_ORIGIN_BYTES), in.varuint("seq", 1, Long.MAX_VALUE),
                    KvKey.read(in), map(CrdtCodec.decode(in), in));
            case PUSH -> {
                final long pushId = in.varuint("push id");
                final long upTo = in.varuint("push upTo");
                final long digest = in.i64("push digest");
                final int more = in.u8("push more");
                if (more > 1) {
                    throw in.corrupt("push more flag " + more);
                }
                final int n = in.count("push entries", MAX_PUSH_ENTRIES, 6);
                final List<PushEntry> entries = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    final KvKey key = KvKey.read(in);
                    final VersionVector clock = CrdtCodec.readVector(in);
                    entries.add(new PushEntry(key, clock, map(CrdtCodec.decode(in), in)));
                }
                yield new Push(pushId, upTo, digest, more == 1, entries);
            }
            case ACK -> new Ack(in.varuint("ack push id"), in.varuint("ack upTo"), in.i64("ack digest"));
            case FULL_REQUEST -> new FullRequest();
            default -> throw in.corrupt("unknown KV frame type " + type);
        };
        in.expectEnd("KV frame");
        return frame;
    }

    private static OrMap map(Crdt<?> value, WireReader in) {
        if (value instanceof OrMap map) {
            return map;
        }
        throw in.corrupt("KV value must be an ORMAP, found " + value.type());
    }
}
