// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* lb_tc.bpf.c: tc mode entry points on tcx. Ingress (on a container-facing interface) turns a client's
 * packet to a VIP into a packet to the chosen backend, and a local backend's reply to a local client into a packet
 * from the VIP, and hands either straight to a registered veth's peer when the route leads there (lb_tc_deliver);
 * egress turns the other replies into packets from the VIP. xdp mode's tcx ingress (lb_tc_turnaround) is here too.
 * L4 checksums are updated in place as the skb's ip_summed asks, or by the kernel's csum helper where
 * skb->csum must follow (lb_tc_rewrite). */
#include "lb_nat.h"
#include "lb_rewrite.h"
#include "lb_refuse.h"

/* tcx verdicts (include/uapi/linux/bpf.h, enum tcx_action_base; newer than the 6.1 uapi headers). */
#define LB_TCX_NEXT     (-1)
#define LB_TCX_PASS     0
#define LB_TCX_DROP     2

/* The most header bytes lb_parse reads: Ethernet, an IPv4 header with all its options (60), TCP's fixed header. */
#define LB_TC_PULL_LEN  (ETH_HLEN + LB_IPV4_MAX_HLEN + LB_TCP_HLEN)

/*
 * Makes the headers lb_parse reads (Ethernet, IP, the fixed TCP or UDP header) sit in the skb's linear part, and
 * no more: a TCP segment built by a local socket (a veth peer's) carries only its headers in the linear part and
 * its payload in page fragments, and pulling payload bytes in makes bpf_skb_pull_data reallocate the head
 * (pskb_expand_head) and copy them, on every data packet, through every program it meets (under wrk through a
 * VIP, kernel.bpf_stats_enabled: lb_tc_ingress 502 ns per packet when it pulled 154 bytes, 358 with this).
 * The need is read from the linear headers when they are there (IPv4's IHL; IPv6 has no options we parse); when
 * the IP header itself is not linear, the most it could need. LbTcPullTest shows it on real veth traffic.
 */
static __always_inline void lb_tc_pull(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u32 linear = data_end - data;
	__u32 need = LB_TC_PULL_LEN;

	if ((void *)(eth + 1) <= data_end) {
		if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
			need = ETH_HLEN + sizeof(struct ipv6hdr) + sizeof(struct tcphdr);
		} else if (eth->h_proto == bpf_htons(ETH_P_IP)) {
			struct iphdr *ip = (void *)(eth + 1);

			if ((void *)(ip + 1) <= data_end)
				need = ETH_HLEN + ip->ihl * 4 + sizeof(struct tcphdr);
		} else {
			return;  /* not IP: lb_parse passes it on without reading further */
		}
	}
	if (linear < need && skb->len > linear)
		bpf_skb_pull_data(skb, skb->len < need ? skb->len : need);
}

#include <bpf/bpf_core_read.h>
#include "kern_skb.h"

/*
 * The skb's ip_summed (CHECKSUM_*), which __sk_buff does not show: read from the kernel's own sk_buff behind the
 * context (the kfunc bpf_cast_to_kern_ctx, which the verifier turns into a register move), at the place and bit
 * position the running kernel's BTF gives (CO-RE bitfield read; see kern_skb.h).
 */
static __always_inline int lb_tc_ip_summed(struct __sk_buff *skb)
{
	struct sk_buff___navstar *kskb = bpf_cast_to_kern_ctx(skb);

	return BPF_CORE_READ_BITFIELD(kskb, ip_summed);
}

