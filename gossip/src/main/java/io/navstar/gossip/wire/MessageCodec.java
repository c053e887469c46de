package io.navstar.gossip.wire;

import io.navstar.gossip.NodeId;
import io.navstar.gossip.membership.MemberEntry;
import io.navstar.gossip.wire.Message.App;
import io.navstar.gossip.wire.Message.Challenge;
import io.navstar.gossip.wire.Message.Disconnect;
import io.navstar.gossip.wire.Message.ForwardJoin;
import io.navstar.gossip.wire.Message.Hello;
import io.navstar.gossip.wire.Message.Join;
import io.navstar.gossip.wire.Message.JoinReply;
import io.navstar.gossip.wire.Message.MembershipUpdate;
import io.navstar.gossip.wire.Message.Multicast;
import io.navstar.gossip.wire.Message.Neighbor;
import io.navstar.gossip.wire.Message.NeighborReply;
import io.navstar.gossip.wire.Message.Ping;
import io.navstar.gossip.wire.Message.Pong;
import io.navstar.gossip.wire.Message.ProbePurpose;
import io.navstar.gossip.wire.Message.Shuffle;
import io.navstar.gossip.wire.Message.ShuffleReply;
import io.navstar.gossip.wire.Message.Welcome;
import io.netty.buffer.ByteBuf;

/**
 * Encodes message bodies and decodes them with every count and length bounded. A frame on the wire
 * is {@code u32 length | u8 version | u8 type | body}, where length counts the bytes after itself
 * ({@link #HEADER_BYTES} of version and type plus the body); the transport frames, this class
 * handles the body. All integers are network order.
 *
 * <p>Stateless and thread-safe.
 */
public final class MessageCodec {

    /** The wire version this codec speaks; frames of another version are rejected. */
    public static final int VERSION = 1;
    /** Bytes of version and type that follow the length field. */
    public static final int HEADER_BYTES = 2;
    /** Bytes of the length field. */
    public static final int LENGTH_BYTES = 4;
    /** Most node ids in one view sample (shuffle) or active view. */
    public static final int MAX_VIEW_NODES = 1024;
    /** Most membership entries in one frame. */
    public static final int MAX_ENTRIES = 1 << 16;
    /** Most nodes in a multicast tree. */
    public static final int MAX_TREE_NODES = 1 << 20;
    /** Bytes of a handshake nonce. */
    public static final int NONCE_BYTES = 32;
    /** Bytes of a handshake MAC (HMAC-SHA256), or zero when no cluster secret is configured. */
    public static final int MAC_BYTES = 32;

    private MessageCodec() {
    }

    /** Writes a whole frame: length, version, type and body. */
    public static void encodeFrame(Message message, ByteBuf out) {
        int lengthIndex = out.writerIndex();
        out.writeInt(0);
        out.writeByte(VERSION);
        out.writeByte(message.type().code());
        encodeBody(message, out);
        out.setInt(lengthIndex, out.writerIndex() - lengthIndex - LENGTH_BYTES);
    }

    /** Bytes {@code message} takes as a whole frame, computed without encoding it. */
    public static int encodedLength(Message message) {
        int node = NodeId.WIRE_BYTES;
        int body = switch (message) {
            case Join ignored -> 0;
            case JoinReply ignored -> 0;
            case Disconnect ignored -> 0;
            case ForwardJoin m -> node + 1;
            case Neighbor m -> 1;
            case NeighborReply m -> 1;
            case Shuffle m -> node + 1 + 2 + m.nodes().length * node;
            case ShuffleReply m -> 2 + m.nodes().length * node;
            case Ping m -> 17;
            case Pong m -> 17;
            case MembershipUpdate m -> {
                int bytes = 4;
                for (MemberEntry entry : m.entries()) {
                    bytes += node + 16 + 2 + entry.activeView().length * node;
                }
                yield bytes;
            }
            case Multicast m -> node + 8 + 8 + 4 + 4 + m.treeNodes().length * (node + 4) + 4 + m.payload().length;
            case App m -> 8 + m.payload().length;
            case Challenge m -> m.nonce().length;
            case Hello m -> node + m.nonce().length + 1 + m.mac().length;
            case Welcome m -> node + 1 + m.mac().length;
        };
        return LENGTH_BYTES + HEADER_BYTES + body;
    }

