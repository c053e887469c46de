package io.navstar.agent.lb.abi;

/**
 * Why the data plane dropped, refused or passed untranslated a packet (or a sock-mode {@code connect()}/{@code
 * sendmsg()}) that was the load balancer's business, or failed to record what it did: the slots of the per-CPU
 * counters in lb_drops. The Java mirror of {@code enum lb_drop_reason} in bpf/include/lb_structs.h (LbAbiLayoutTest
 * checks every number against the built objects' BTF): constant {@code X} mirrors {@code LB_DROP_X}, and
 * {@code LB_DROP_NONE} (0, never counted) has none. Append-only: a retired reason keeps its number, reserved.
 * {@link #label()} names the reason in the {@code navstar_lb_drops_total} family; docs/metrics.md explains each.
 * <pre>
 * enum lb_drop_reason {
 * 	LB_DROP_NONE = 0,
 * 	LB_DROP_NO_BACKEND = 1,
 * 	LB_DROP_REFUSAL_FAILED = 2,
 * 	LB_DROP_NO_VIP = 3,
 * 	LB_DROP_HAIRPIN_NO_FLOW = 4,
 * 	LB_DROP_MALFORMED = 5,
 * 	LB_DROP_TOO_SHORT = 6,
 * 	LB_DROP_FRAGMENT = 7,
 * 	LB_DROP_UNSUPPORTED_PROTO = 8,
 * 	LB_DROP_REWRITE_FAILED = 9,
 * 	LB_DROP_TURNAROUND_FAILED = 10,
 * 	LB_DROP_FLOW_TABLE_FULL = 11,
 * 	LB_DROP_REVERSE_TABLE_FULL = 12,
 * 	LB_DROP_SOCK_NAT_FULL = 13,
 * 	LB_DROP_EVENT_RING_FULL = 14,
 * 	LB_DROP_REASONS
 * };
 * </pre>
 * Immutable.
 */
public enum LbDropReason {
    /** A new flow to a VIP with no usable backend, refused (TCP RST, ICMP port unreachable, EPERM in sock mode). */
    NO_BACKEND(1, "no_backend"),
    /** A new flow to a VIP with no usable backend whose refusal could not be built or sent: dropped unanswered. */
    REFUSAL_FAILED(2, "refusal_failed"),
    /** To a VIP's address, on a port and protocol no VIP has and of no tracked flow: passed untouched. */
    NO_VIP(3, "no_vip"),
    /** To the hairpin address, but of no tracked hairpin flow: passed untouched. */
    HAIRPIN_NO_FLOW(4, "hairpin_no_flow"),
    /** An IP, TCP or UDP header whose fields contradict each other: passed untouched. */
    MALFORMED(5, "malformed"),
    /** A packet that ends before a header, or before the length its IP header gives: passed untouched. */
    TOO_SHORT(6, "too_short"),
    /** An IPv4 fragment, or an IPv6 packet with a fragment header: passed untouched, not balanced. */
    FRAGMENT(7, "fragment"),
    /** To a VIP's address, neither TCP nor UDP (ICMP, IPv6 extension headers): passed untouched. */
    UNSUPPORTED_PROTO(8, "unsupported_protocol"),
    /** Writing the new tuple or its checksums into the packet failed: dropped. */
    REWRITE_FAILED(9, "rewrite_failed"),
    /** Sending a hairpin packet back out of the interface it came in on failed: dropped. */
    TURNAROUND_FAILED(10, "turnaround_failed"),
    /** The connection table evicted a live flow for a new one, or took none; the packet still went to its backend. */
    FLOW_TABLE_FULL(11, "flow_table_full"),
    /** lb_reverse took no entry for a new flow; its replies may show the backend's address. */
    REVERSE_TABLE_FULL(12, "reverse_table_full"),
    /**
     * A socket's lb_sock_vips storage could not be created, or an unconnected UDP socket sent to more backends than
     * it has slots and one was reused: getpeername() and recvmsg() may show the backend, not the VIP.
     */
    SOCK_NAT_FULL(13, "sock_nat_full"),
    /**
     * Retired, its number reserved: lb_events had no room for an event. No program writes that ring any more (the
     * health rule samples lb_backend_stats), so only programs of an earlier version, still attached, count it.
     */
    EVENT_RING_FULL(14, "event_ring_full");

    /** LB_DROP_REASONS: the numbers taken, 0 included (the slots of lb_drops the agent reads). */
    public static final int NUMBERS = 15;

    private static final LbDropReason[] BY_NUMBER = new LbDropReason[NUMBERS];

    static {
        for (LbDropReason reason : values()) {
            BY_NUMBER[reason.number] = reason;
        }
    }

    private final int number;
    private final String label;

    LbDropReason(int number, String label) {
        this.number = number;
        this.label = label;
    }

    /** The C enumerator's value: the reason's slot in lb_drops. */
    public int number() {
        return number;
    }

    /** The value of the {@code reason} label in {@code navstar_lb_drops_total}. */
    public String label() {
        return label;
    }

    /** The reason numbered {@code number}, or null for 0 (LB_DROP_NONE) and numbers no reason has. */
    public static LbDropReason ofNumber(int number) {
        return number >= 0 && number < NUMBERS ? BY_NUMBER[number] : null;
    }
}