/*
 * Writes the tuple *to over the packet's (lb_rewrite_headers: the headers sit in the linear part, see lb_tc_pull)
 * and updates the L4 checksum by RFC 1624's incremental rule, as the skb's ip_summed asks
 * (inet_proto_csum_replace_by_diff, net/core/utils.c, does the same for bpf_l4_csum_replace):
 * - CHECKSUM_NONE / UNNECESSARY: the field is the full checksum, complemented; the address (pseudo header) and port
 *   changes both enter it: HC' = ~(~HC + diff) (RFC 1624 eqn. 3).
 * - CHECKSUM_PARTIAL (sent by this host or a veth peer, to be completed by the device or skb_checksum_help): the
 *   field holds the pseudo-header sum, not complemented, and the sum over the segment is taken later, ports and
 *   all; so only the address change enters it, added: HC' = HC + diff.
 * - CHECKSUM_COMPLETE: skb->csum (the sum over the received packet) must follow the pseudo-header change too, and
 *   only the kernel's helper can write it: bpf_l4_csum_replace, once with BPF_F_PSEUDO_HDR for the addresses and
 *   once for the ports.
 * The IPv4 header checksum is updated by lb_rewrite_headers for every kind (its change nets to zero in skb->csum).
 * A UDP checksum of zero means "none" and stays zero, and a computed zero goes out as 0xffff (RFC 768), as the
 * helper's BPF_F_MARK_MANGLED_0 does.
 */
static __always_inline int lb_tc_rewrite(struct __sk_buff *skb, const struct lb_pkt *pkt,
					 const struct lb_flow_key *to, __u32 known_diff)
{
	int udp = pkt->key.proto == IPPROTO_UDP_;
	__u64 l4_flags = udp ? BPF_F_MARK_MANGLED_0 : 0;
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	/* Verifier workaround: mask the offset so the pointer's range is known. */
	__u16 *check = data + (pkt->l4_csum_off & LB_HDR_OFF_MASK);
	int summed = lb_tc_ip_summed(skb);
	__s64 addr_diff;
	__s64 port_diff;
	__u16 sum;

	if ((void *)(check + 1) > data_end)
		return -1;
	if (lb_rewrite_headers(data, data_end, pkt, to, known_diff, &addr_diff, &port_diff))
		return -1;
	if (!lb_has_l4_csum(pkt) || (udp && *check == 0))
		return 0;
	if (summed == CHECKSUM_PARTIAL) {
		sum = ~lb_csum_fold((__u64)*check + (__u32)addr_diff);
	} else if (summed != CHECKSUM_COMPLETE) {
		sum = lb_csum_fold((__u64)(__u16)~*check + (__u32)addr_diff + (__u32)port_diff);
	} else {
		/* Packet pointers are invalid after these helpers; nothing below uses them. When the ports stay the
		 * same (VIP port == backend port) the second call has nothing to add. */
		if (bpf_l4_csum_replace(skb, pkt->l4_csum_off, 0, addr_diff, BPF_F_PSEUDO_HDR | l4_flags))
			return -1;
		if (pkt->key.sport == to->sport && pkt->key.dport == to->dport)
			return 0;
		return bpf_l4_csum_replace(skb, pkt->l4_csum_off, 0, port_diff, l4_flags) ? -1 : 0;
	}
	if (udp && sum == 0)
		sum = LB_CSUM_MINUS_ZERO;
	*check = sum;
	return 0;
}

/* Swaps the Ethernet addresses so the packet can leave through the interface it arrived on. */
static __always_inline int lb_tc_turn_around(struct __sk_buff *skb)
{
	__u8 macs[2 * ETH_ALEN];
	__u8 swapped[2 * ETH_ALEN];

	if (bpf_skb_load_bytes(skb, 0, macs, sizeof(macs)))
		return -1;
	__builtin_memcpy(swapped, macs + ETH_ALEN, ETH_ALEN);
	__builtin_memcpy(swapped + ETH_ALEN, macs, ETH_ALEN);
	return bpf_skb_store_bytes(skb, 0, swapped, sizeof(swapped), 0);
}

