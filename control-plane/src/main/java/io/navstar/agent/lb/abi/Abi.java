package io.navstar.agent.lb.abi;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

/**
 * Constants and helpers shared by the mirrors of bpf/include/lb_structs.h: the append-only numbers
 * (flags, address families; drop reasons are {@link LbDropReason}) and address conversion. Stateless.
 */
public final class Abi {
    /** A port or other 16-bit field kept in network byte order. */
    public static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** LB_AF_INET, LB_AF_INET6. */
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;

    /** LB_FLOW_F_* (append-only). */
    public static final int FLOW_CLOSING = 1;
    public static final int FLOW_HAIRPIN = 2;
    public static final int FLOW_REPLIED = 4;
    public static final int FLOW_CSUM = 8;
    /** tc and xdp modes: the flow's backend is not behind a registered veth (lb_peer_ifaces), so the node routes its packets. */
    public static final int FLOW_ROUTED = 16;

    /** LB_BACKEND_VIP_F_* (append-only). */
    public static final int BACKEND_VIP_SHARED = 1;

    /**
     * LB_CFG_F_* (append-only): flags of lb_config, set by the agent. LEGACY_FLOW_HASH: the connection table may hold
     * live flows placed by lb_flow_hash_v1, which the programs then look for after a miss.
     */
    public static final int CFG_LEGACY_FLOW_HASH = 1;

    /** LB_STATE_F_* (append-only): flags of lb_state, set by the data plane. */
    public static final long STATE_REVERSE_UNINDEXED = 1;

    /** LB_ADDR_FILTER_WORDS: 64-bit words of lb_vip_filter and of lb_backend_filter. */
    public static final int ADDR_FILTER_WORDS = 8192;

    /** LB_MAX_PEER_IFACES: entries of lb_peer_ifaces. */
    public static final int MAX_PEER_IFACES = 4096;

    /** LB_NO_BACKEND: no backend id. */
    public static final int NO_BACKEND = 0xffffffff;

    /** Every mirrored struct's layout, for the BTF drift test. */
    public static final List<StructLayout> LAYOUTS = List.of(LbVipKey.LAYOUT, LbVipInfo.LAYOUT, LbBackend.LAYOUT,
            LbFlowKey.LAYOUT, LbFlow.LAYOUT, LbFlowWay.LAYOUT, LbFlowBucket.LAYOUT, LbReverseNat.LAYOUT, LbSockVip.LAYOUT,
            LbSockVips.LAYOUT, LbConfig.LAYOUT, LbStats.LAYOUT, LbBackendVip.LAYOUT, LbPeerIface.LAYOUT);

    private Abi() {
    }

    /**
     * An address filter's bit for the 16-byte address field at offset (lb_addr_filter_bit in bpf/lb/lb_helpers.h: the
     * four words as the host reads them, xor-folded, then murmur3's 32-bit finaliser).
     */
    public static int addressFilterBit(MemorySegment segment, long offset) {
        int h = segment.get(JAVA_INT_UNALIGNED, offset) ^ segment.get(JAVA_INT_UNALIGNED, offset + 4)
                ^ segment.get(JAVA_INT_UNALIGNED, offset + 8) ^ segment.get(JAVA_INT_UNALIGNED, offset + 12);
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h & (ADDR_FILTER_WORDS * 64 - 1);
    }

    /** Reads a 16-byte address field: IPv4 (family AF_INET) from its first 4 bytes, else all 16. */
    static InetAddress readAddress(MemorySegment segment, long offset, int family) {
        byte[] bytes = new byte[family == AF_INET ? 4 : 16];
        MemorySegment.copy(segment, JAVA_BYTE, offset, bytes, 0, bytes.length);
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen: the length is 4 or 16
        }
    }

    /** Writes an address into a 16-byte field, IPv4 in the first 4 bytes and zeros after. */
    static void writeAddress(MemorySegment segment, long offset, InetAddress address) {
        byte[] bytes = address.getAddress();
        segment.asSlice(offset, 16).fill((byte) 0);
        MemorySegment.copy(bytes, 0, segment, JAVA_BYTE, offset, bytes.length);
    }

    /** The family number of an address. */
    public static int family(InetAddress address) {
        return address.getAddress().length == 4 ? AF_INET : AF_INET6;
    }
}
