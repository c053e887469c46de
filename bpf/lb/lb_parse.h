/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* lb_parse.h: packet parsing with a cursor, one parse_* per header, each bounds-checked. Shared by tc
 * and XDP (both give data/data_end). A packet we cannot fully read is passed on untouched. */
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

struct lb_cursor {
	void *pos;
	void *end;
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

static __always_inline struct ethhdr *parse_eth(struct lb_cursor *c)
{
	struct ethhdr *eth = c->pos;

	if ((void *)(eth + 1) > c->end)
		return NULL;
	c->pos = eth + 1;
	return eth;
}

static __always_inline struct iphdr *parse_ipv4(struct lb_cursor *c)
{
	struct iphdr *ip = c->pos;
	__u32 hdr_len;

	if ((void *)(ip + 1) > c->end)
		return NULL;
	if (ip->version != 4 || ip->ihl < 5)
		return NULL;
	hdr_len = ip->ihl * 4;
	if (c->pos + hdr_len > c->end)
		return NULL;
	/* A fragment carries no (or not all of the) L4 header: not ours to touch. */
	if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return NULL;
	if (bpf_ntohs(ip->tot_len) < hdr_len)
		return NULL;
	c->pos += hdr_len;
	return ip;
}

static __always_inline struct ipv6hdr *parse_ipv6(struct lb_cursor *c)
{
	struct ipv6hdr *ip6 = c->pos;

	if ((void *)(ip6 + 1) > c->end)
		return NULL;
	if (ip6->version != 6)
		return NULL;
	c->pos = ip6 + 1;
	return ip6;
}

static __always_inline struct tcphdr *parse_tcp(struct lb_cursor *c)
{
	struct tcphdr *tcp = c->pos;

	if ((void *)(tcp + 1) > c->end)
		return NULL;
	if (tcp->doff < 5)
		return NULL;
	c->pos = tcp + 1;
	return tcp;
}

static __always_inline struct udphdr *parse_udp(struct lb_cursor *c)
{
	struct udphdr *udp = c->pos;

	if ((void *)(udp + 1) > c->end)
		return NULL;
	if (bpf_ntohs(udp->len) < sizeof(*udp))
		return NULL;
	c->pos = udp + 1;
	return udp;
}

/*
 * Parses Ethernet, IPv4 or IPv6 (no extension headers), and TCP or UDP into pkt. pkt_len is the whole
 * packet's length (an skb's linear part may be shorter). Returns 0 when the packet is one the load
 * balancer may look at, -1 when it must pass untouched (not IP, not TCP/UDP, a fragment, or any
 * header or length that does not fit the packet: truncated packets are never rewritten).
 */
static __always_inline int lb_parse(void *data, void *data_end, __u32 pkt_len, struct lb_pkt *pkt)
{
	struct lb_cursor c = { .pos = data, .end = data_end };
	struct ethhdr *eth;
	__u32 l4_total;
	__u8 proto;

	eth = parse_eth(&c);
	if (!eth)
		return -1;
	pkt->l3_off = ETH_HLEN;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = parse_ipv4(&c);

		if (!ip)
			return -1;
		pkt->key.family = LB_AF_INET;
		pkt->key.src[0] = ip->saddr;
		pkt->key.dst[0] = ip->daddr;
		proto = ip->protocol;
		if (ETH_HLEN + (__u32)bpf_ntohs(ip->tot_len) > pkt_len)
			return -1;
		l4_total = bpf_ntohs(ip->tot_len) - ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = parse_ipv6(&c);

		if (!ip6)
			return -1;
		pkt->key.family = LB_AF_INET6;
		__builtin_memcpy(pkt->key.src, &ip6->saddr, 16);
		__builtin_memcpy(pkt->key.dst, &ip6->daddr, 16);
		proto = ip6->nexthdr;
		l4_total = bpf_ntohs(ip6->payload_len);
		if (ETH_HLEN + sizeof(*ip6) + l4_total > pkt_len)
			return -1;
	} else {
		return -1;
	}
	pkt->l4_off = c.pos - data;
	pkt->key.proto = proto;

	if (proto == IPPROTO_TCP_) {
		struct tcphdr *tcp = parse_tcp(&c);
		__u32 hdr_len;

		if (!tcp)
			return -1;
		hdr_len = tcp->doff * 4;
		if (l4_total < hdr_len)
			return -1;
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
			return -1;
		if (l4_total < sizeof(*udp) || bpf_ntohs(udp->len) > l4_total)
			return -1;
		pkt->key.sport = udp->source;
		pkt->key.dport = udp->dest;
		pkt->l4_csum_off = pkt->l4_off + offsetof(struct udphdr, check);
		pkt->payload_len = l4_total - sizeof(*udp);
		pkt->udp_csum = udp->check;
	} else {
		return -1;
	}
	return 0;
}

#endif