/* Replaces the packet with its refusal (RST or ICMP unreachable); returns 0, or -1 when it cannot. */
static __always_inline int lb_tc_put_refusal(struct __sk_buff *skb, const struct lb_pkt *pkt)
{
	__u8 orig[ETH_HLEN + LB_QUOTE6_LEN];
	struct lb_scratch *scratch;
	__u32 zero = 0;
	__u32 len;

	scratch = bpf_map_lookup_elem(&lb_scratch, &zero);
	if (!scratch)
		return -1;
	if (pkt->key.family == LB_AF_INET) {
		if (bpf_skb_load_bytes(skb, 0, orig, ETH_HLEN + LB_QUOTE4_LEN))
			return -1;
	} else {
		if (bpf_skb_load_bytes(skb, 0, orig, ETH_HLEN + LB_QUOTE6_LEN))
			return -1;
	}
	len = lb_build_refusal(pkt, orig, scratch->buf);
	/* Verifier workaround: each length is a constant in its own branch so store_bytes' size is known. */
	if (len == LB_RST4_LEN) {
		if (bpf_skb_change_tail(skb, LB_RST4_LEN, 0) ||
		    bpf_skb_store_bytes(skb, 0, scratch->buf, LB_RST4_LEN, 0))
			return -1;
	} else if (len == LB_ICMP4_LEN) {
		if (bpf_skb_change_tail(skb, LB_ICMP4_LEN, 0) ||
		    bpf_skb_store_bytes(skb, 0, scratch->buf, LB_ICMP4_LEN, 0))
			return -1;
	} else if (len == LB_RST6_LEN) {
		if (bpf_skb_change_tail(skb, LB_RST6_LEN, 0) ||
		    bpf_skb_store_bytes(skb, 0, scratch->buf, LB_RST6_LEN, 0))
			return -1;
	} else if (len == LB_ICMP6_LEN) {
		if (bpf_skb_change_tail(skb, LB_ICMP6_LEN, 0) ||
		    bpf_skb_store_bytes(skb, 0, scratch->buf, LB_ICMP6_LEN, 0))
			return -1;
	} else {
		return -1;
	}
	return 0;
}

/* Answers a flow refused for want of a backend: its packet, replaced by the refusal, goes back to the client. */
static __always_inline int lb_tc_refuse(struct __sk_buff *skb, const struct lb_pkt *pkt)
{
	if (lb_tc_put_refusal(skb, pkt)) {
		lb_drop(LB_DROP_REFUSAL_FAILED);
		return LB_TCX_DROP;
	}
	lb_drop(LB_DROP_NO_BACKEND);
	return bpf_redirect(skb->ifindex, 0);
}

static __always_inline int lb_mac_eq(const __u8 *a, const __u8 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] && a[4] == b[4] && a[5] == b[5];
}

/* lb_tc_route's answers. */
enum lb_route {
	LB_ROUTE_STACK = 0,  /* the node routes it: no registered veth on the route, or a local destination */
	LB_ROUTE_PEER = 1,   /* out through a registered veth: scratch->fib holds its index and Ethernet addresses */
	LB_ROUTE_RETRY = 2,  /* the node routes it this time: no neighbour entry yet, or too big for the route's MTU */
};

/*
 * lb_tc_route's answers of the last LB_ROUTE_TTL_NS, per CPU, in a direct-mapped table: a slot per (destination,
 * arriving interface), the newest lookup in it winning. Looking a route up (bpf_fib_lookup: the FIB trie, then the
 * neighbour table) cost more than the rest of a delivered packet's work (docs/benchmarks.md); a slot's check is a hash
 * and one read. The answer depends on the destination and the interface (its
 * forwarding setting and iif rules), not the source, as Cilium's delivery to a local endpoint looks up the destination
 * alone. A route or neighbour that changes is seen within the TTL; a veth the agent unregisters is seen at once, as
 * every cached delivery checks lb_peer_ifaces again. Each object keeps its own (not pinned).
 */
