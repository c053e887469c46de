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
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The KV replication frames carried as gossip payloads. Every frame is
 * {@code [version u8 = 1][type u8][crc32c i32 of version, type and body][body]}; the checksum makes
 * a damaged frame an error rather than a silently different value. Types are append-only numbers:
 * <ol>
 *   <li>{@link Delta}: multicast after each local commit;</li>
 *   <li>{@link Summary}: anti-entropy, the (key, clock) pairs changed since the receiver's
 *       watermark, or none as a heartbeat carrying the sender's state digest;</li>
 *   <li>{@link Ack}: the summary was read; here are the keys whose clocks the receiver does not
 *       already dominate;</li>
 *   <li>{@link FullRequest}: send me a summary of everything;</li>
 *   <li>{@link Values}: the full states of wanted keys;</li>
 *   <li>{@link ValuesAck}: those values are merged and durable.</li>
 * </ol>
 *
 * <p>Stateless; safe to call from any thread.
 */
public final class KvFrames {

    public static final int VERSION = 1;
    /** Most entries in one summary, ack or values frame. */
    public static final int MAX_ENTRIES = 1 << 20;
    private static final int MAX_ORIGIN_BYTES = 1024;

    static final int DELTA = 1;
    static final int SUMMARY = 2;
    static final int ACK = 3;
    static final int FULL_REQUEST = 4;
    static final int VALUES = 5;
    static final int VALUES_ACK = 6;

    private KvFrames() {
    }

    /** A decoded frame. */
    public sealed interface Frame permits Delta, Summary, Ack, FullRequest, Values, ValuesAck {
    }

    /** The delta of the {@code seq}-th local operation of {@code origin}, on {@code key}. */
    public record Delta(String origin, long seq, KvKey key, OrMap delta) implements Frame {
    }

    /** A key and its clock, in a summary. */
    public record KeyClock(KvKey key, VersionVector clock) {
    }

    /**
     * The sender's keys changed after the receiver's watermark, up to the sender's change
     * {@code upToSeq}; {@code more} when the batch was cut short.
     */
    public record Summary(long pushId, long upToSeq, long digest, boolean more, List<KeyClock> entries) implements Frame {
    }

    /** Summary {@code pushId} read; {@code wanted} are the keys the receiver needs values for. */
    public record Ack(long pushId, long digest, List<KvKey> wanted) implements Frame {
    }

    /** The sender asks for a summary of all of the receiver's keys. */
    public record FullRequest() implements Frame {
    }

    /** One key's full state. */
    public record ValueEntry(KvKey key, VersionVector clock, OrMap value) {
    }

    /** Values of wanted keys for summary {@code pushId}. */
    public record Values(long pushId, List<ValueEntry> entries) implements Frame {
    }

    /** The values of {@code pushId} are merged and durable. */
    public record ValuesAck(long pushId) implements Frame {
    }

    public static byte[] delta(String origin, long seq, KvKey key, OrMap delta) {
        final WireWriter body = header(DELTA);
        body.string(origin).varuint(seq);
        key.write(body);
        CrdtCodec.encode(delta, body);
        return seal(body);
    }

    static byte[] summary(long pushId, long upToSeq, long digest, boolean more, List<Map.Entry<KvKey, KvStore.Entry>> entries) {
        final WireWriter body = header(SUMMARY);
        body.varuint(pushId).varuint(upToSeq).i64(digest).u8(more ? 1 : 0).varuint(entries.size());
        for (Map.Entry<KvKey, KvStore.Entry> e : entries) {
            e.getKey().write(body);
            CrdtCodec.writeVector(e.getValue().clock(), body);
        }
        return seal(body);
    }

    public static byte[] ack(long pushId, long digest, List<KvKey> wanted) {
        final WireWriter body = header(ACK);
        body.varuint(pushId).i64(digest).varuint(wanted.size());
        for (KvKey key : wanted) {
            key.write(body);
        }
        return seal(body);
    }

    public static byte[] fullRequest() {
        return seal(header(FULL_REQUEST));
    }

    /** Values of committed entries, reusing their cached encodings. */
    static byte[] values(long pushId, List<Map.Entry<KvKey, KvStore.Entry>> entries) {
        final WireWriter body = header(VALUES);
        body.varuint(pushId).varuint(entries.size());
        for (Map.Entry<KvKey, KvStore.Entry> e : entries) {
            e.getKey().write(body);
            CrdtCodec.writeVector(e.getValue().clock(), body);
            final byte[] value = e.getValue().encodedValue();
            body.raw(value, 0, value.length);
        }
        return seal(body);
    }

    public static byte[] valuesAck(long pushId) {
        final WireWriter body = header(VALUES_ACK);
        body.varuint(pushId);
        return seal(body);
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
            case SUMMARY -> {
                final long pushId = in.varuint("push id");
                final long upTo = in.varuint("summary upTo");
                final long digest = in.i64("summary digest");
                final int more = in.u8("summary more");
                if (more > 1) {
                    throw in.corrupt("summary more flag " + more);
                }
                final int n = in.count("summary entries", MAX_ENTRIES, 2);
                final List<KeyClock> entries = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    entries.add(new KeyClock(KvKey.read(in), CrdtCodec.readVector(in)));
                }
                yield new Summary(pushId, upTo, digest, more == 1, entries);
            }
            case ACK -> {
                final long pushId = in.varuint("ack push id");
                final long digest = in.i64("ack digest");
                final int n = in.count("wanted keys", MAX_ENTRIES, 1);
                final List<KvKey> wanted = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    wanted.add(KvKey.read(in));
                }
                yield new Ack(pushId, digest, wanted);
            }
            case FULL_REQUEST -> new FullRequest();
            case VALUES -> {
                final long pushId = in.varuint("values push id");
                final int n = in.count("values entries", MAX_ENTRIES, 5);
                final List<ValueEntry> entries = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    final KvKey key = KvKey.read(in);
                    final VersionVector clock = CrdtCodec.readVector(in);
                    entries.add(new ValueEntry(key, clock, map(CrdtCodec.decode(in), in)));
                }
                yield new Values(pushId, entries);
            }
            case VALUES_ACK -> new ValuesAck(in.varuint("values ack push id"));
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
