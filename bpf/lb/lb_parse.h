/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* lb_parse.h: packet parsing with a cursor, one parse_* per header, each bounds-checked. Shared by tc
 * and XDP (both give data/data_end). A packet we cannot fully read is passed on untouched, and lb_parse says why. */
#ifndef NAVSTAR_LB_PARSE_H
#define NAVSTAR_LB_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include "lb_structs.h"
#include "lb_consts.h"

/*
 * lb_parse's answer for a frame that is not IPv4 or IPv6, or too short to show its addresses: none of the load
 * balancer's business, never counted. Any other refusal is an enum lb_drop_reason (> 0), with the packet's family
 * and addresses filled in, so the caller can tell whether it was the load balancer's.
 */
#define LB_PARSE_NOT_IP (-1)

struct lb_cursor {
	void *pos;
	void *end;
	int why;  /* when a parse_* returns NULL: LB_PARSE_NOT_IP or an enum lb_drop_reason */
};

/* What the data plane knows of a parsed packet. Offsets are from the start of the Ethernet header. */
struct lb_pkt {
	struct lb_flow_key key;  /* tuple as on the wire */
	__u32 l3_off;
	__u32 l4_off;
	__u32 l4_csum_off;       /* offset of the TCP or UDP checksum field */
	__u32 payload_len;       /* L4 payload bytes (for TCP RST acknowledgement) */
	__u32 seq;               /* TCP, host order */
	__u32 ack_seq;           /* TCP, host order */
	__u16 udp_csum;          /* UDP checksum as received (0 = none, IPv4 only) */
	__u8  tcp_flags;         /* TCP_FLAG_* */
	__u8  pad;
};

/* A parse_* refuses the header at the cursor: records why, returns NULL. */
static __always_inline void *parse_refuse(struct lb_cursor *c, int why)
{
	c->why = why;
	return NULL;
}

static __always_inline struct ethhdr *parse_eth(struct lb_cursor *c)
{
	struct ethhdr *eth = c->pos;

	if ((void *)(eth + 1) > c->end)
		return parse_refuse(c, LB_PARSE_NOT_IP);
	c->pos = eth + 1;
	return eth;
}

/* An IPv4 header, not a fragment. The addresses go into pkt as soon as the fixed header is in bounds. */
static __always_inline struct iphdr *parse_ipv4(struct lb_cursor *c, struct lb_pkt *pkt)
{
	struct iphdr *ip = c->pos;
	__u32 hdr_len;

	if ((void *)(ip + 1) > c->end)
		return parse_refuse(c, LB_PARSE_NOT_IP);
	pkt->key.family = LB_AF_INET;
	pkt->key.src[0] = ip->saddr;
	pkt->key.dst[0] = ip->daddr;
	if (ip->version != 4 || ip->ihl < LB_IPV4_HLEN / 4)
		return parse_refuse(c, LB_DROP_MALFORMED);
	hdr_len = ip->ihl * 4;
	if (c->pos + hdr_len > c->end)
		return parse_refuse(c, LB_DROP_TOO_SHORT);
	/* A fragment carries no (or not all of the) L4 header: not ours to touch. */
	if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return parse_refuse(c, LB_DROP_FRAGMENT);
	if (bpf_ntohs(ip->tot_len) < hdr_len)
		return parse_refuse(c, LB_DROP_MALFORMED);
	c->pos += hdr_len;
	return ip;
}

/* An IPv6 fixed header. The addresses go into pkt as soon as it is in bounds. */
static __always_inline struct ipv6hdr *parse_ipv6(struct lb_cursor *c, struct lb_pkt *pkt)
{
	struct ipv6hdr *ip6 = c->pos;

	if ((void *)(ip6 + 1) > c->end)
		return parse_refuse(c, LB_PARSE_NOT_IP);
	pkt->key.family = LB_AF_INET6;
	__builtin_memcpy(pkt->key.src, &ip6->saddr, sizeof(pkt->key.src));
	__builtin_memcpy(pkt->key.dst, &ip6->daddr, sizeof(pkt->key.dst));
	if (ip6->version != 6)
		return parse_refuse(c, LB_DROP_MALFORMED);
	c->pos = ip6 + 1;
	return ip6;
}