struct lb_route_slot {
	__u32 dst[4];     /* the destination (IPv4 in dst[0]) */
	__u32 iif;        /* the interface the packet arrived on */
	__u32 ifindex;    /* LB_ROUTE_PEER: the registered veth the route leads out through */
	__u64 found_ns;   /* lb_now() at the lookup; 0: an empty slot */
	__u8 dmac[ETH_ALEN];  /* LB_ROUTE_PEER: the neighbour's Ethernet address */
	__u8 smac[ETH_ALEN];  /* and the veth's */
	__u8 family;
	__u8 route;       /* LB_ROUTE_PEER or LB_ROUTE_STACK */
	__u16 pad;
};
_Static_assert(sizeof(struct lb_route_slot) == 48, "LbMapMemory.ROUTE_SLOT_BYTES");
_Static_assert((LB_ROUTE_SLOTS & (LB_ROUTE_SLOTS - 1)) == 0, "LB_ROUTE_SLOTS is no power of two");
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_ROUTE_SLOTS);
	__type(key, __u32);
	__type(value, struct lb_route_slot);
} lb_route_cache SEC(".maps");

static __always_inline __u32 lb_route_slot_of(const __u32 *dst, __u32 iif)
{
	return lb_mix32(dst[0] ^ dst[1] ^ dst[2] ^ dst[3] ^ (iif * 0x9e3779b9u)) & (LB_ROUTE_SLOTS - 1);
}

/* Whether slot holds a fresh answer for destination dst of family, arriving on iif. */
static __always_inline int lb_route_cached(const struct lb_route_slot *slot, const struct lb_flow_key *t, __u32 iif,
					   __u64 now)
{
	return slot->found_ns && now - slot->found_ns < LB_ROUTE_TTL_NS && slot->iif == iif &&
	       slot->family == t->family && lb_addr_eq(slot->dst, t->dst);
}

/*
 * Where the node would send a packet of tuple *t arriving on skb's interface: a route lookup (bpf_fib_lookup, as the
 * forwarding path makes it, FIB rules and the interface's forwarding setting included), or its answer kept in
 * lb_route_cache. A route out through one of the node's container-facing veths (lb_peer_ifaces, its hardware address
 * checked) is one lb_tc_to_peer can take: its index and Ethernet addresses are left in lb_scratch's fib. Not inlined:
 * its frame stays out of its callers'.
 */