    /** Writes the body of {@code message}. */
    public static void encodeBody(Message message, ByteBuf out) {
        switch (message) {
            case Join ignored -> { }
            case JoinReply ignored -> { }
            case Disconnect ignored -> { }
            case ForwardJoin m -> {
                writeNode(out, m.joiner());
                out.writeByte(m.ttl());
            }
            case Neighbor m -> out.writeBoolean(m.highPriority());
            case NeighborReply m -> out.writeBoolean(m.accepted());
            case Shuffle m -> {
                writeNode(out, m.origin());
                out.writeByte(m.ttl());
                writeNodes(out, m.nodes());
            }
            case ShuffleReply m -> writeNodes(out, m.nodes());
            case Ping m -> {
                out.writeLong(m.sequence());
                out.writeLong(m.sentNanos());
                out.writeByte(m.purpose().ordinal());
            }
            case Pong m -> {
                out.writeLong(m.sequence());
                out.writeLong(m.sentNanos());
                out.writeByte(m.purpose().ordinal());
            }
            case MembershipUpdate m -> {
                out.writeInt(m.entries().length);
                for (MemberEntry entry : m.entries()) {
                    writeNode(out, entry.node());
                    out.writeLong(entry.epoch());
                    out.writeLong(entry.clock());
                    writeNodes(out, entry.activeView());
                }
            }
            case Multicast m -> {
                writeNode(out, m.origin());
                out.writeLong(m.originEpoch());
                out.writeLong(m.sequence());
                out.writeInt(m.channel());
                out.writeInt(m.treeNodes().length);
                for (int i = 0; i < m.treeNodes().length; i++) {
                    writeNode(out, m.treeNodes()[i]);
                    out.writeInt(m.treeParents()[i]);
                }
                out.writeInt(m.payload().length);
                out.writeBytes(m.payload());
            }
            case App m -> {
                out.writeInt(m.channel());
                out.writeInt(m.payload().length);
                out.writeBytes(m.payload());
            }
            case Challenge m -> out.writeBytes(m.nonce());
            case Hello m -> {
                writeNode(out, m.node());
                out.writeBytes(m.nonce());
                out.writeByte(m.mac().length);
                out.writeBytes(m.mac());
            }
            case Welcome m -> {
                writeNode(out, m.node());
                out.writeByte(m.mac().length);
                out.writeBytes(m.mac());
            }
        }
    }

    /**
     * Decodes a body of {@code typeCode} that spans exactly the readable bytes of {@code in}.
     *
     * @throws FrameException naming the first field that is truncated, out of bounds or left over
     */
    public static Message decodeBody(int typeCode, ByteBuf in) throws FrameException {
        MessageType type = MessageType.fromCode(typeCode);
        if (type == null) {
            throw new FrameException("unknown message type " + typeCode);
        }
        Message message = switch (type) {
            case JOIN -> new Join();
            case JOIN_REPLY -> new JoinReply();
            case DISCONNECT -> new Disconnect();
            case FORWARD_JOIN -> new ForwardJoin(readNode(in, "forward-join joiner"), readUnsignedByte(in, "ttl"));
            case NEIGHBOR -> new Neighbor(readBoolean(in, "neighbor priority"));
            case NEIGHBOR_REPLY -> new NeighborReply(readBoolean(in, "neighbor reply"));
            case SHUFFLE -> new Shuffle(readNode(in, "shuffle origin"), readUnsignedByte(in, "ttl"),
                    readNodes(in, "shuffle sample"));
            case SHUFFLE_REPLY -> new ShuffleReply(readNodes(in, "shuffle reply sample"));
            case PING -> new Ping(readLong(in, "sequence"), readLong(in, "sent time"), readPurpose(in));
            case PONG -> new Pong(readLong(in, "sequence"), readLong(in, "sent time"), readPurpose(in));
            case MEMBERSHIP_UPDATE -> decodeMembership(in);
            case MULTICAST -> decodeMulticast(in);
            case APP -> new App(readInt(in, "channel"), readBytes(in, readLength(in, "payload"), "payload"));
            case CHALLENGE -> new Challenge(readBytes(in, NONCE_BYTES, "challenge nonce"));
            case HELLO -> new Hello(readNode(in, "hello node"), readBytes(in, NONCE_BYTES, "hello nonce"),
                    readMac(in));
            case WELCOME -> new Welcome(readNode(in, "welcome node"), readMac(in));
        };
        if (in.isReadable()) {
            throw new FrameException(in.readableBytes() + " bytes left over after " + type + " body");
        }
        return message;
    }

    private static MembershipUpdate decodeMembership(ByteBuf in) throws FrameException {
        int count = readInt(in, "entry count");
        if (count < 0 || count > MAX_ENTRIES) {
            throw new FrameException("entry count " + count + " out of bounds [0, " + MAX_ENTRIES + "]");
        }
        // each entry takes at least 6 + 8 + 8 + 2 bytes: bound the allocation by what is there
        need(in, (long) count * (NodeId.WIRE_BYTES + 18), "membership entries");
        MemberEntry[] entries = new MemberEntry[count];
        for (int i = 0; i < count; i++) {
            NodeId node = readNode(in, "entry node");
            long epoch = readLong(in, "entry epoch");
            long clock = readLong(in, "entry clock");
            NodeId[] view = readNodes(in, "entry active view");
            java.util.Arrays.sort(view);
            entries[i] = new MemberEntry(node, epoch, clock, view);
        }
        return new MembershipUpdate(entries);
    }

