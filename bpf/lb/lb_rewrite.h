/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* lb_rewrite.h: writing a NAT decision's tuple over a packet's headers, and the checksum differences it makes (RFC
 * 1624). The L4 checksum is left to each mode (lb_tc.bpf.c, lb_xdp.bpf.c), which alone knows how the packet's
 * checksum is kept. */
#ifndef NAVSTAR_LB_REWRITE_H
#define NAVSTAR_LB_REWRITE_H

#include "lb_parse.h"
#include "lb_csum.h"

/*
 * The checksum difference of rewriting tuple from into tuple to, packed as struct lb_flow's csum_diff (addresses
 * in bits 31..16, ports in 15..0, each a folded one's-complement sum; RFC 1624 eqn. 3); never zero, so zero can
 * mean "not known".
 */
static __always_inline __u32 lb_tuple_csum_diff(const struct lb_flow_key *from, const struct lb_flow_key *to)
{
	__u16 from_ports[2] = { from->sport, from->dport };
	__u16 to_ports[2] = { to->sport, to->dport };
	__u32 addr;

	if (from->family == LB_AF_INET) {
		__u32 from_addr[2] = { from->src[0], from->dst[0] };
		__u32 to_addr[2] = { to->src[0], to->dst[0] };

		addr = lb_csum_diff_words(from_addr, to_addr, LB_CSUM_WORDS(from_addr));
	} else {
		addr = lb_csum_diff_words(from->src, to->src, LB_CSUM_WORDS(from->src)) +
		       lb_csum_diff_words(from->dst, to->dst, LB_CSUM_WORDS(from->dst));
	}
	/* a difference of zero is 0 or minus zero in one's complement: minus zero keeps the packed value non-zero */
	return ((__u32)(lb_csum_fold_sum(addr) ?: LB_CSUM_MINUS_ZERO) << LB_CSUM_DIFF_ADDR_SHIFT) |
	       (lb_csum_fold_sum(lb_csum_diff_words(from_ports, to_ports, LB_CSUM_WORDS(from_ports))) ?:
		LB_CSUM_MINUS_ZERO);
}

/*
 * Writes the tuple *to over the packet at data (Ethernet first; headers bounds-checked here) and updates
 * the IPv4 header checksum (RFC 1624). known_diff, when not zero, is the flow's checksum difference
 * (struct lb_flow's csum_diff, or its complement for a reply) and spares computing it. The L4 checksum is left to the caller, which gets the checksum
 * differences of the addresses (pseudo header) and of the ports: tc applies them with bpf_l4_csum_replace
 * (CHECKSUM_PARTIAL aware), XDP by hand. Returns 0, or -1 when a header is out of bounds.
 */
static __always_inline int lb_rewrite_headers(void *data, void *data_end, const struct lb_pkt *pkt,
					      const struct lb_flow_key *to, __u32 known_diff, __s64 *addr_diff,
					      __s64 *port_diff)
{
	__u16 from_ports[2] = { pkt->key.sport, pkt->key.dport };
	__u16 to_ports[2] = { to->sport, to->dport };
	/* Verifier workaround: mask the offset so the pointer's range is known. */
	__u32 l4_off = pkt->l4_off & LB_HDR_OFF_MASK;
	__u16 *ports = data + l4_off;

	if ((void *)(ports + 2) > data_end)
		return -1;
	if (pkt->key.family == LB_AF_INET) {
		struct iphdr *ip = data + ETH_HLEN;
		__u32 from_addr[2] = { pkt->key.src[0], pkt->key.dst[0] };
		__u32 to_addr[2] = { to->src[0], to->dst[0] };

		if ((void *)(ip + 1) > data_end)
			return -1;
		*addr_diff = known_diff ? known_diff >> LB_CSUM_DIFF_ADDR_SHIFT :
					  lb_csum_diff_words(from_addr, to_addr, LB_CSUM_WORDS(from_addr));
		ip->saddr = to_addr[0];
		ip->daddr = to_addr[1];
		ip->check = lb_csum_apply(ip->check, *addr_diff);
	} else {
		struct ipv6hdr *ip6 = data + ETH_HLEN;
		__u32 from_addr[8];
		__u32 to_addr[8];

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		if (known_diff) {
			*addr_diff = known_diff >> LB_CSUM_DIFF_ADDR_SHIFT;
		} else {
			__builtin_memcpy(from_addr, pkt->key.src, sizeof(pkt->key.src));
			__builtin_memcpy(from_addr + 4, pkt->key.dst, sizeof(pkt->key.dst));
			__builtin_memcpy(to_addr, to->src, sizeof(to->src));
			__builtin_memcpy(to_addr + 4, to->dst, sizeof(to->dst));
			*addr_diff = lb_csum_diff_words(from_addr, to_addr, LB_CSUM_WORDS(from_addr));
		}
		__builtin_memcpy(&ip6->saddr, to->src, sizeof(ip6->saddr));
		__builtin_memcpy(&ip6->daddr, to->dst, sizeof(ip6->daddr));
	}
	*port_diff = known_diff ? known_diff & LB_CSUM_DIFF_PORTS_MASK :
				  lb_csum_diff_words(from_ports, to_ports, LB_CSUM_WORDS(from_ports));
	ports[0] = to_ports[0];
	ports[1] = to_ports[1];
	return 0;
}

/* True when the L4 checksum must be kept up to date (not an IPv4 UDP datagram sent without one). */
static __always_inline int lb_has_l4_csum(const struct lb_pkt *pkt)
{
	return !(pkt->key.proto == IPPROTO_UDP_ && pkt->key.family == LB_AF_INET && pkt->udp_csum == 0);
}

#endif