static __attribute__((noinline)) int lb_tc_route(struct __sk_buff *skb, const struct lb_flow_key *t)
{
	struct lb_route_slot *slot;
	struct lb_scratch *scratch;
	struct bpf_fib_lookup *fib;
	struct lb_peer_iface *peer;
	__u32 iif = skb->ingress_ifindex;
	__u32 index = lb_route_slot_of(t->dst, iif);
	__u32 zero = 0;
	__u64 now = lb_now();
	__u32 ifindex;
	int route;
	long found;

	scratch = bpf_map_lookup_elem(&lb_scratch, &zero);
	slot = bpf_map_lookup_elem(&lb_route_cache, &index);
	if (!scratch || !slot)
		return LB_ROUTE_RETRY;
	fib = &scratch->fib;
	if (lb_route_cached(slot, t, iif, now)) {
		if (slot->route != LB_ROUTE_PEER)
			return LB_ROUTE_STACK;
		ifindex = slot->ifindex;
		peer = bpf_map_lookup_elem(&lb_peer_ifaces, &ifindex);
		if (peer && lb_mac_eq(peer->mac, slot->smac)) {
			fib->ifindex = ifindex;
			__builtin_memcpy(fib->dmac, slot->dmac, ETH_ALEN);
			__builtin_memcpy(fib->smac, slot->smac, ETH_ALEN);
			return LB_ROUTE_PEER;
		}
		/* unregistered since: look again */
	}
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->family = t->family;
	fib->l4_protocol = t->proto;
	fib->sport = t->sport;
	fib->dport = t->dport;
	fib->ifindex = iif;
	if (t->family == LB_AF_INET) {
		fib->ipv4_src = t->src[0];
		fib->ipv4_dst = t->dst[0];
	} else {
		__builtin_memcpy(fib->ipv6_src, t->src, sizeof(fib->ipv6_src));
		__builtin_memcpy(fib->ipv6_dst, t->dst, sizeof(fib->ipv6_dst));
	}
	/* A failed lookup (no such ingress interface: only BPF_PROG_TEST_RUN's packets come from none) is the stack's. */
	found = bpf_fib_lookup(skb, fib, sizeof(*fib), 0);
	if (found == BPF_FIB_LKUP_RET_NO_NEIGH || found == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return LB_ROUTE_RETRY;  /* not kept: the next packet may find the neighbour */
	route = LB_ROUTE_STACK;
	if (found == BPF_FIB_LKUP_RET_SUCCESS) {
		ifindex = fib->ifindex;
		peer = bpf_map_lookup_elem(&lb_peer_ifaces, &ifindex);
		if (peer && lb_mac_eq(peer->mac, fib->smac))
			route = LB_ROUTE_PEER;
	}
	lb_copy_addr(slot->dst, t->dst);
	slot->iif = iif;
	slot->ifindex = fib->ifindex;
	slot->found_ns = now;
	__builtin_memcpy(slot->dmac, fib->dmac, ETH_ALEN);
	__builtin_memcpy(slot->smac, fib->smac, ETH_ALEN);
	slot->family = t->family;
	slot->route = route;
	return route;
}

/*
 * Hands a packet lb_tc_route found a peer for straight to that veth's peer in the container's namespace, as the
 * node's forwarding would have sent it: the neighbour's Ethernet addresses, the TTL or hop limit less one
 * (ip_decrease_ttl's incremental checksum update, RFC 1624 eqn. 3), then bpf_redirect_peer (ingress to ingress, no
 * backlog queue). That skips the node's IP forwarding, its netfilter hooks and the veth's egress hook, whose program
 * has nothing to do for a packet translated here. A TTL about to expire is left to the stack, which answers it.
 */
static __always_inline int lb_tc_to_peer(struct __sk_buff *skb, __u8 family)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct lb_scratch *scratch;
	__u32 zero = 0;

	scratch = bpf_map_lookup_elem(&lb_scratch, &zero);
	if (!scratch)
		return LB_TCX_PASS;
	if (family == LB_AF_INET) {
		struct iphdr *ip = (void *)(eth + 1);
		__u16 before, after;

		if ((void *)(ip + 1) > data_end || ip->ttl <= 1)
			return LB_TCX_PASS;
		before = *(lb_word_t *)&ip->ttl;
		ip->ttl--;
		after = *(lb_word_t *)&ip->ttl;
		ip->check = lb_csum_apply(ip->check, (__u32)(__u16)~before + after);
	} else {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end || ip6->hop_limit <= 1)
			return LB_TCX_PASS;
		ip6->hop_limit--;
	}
	__builtin_memcpy(eth->h_dest, scratch->fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, scratch->fib.smac, ETH_ALEN);
	return bpf_redirect_peer(scratch->fib.ifindex, 0);
}

/*
 * A client's packet rewritten to *to: to its backend's peer when the route allows, else to the stack. A tracked flow
 * whose route was found not to allow it is marked (LB_FLOW_F_ROUTED), and lb_tc_ingress does not call this for it
 * again: a remote backend's flows pay one route lookup, at their first packet. Not inlined: its frame stays out of
 * lb_tc_ingress's.
 */
static __attribute__((noinline)) int lb_tc_deliver(struct __sk_buff *skb, const struct lb_flow_key *to,
						   struct lb_flow *tracked)
{
	int route = lb_tc_route(skb, to);

	if (route == LB_ROUTE_PEER)
		return lb_tc_to_peer(skb, to->family);
	if (route == LB_ROUTE_STACK && tracked)
		tracked->flags |= LB_FLOW_F_ROUTED;  /* a plain write, as lb_touch's: a lost one costs one more lookup */
	return LB_TCX_PASS;
}

