package io.navstar.gossip.wire;

import io.navstar.gossip.NodeId;
import io.navstar.gossip.membership.MemberEntry;

/**
 * Every message gossip nodes exchange. Messages are immutable records: the simulator may hand the
 * same instance to many nodes, and arrays inside them must not be written after construction.
 * {@link MessageCodec} turns them into frame bodies and back.
 */
public sealed interface Message {

    /** The wire type. */
    MessageType type();

    /** HyParView JOIN (§4.1). */
    record Join() implements Message {
        public MessageType type() { return MessageType.JOIN; }
    }

    /** The sender added the receiver to its active view. */
    record JoinReply() implements Message {
        public MessageType type() { return MessageType.JOIN_REPLY; }
    }

    /** HyParView FORWARDJOIN (§4.1): {@code joiner} walks the overlay with {@code ttl} hops left. */
    record ForwardJoin(NodeId joiner, int ttl) implements Message {
        public MessageType type() { return MessageType.FORWARD_JOIN; }
    }

    /** HyParView NEIGHBOR (§4.3); a high-priority request is accepted even by a full active view. */
    record Neighbor(boolean highPriority) implements Message {
        public MessageType type() { return MessageType.NEIGHBOR; }
    }

    /** Answer to {@link Neighbor}. */
    record NeighborReply(boolean accepted) implements Message {
        public MessageType type() { return MessageType.NEIGHBOR_REPLY; }
    }

    /** HyParView DISCONNECT (§4.1). */
    record Disconnect() implements Message {
        public MessageType type() { return MessageType.DISCONNECT; }
    }

    /** HyParView SHUFFLE (§4.4): {@code nodes} is the origin's sample, {@code ttl} hops left. */
    record Shuffle(NodeId origin, int ttl, NodeId[] nodes) implements Message {
        public MessageType type() { return MessageType.SHUFFLE; }
    }

    /** HyParView SHUFFLEREPLY (§4.4): a sample of the replier's passive view. */
    record ShuffleReply(NodeId[] nodes) implements Message {
        public MessageType type() { return MessageType.SHUFFLE_REPLY; }
    }

    /** Why a probe was sent. */
    enum ProbePurpose {
        /** Periodic or prompted health check of an active-view neighbour. */
        HEALTH,
        /** A probe of a node membership lists as unreachable, to heal partitions. */
        HEAL;

        private static final ProbePurpose[] VALUES = values();

        static ProbePurpose fromOrdinal(int ordinal) {
            return ordinal >= 0 && ordinal < VALUES.length ? VALUES[ordinal] : null;
        }
    }

    /** A probe; {@code sentNanos} is the prober's clock, echoed back to measure the round trip. */
    record Ping(long sequence, long sentNanos, ProbePurpose purpose) implements Message {
        public MessageType type() { return MessageType.PING; }
    }

    /** The answer to a {@link Ping}, echoing its fields. */
    record Pong(long sequence, long sentNanos, ProbePurpose purpose) implements Message {
        public MessageType type() { return MessageType.PONG; }
    }

    /** Global membership entries; newer entries replace older ones at the receiver. */
    record MembershipUpdate(MemberEntry[] entries) implements Message {
        public MessageType type() { return MessageType.MEMBERSHIP_UPDATE; }
    }

    /**
     * A payload multicast along a BFS tree: {@code treeNodes[0]} is the root and
     * {@code treeParents[i]} the index of node i's parent (-1 for the root). The origin's epoch and
     * sequence identify the payload for de-duplication.
     */
    record Multicast(NodeId origin, long originEpoch, long sequence, int channel,
                     NodeId[] treeNodes, int[] treeParents, byte[] payload) implements Message {
        public MessageType type() { return MessageType.MULTICAST; }
    }

    /** A point-to-point payload for a registered channel. */
    record App(int channel, byte[] payload) implements Message {
        public MessageType type() { return MessageType.APP; }
    }

    /** Transport handshake: the server's random nonce. */
    record Challenge(byte[] nonce) implements Message {
        public MessageType type() { return MessageType.CHALLENGE; }
    }

    /** Transport handshake: who the client is, its nonce, and an HMAC proving the secret. */
    record Hello(NodeId node, byte[] nonce, byte[] mac) implements Message {
        public MessageType type() { return MessageType.HELLO; }
    }

    /** Transport handshake: the server's HMAC proving the secret. */
    record Welcome(NodeId node, byte[] mac) implements Message {
        public MessageType type() { return MessageType.WELCOME; }
    }
}