static __always_inline struct tcphdr *parse_tcp(struct lb_cursor *c)
{
	struct tcphdr *tcp = c->pos;

	if ((void *)(tcp + 1) > c->end)
		return parse_refuse(c, LB_DROP_TOO_SHORT);
	if (tcp->doff < LB_TCP_HLEN / 4)
		return parse_refuse(c, LB_DROP_MALFORMED);
	c->pos = tcp + 1;
	return tcp;
}

static __always_inline struct udphdr *parse_udp(struct lb_cursor *c)
{
	struct udphdr *udp = c->pos;

	if ((void *)(udp + 1) > c->end)
		return parse_refuse(c, LB_DROP_TOO_SHORT);
	if (bpf_ntohs(udp->len) < sizeof(*udp))
		return parse_refuse(c, LB_DROP_MALFORMED);
	c->pos = udp + 1;
	return udp;
}

/*
 * Parses Ethernet, IPv4 or IPv6 (no extension headers), and TCP or UDP into pkt. pkt_len is the whole
 * packet's length (an skb's linear part may be shorter). Returns 0 when the packet is one the load
 * balancer may look at; else it must pass untouched (truncated packets are never rewritten), and the answer says
 * why: LB_PARSE_NOT_IP, or an enum lb_drop_reason with the addresses filled in.
 */
static __always_inline int lb_parse(void *data, void *data_end, __u32 pkt_len, struct lb_pkt *pkt)
{
	struct lb_cursor c = { .pos = data, .end = data_end };
	struct ethhdr *eth;
	__u32 l4_total;
	__u8 proto;

	eth = parse_eth(&c);
	if (!eth)
		return c.why;
	pkt->l3_off = ETH_HLEN;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = parse_ipv4(&c, pkt);

		if (!ip)
			return c.why;
		proto = ip->protocol;
		if (ETH_HLEN + (__u32)bpf_ntohs(ip->tot_len) > pkt_len)
			return LB_DROP_TOO_SHORT;
		l4_total = bpf_ntohs(ip->tot_len) - ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = parse_ipv6(&c, pkt);

		if (!ip6)
			return c.why;
		proto = ip6->nexthdr;
		l4_total = bpf_ntohs(ip6->payload_len);
		if (ETH_HLEN + sizeof(*ip6) + l4_total > pkt_len)
			return LB_DROP_TOO_SHORT;
		if (proto == IPPROTO_FRAGMENT_)
			return LB_DROP_FRAGMENT;
	} else {
		return LB_PARSE_NOT_IP;
	}
	pkt->l4_off = c.pos - data;
	pkt->key.proto = proto;

	if (proto == IPPROTO_TCP_) {
		struct tcphdr *tcp = parse_tcp(&c);
		__u32 hdr_len;

		if (!tcp)
			return c.why;
		hdr_len = tcp->doff * 4;
		if (l4_total < hdr_len)
			return LB_DROP_MALFORMED;
		pkt->key.sport = tcp->source;
		pkt->key.dport = tcp->dest;
		pkt->l4_csum_off = pkt->l4_off + offsetof(struct tcphdr, check);
		pkt->payload_len = l4_total - hdr_len;
		pkt->seq = bpf_ntohl(tcp->seq);
		pkt->ack_seq = bpf_ntohl(tcp->ack_seq);
		pkt->tcp_flags = ((__u8 *)tcp)[13];
	} else if (proto == IPPROTO_UDP_) {
		struct udphdr *udp = parse_udp(&c);

		if (!udp)
			return c.why;
		if (l4_total < sizeof(*udp) || bpf_ntohs(udp->len) > l4_total)
			return LB_DROP_MALFORMED;
		pkt->key.sport = udp->source;
		pkt->key.dport = udp->dest;
		pkt->l4_csum_off = pkt->l4_off + offsetof(struct udphdr, check);
		pkt->payload_len = l4_total - sizeof(*udp);
		pkt->udp_csum = udp->check;
	} else {
		return LB_DROP_UNSUPPORTED_PROTO;
	}
	return 0;
}

#endif
