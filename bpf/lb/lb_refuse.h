/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* lb_refuse.h: the answer to a flow refused for want of a backend, built into a buffer (TCP RST, ICMP or ICMPv6
 * port unreachable); each mode puts it on the wire its own way. */
#ifndef NAVSTAR_LB_REFUSE_H
#define NAVSTAR_LB_REFUSE_H

#include "lb_parse.h"
#include "lb_csum.h"

/* Fills a RST answering the segment pkt describes (RFC 793, "Reset Generation"); checksum left zero. */
static __always_inline void lb_fill_rst(struct tcphdr *tcp, const struct lb_pkt *pkt)
{
	__builtin_memset(tcp, 0, sizeof(*tcp));
	tcp->source = pkt->key.dport;
	tcp->dest = pkt->key.sport;
	tcp->doff = 5;
	tcp->rst = 1;
	if (pkt->tcp_flags & LB_TCP_ACK) {
		tcp->seq = bpf_htonl(pkt->ack_seq);
	} else {
		tcp->ack = 1;
		tcp->ack_seq = bpf_htonl(pkt->seq + pkt->payload_len +
					 ((pkt->tcp_flags & LB_TCP_SYN) ? 1 : 0) +
					 ((pkt->tcp_flags & LB_TCP_FIN) ? 1 : 0));
	}
}

/*
 * Builds the answer to a flow refused for want of a backend into buf, from the original packet's first
 * bytes orig (Ethernet + L3 header + 8 bytes of L4: 42 bytes for IPv4, 62 for IPv6). TCP gets a RST
 * (RFC 793, "Reset Generation"), UDP an ICMP port unreachable (RFC 792; RFC 4443 section 3.1) quoting
 * the original header. Returns the answer's length, or 0 when there is none to give.
 */
static __always_inline __u32 lb_build_refusal(const struct lb_pkt *pkt, const __u8 *orig, __u8 *buf)
{
	struct ethhdr *eth = (struct ethhdr *)buf;
	const struct ethhdr *oeth = (const struct ethhdr *)orig;

	__builtin_memcpy(eth->h_dest, oeth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, oeth->h_dest, ETH_ALEN);
	eth->h_proto = oeth->h_proto;

	if (pkt->key.family == LB_AF_INET) {
		struct iphdr *ip = (struct iphdr *)(buf + ETH_HLEN);
		const struct iphdr *oip = (const struct iphdr *)(orig + ETH_HLEN);
		__u32 len;

		if (oip->ihl != 5)
			return 0;
		ip->version = 4;
		ip->ihl = 5;
		ip->tos = 0;
		ip->id = 0;
		ip->frag_off = bpf_htons(0x4000);
		ip->ttl = 64;
		ip->check = 0;
		ip->saddr = pkt->key.dst[0];
		ip->daddr = pkt->key.src[0];
		if (pkt->key.proto == IPPROTO_TCP_) {
			struct tcphdr *tcp = (struct tcphdr *)(buf + ETH_HLEN + 20);
			__u32 pseudo[3];

			len = LB_RST4_LEN;
			ip->protocol = IPPROTO_TCP_;
			ip->tot_len = bpf_htons(40);
			lb_fill_rst(tcp, pkt);
			pseudo[0] = ip->saddr;
			pseudo[1] = ip->daddr;
			pseudo[2] = bpf_htonl((IPPROTO_TCP_ << 16) | 20);
			tcp->check = lb_csum_fold(lb_csum_words(pseudo, 6) + lb_csum_words(tcp, 10));
		} else {
			__u8 *icmp = buf + ETH_HLEN + 20;

			len = LB_ICMP4_LEN;
			ip->protocol = IPPROTO_ICMP_;
			ip->tot_len = bpf_htons(20 + 8 + 28);
			icmp[0] = 3;  /* destination unreachable */
			icmp[1] = 3;  /* port unreachable */
			*(__u16 *)(icmp + 2) = 0;
			*(__u32 *)(icmp + 4) = 0;
			__builtin_memcpy(icmp + 8, orig + ETH_HLEN, 28);
			*(__u16 *)(icmp + 2) = lb_csum_fold(lb_csum_words(icmp, 18));
		}
		ip->check = lb_csum_fold(lb_csum_words(ip, 10));
		return len;
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(buf + ETH_HLEN);
		__u32 pseudo[10];
		__u32 l4_len;
		__u8 *l4 = buf + ETH_HLEN + 40;

		*(__u32 *)ip6 = bpf_htonl(0x60000000);
		ip6->hop_limit = 64;
		__builtin_memcpy(&ip6->saddr, pkt->key.dst, 16);
		__builtin_memcpy(&ip6->daddr, pkt->key.src, 16);
		__builtin_memcpy(pseudo, pkt->key.dst, 16);
		__builtin_memcpy(pseudo + 4, pkt->key.src, 16);
		if (pkt->key.proto == IPPROTO_TCP_) {
			struct tcphdr *tcp = (struct tcphdr *)l4;

			l4_len = 20;
			ip6->nexthdr = IPPROTO_TCP_;
			lb_fill_rst(tcp, pkt);
			ip6->payload_len = bpf_htons(20);
			pseudo[8] = bpf_htonl(20);
			pseudo[9] = bpf_htonl(IPPROTO_TCP_);
			tcp->check = lb_csum_fold(lb_csum_words(pseudo, 20) + lb_csum_words(tcp, 10));
			return LB_RST6_LEN;
		}
		l4_len = 8 + 48;
		ip6->nexthdr = IPPROTO_ICMPV6_;
		ip6->payload_len = bpf_htons(l4_len);
		l4[0] = 1;  /* destination unreachable */
		l4[1] = 4;  /* port unreachable */
		*(__u16 *)(l4 + 2) = 0;
		*(__u32 *)(l4 + 4) = 0;
		__builtin_memcpy(l4 + 8, orig + ETH_HLEN, 48);
		pseudo[8] = bpf_htonl(l4_len);
		pseudo[9] = bpf_htonl(IPPROTO_ICMPV6_);
		*(__u16 *)(l4 + 2) = lb_csum_fold(lb_csum_words(pseudo, 20) + lb_csum_words(l4, 28));
		return LB_ICMP6_LEN;
	}
}

#endif