    private static Multicast decodeMulticast(ByteBuf in) throws FrameException {
        NodeId origin = readNode(in, "multicast origin");
        long epoch = readLong(in, "multicast epoch");
        long sequence = readLong(in, "multicast sequence");
        int channel = readInt(in, "channel");
        int count = readInt(in, "tree size");
        if (count < 1 || count > MAX_TREE_NODES) {
            throw new FrameException("tree size " + count + " out of bounds [1, " + MAX_TREE_NODES + "]");
        }
        need(in, (long) count * (NodeId.WIRE_BYTES + 4), "multicast tree");
        NodeId[] nodes = new NodeId[count];
        int[] parents = new int[count];
        for (int i = 0; i < count; i++) {
            nodes[i] = readNode(in, "tree node");
            int parent = in.readInt();
            // parents point strictly backwards in BFS order: no loops, root first
            if (i == 0 ? parent != -1 : parent < 0 || parent >= i) {
                throw new FrameException("tree parent " + parent + " of node " + i + " is not an earlier node");
            }
            parents[i] = parent;
        }
        byte[] payload = readBytes(in, readLength(in, "payload"), "payload");
        return new Multicast(origin, epoch, sequence, channel, nodes, parents, payload);
    }

    private static void writeNode(ByteBuf out, NodeId node) {
        out.writeInt(node.address());
        out.writeShort(node.port());
    }

    private static void writeNodes(ByteBuf out, NodeId[] nodes) {
        out.writeShort(nodes.length);
        for (NodeId node : nodes) {
            writeNode(out, node);
        }
    }

    private static void need(ByteBuf in, long bytes, String field) throws FrameException {
        if (in.readableBytes() < bytes) {
            throw new FrameException("truncated " + field + ": need " + bytes + " bytes, have " + in.readableBytes());
        }
    }

    private static NodeId readNode(ByteBuf in, String field) throws FrameException {
        need(in, NodeId.WIRE_BYTES, field);
        return new NodeId(in.readInt(), in.readUnsignedShort());
    }

    private static NodeId[] readNodes(ByteBuf in, String field) throws FrameException {
        need(in, 2, field + " count");
        int count = in.readUnsignedShort();
        if (count > MAX_VIEW_NODES) {
            throw new FrameException(field + " count " + count + " exceeds " + MAX_VIEW_NODES);
        }
        need(in, (long) count * NodeId.WIRE_BYTES, field);
        NodeId[] nodes = new NodeId[count];
        for (int i = 0; i < count; i++) {
            nodes[i] = new NodeId(in.readInt(), in.readUnsignedShort());
        }
        return nodes;
    }

    private static int readUnsignedByte(ByteBuf in, String field) throws FrameException {
        need(in, 1, field);
        return in.readUnsignedByte();
    }

    private static boolean readBoolean(ByteBuf in, String field) throws FrameException {
        int value = readUnsignedByte(in, field);
        if (value > 1) {
            throw new FrameException(field + " is " + value + ", not a boolean");
        }
        return value == 1;
    }

    private static int readInt(ByteBuf in, String field) throws FrameException {
        need(in, 4, field);
        return in.readInt();
    }

    private static long readLong(ByteBuf in, String field) throws FrameException {
        need(in, 8, field);
        return in.readLong();
    }

    private static int readLength(ByteBuf in, String field) throws FrameException {
        int length = readInt(in, field + " length");
        if (length < 0 || length > in.readableBytes()) {
            throw new FrameException(field + " length " + length + " exceeds the " + in.readableBytes()
                    + " bytes left in the frame");
        }
        return length;
    }

    private static byte[] readBytes(ByteBuf in, int length, String field) throws FrameException {
        need(in, length, field);
        byte[] bytes = new byte[length];
        in.readBytes(bytes);
        return bytes;
    }

    private static byte[] readMac(ByteBuf in) throws FrameException {
        int length = readUnsignedByte(in, "mac length");
        if (length != 0 && length != MAC_BYTES) {
            throw new FrameException("mac length " + length + " is neither 0 nor " + MAC_BYTES);
        }
        return readBytes(in, length, "mac");
    }

    private static ProbePurpose readPurpose(ByteBuf in) throws FrameException {
        int ordinal = readUnsignedByte(in, "probe purpose");
        ProbePurpose purpose = ProbePurpose.fromOrdinal(ordinal);
        if (purpose == null) {
            throw new FrameException("unknown probe purpose " + ordinal);
        }
        return purpose;
    }
}