/*
 * A packet at tcx ingress that is not to a VIP may be a local backend's reply to a local client: when its route
 * leads to a registered veth and it is the reply of a tracked flow (lb_reply), *to is its translated tuple and
 * lb_tc_to_peer can deliver it with the route found here. A reply to a client elsewhere is left as it is (the client's
 * node translates it), and so is one to a local client behind an interface that is not registered: lb_tc_egress
 * translates it where it leaves. A packet from no backend's address costs one filter read. Not inlined: its frame
 * is not added to lb_tc_ingress's.
 */
static __attribute__((noinline)) int lb_tc_local_reply(struct __sk_buff *skb, struct lb_pkt *pkt,
						       struct lb_flow_key *to, __u32 *csum_diff)
{
	if (!lb_addr_maybe_in(&lb_backend_filter, pkt->key.src) &&
	    !(lb_state_flags() & LB_STATE_F_REVERSE_UNINDEXED))
		return 0;
	if (lb_tc_route(skb, &pkt->key) != LB_ROUTE_PEER)
		return 0;
	return lb_reply(pkt, skb->len, 0, to, csum_diff);
}

SEC("tcx/ingress")
int lb_tc_ingress(struct __sk_buff *skb)
{
	struct lb_pkt pkt = {};
	struct lb_flow_key to;
	struct lb_flow *tracked;
	__u32 csum_diff;
	int back = 0;
	int reply = 0;
	int why;

	lb_tc_pull(skb);
	why = lb_parse((void *)(long)skb->data, (void *)(long)skb->data_end, skb->len, &pkt);
	if (why) {
		lb_ingress_unparsed(&pkt, why);
		return LB_TCX_NEXT;
	}
	switch (lb_ingress(&pkt, skb->len, &to, &back, &csum_diff, &tracked)) {
	case LB_REWRITE:
		break;
	case LB_REFUSE:
		return lb_tc_refuse(skb, &pkt);
	default:
		/* a local backend's reply to a local client, translated here so that it can skip the node's forwarding too;
		 * lb_tc_egress translates the others where they leave for their client */
		if (!lb_tc_local_reply(skb, &pkt, &to, &csum_diff))
			return LB_TCX_NEXT;
		back = 0;
		reply = 1;
	}
	if (lb_tc_rewrite(skb, &pkt, &to, csum_diff)) {
		lb_drop(LB_DROP_REWRITE_FAILED);
		return LB_TCX_DROP;
	}
	if (back) {
		if (lb_tc_turn_around(skb)) {
			lb_drop(LB_DROP_TURNAROUND_FAILED);
			return LB_TCX_DROP;
		}
		return bpf_redirect(skb->ifindex, 0);
	}
	if (reply)
		return lb_tc_to_peer(skb, to.family);
	if (tracked && (tracked->flags & LB_FLOW_F_ROUTED))
		return LB_TCX_PASS;  /* checked here, not in lb_tc_deliver: a call less for a remote backend's packets */
	return lb_tc_deliver(skb, &to, tracked);
}

SEC("tcx/egress")
int lb_tc_egress(struct __sk_buff *skb)
{
	struct lb_pkt pkt = {};
	struct lb_flow_key to;
	__u32 csum_diff;
	int why;

	lb_tc_pull(skb);
	why = lb_parse((void *)(long)skb->data, (void *)(long)skb->data_end, skb->len, &pkt);
	if (why) {
		lb_egress_unparsed(&pkt, why);
		return LB_TCX_NEXT;
	}
	if (lb_egress(&pkt, skb->len, &to, &csum_diff) != LB_REWRITE)
		return LB_TCX_NEXT;
	if (lb_tc_rewrite(skb, &pkt, &to, csum_diff)) {
		lb_drop(LB_DROP_REWRITE_FAILED);
		return LB_TCX_DROP;
	}
	return LB_TCX_PASS;
}

/*
 * xdp mode: whether pkt, at tcx ingress after lb_xdp_ingress passed it, is a client's packet that program rewrote to
 * a backend, and may go straight to that backend's veth peer (lb_tc_route, whose answer is left in lb_scratch). XDP
 * leaves no mark an skb can carry here, so the packet is known by its flow: the VIP lb_backend_vips recorded for its
 * destination, and the client's live entry for that VIP naming this backend (lb_endpoint_flow). A flow whose route
 * leads elsewhere is marked routed, as tc mode marks it; one to a shared endpoint (behind several VIPs) is left to the
 * stack. Not inlined: its frame stays out of lb_tc_turnaround's.
 */
static __attribute__((noinline)) int lb_xdp_rewritten_to_peer(struct __sk_buff *skb, const struct lb_pkt *pkt)
{
	struct lb_vip_key endpoint = {};
	struct lb_backend_vip *known;
	struct lb_flow_key forward;
	struct lb_flow_ref ref;
	struct lb_flow *flow;
	int route;

	if (!lb_addr_maybe_in(&lb_backend_filter, pkt->key.dst))
		return 0;
	lb_endpoint_key(&endpoint, pkt->key.dst, pkt->key.dport, pkt);
	known = bpf_map_lookup_elem(&lb_backend_vips, &endpoint);
	if (!known || (known->flags & LB_BACKEND_VIP_F_SHARED))
		return 0;
	flow = lb_endpoint_flow(pkt->key.src, pkt->key.sport, pkt->key.dst, pkt->key.dport, known, pkt, 0, &forward,
				lb_now(), &ref);
	if (!flow || (flow->flags & LB_FLOW_F_ROUTED))
		return 0;
	route = lb_tc_route(skb, &pkt->key);
	if (route == LB_ROUTE_STACK)
		flow->flags |= LB_FLOW_F_ROUTED;
	return route == LB_ROUTE_PEER;
}

/*
 * xdp mode's tcx ingress on a veth: sends back out of its interface a hairpin packet lb_xdp_ingress rewrote and
 * passed (XDP_TX cannot reach a veth peer without NAPI). It knows them by their addresses (lb_hairpin_rewritten):
 * XDP's metadata area would carry a mark more cheaply, but kernels may refuse bpf_xdp_adjust_meta (6.18 here does).
 * It also does for xdp mode what lb_tc_ingress does after its rewrite: a packet lb_xdp_ingress rewrote to a backend
 * behind one of the node's registered veths, and a local backend's reply to a local client (translated here, as in tc
 * mode), go straight to that veth's peer (lb_tc_to_peer). Any other packet passes; one that does not parse was counted
 * by lb_xdp_ingress, which saw it first.
 */
SEC("tcx/ingress")
int lb_tc_turnaround(struct __sk_buff *skb)
{
	struct lb_pkt pkt = {};
	struct lb_flow_key to;
	__u32 csum_diff;

	lb_tc_pull(skb);
	if (lb_parse((void *)(long)skb->data, (void *)(long)skb->data_end, skb->len, &pkt))
		return LB_TCX_NEXT;
	if (lb_hairpin_rewritten(&pkt)) {
		if (lb_tc_turn_around(skb)) {
			lb_drop(LB_DROP_TURNAROUND_FAILED);
			return LB_TCX_DROP;
		}
		return bpf_redirect(skb->ifindex, 0);
	}
	if (lb_xdp_rewritten_to_peer(skb, &pkt))
		return lb_tc_to_peer(skb, pkt.key.family);
	if (!lb_tc_local_reply(skb, &pkt, &to, &csum_diff))
		return LB_TCX_NEXT;
	if (lb_tc_rewrite(skb, &pkt, &to, csum_diff)) {
		lb_drop(LB_DROP_REWRITE_FAILED);
		return LB_TCX_DROP;
	}
	return lb_tc_to_peer(skb, to.family);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
