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
	tcp->doff = LB_TCP_HLEN / 4;  /* in 32-bit words */
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
 * bytes orig (Ethernet, then LB_QUOTE4_LEN or LB_QUOTE6_LEN bytes: the IP header and 8 of L4). TCP gets a RST
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

		if (oip->ihl != LB_IPV4_HLEN / 4)
			return 0;  /* with options, LB_QUOTE4_LEN bytes would not reach 8 bytes into L4 */
		ip->version = 4;
		ip->ihl = LB_IPV4_HLEN / 4;
		ip->tos = 0;
		ip->id = 0;
		ip->frag_off = bpf_htons(IP_DF);
		ip->ttl = LB_REFUSAL_TTL;
		ip->check = 0;
		ip->saddr = pkt->key.dst[0];
		ip->daddr = pkt->key.src[0];
		if (pkt->key.proto == IPPROTO_TCP_) {
			struct tcphdr *tcp = (struct tcphdr *)(buf + ETH_HLEN + LB_IPV4_HLEN);
			__u32 pseudo[3];

			len = LB_RST4_LEN;
			ip->protocol = IPPROTO_TCP_;
			ip->tot_len = bpf_htons(LB_IPV4_HLEN + LB_TCP_HLEN);
			lb_fill_rst(tcp, pkt);
			pseudo[0] = ip->saddr;
			pseudo[1] = ip->daddr;
			pseudo[2] = bpf_htonl((IPPROTO_TCP_ << 16) | LB_TCP_HLEN);
			tcp->check = lb_csum_fold(lb_csum_words(pseudo, LB_CSUM_WORDS(pseudo)) +
						  lb_csum_words(tcp, LB_CSUM_WORDS(*tcp)));
		} else {
			__u8 *icmp = buf + ETH_HLEN + LB_IPV4_HLEN;

			len = LB_ICMP4_LEN;
			ip->protocol = IPPROTO_ICMP_;
			ip->tot_len = bpf_htons(LB_IPV4_HLEN + LB_ICMP_HLEN + LB_QUOTE4_LEN);
			icmp[0] = LB_ICMP_DEST_UNREACH;
			icmp[1] = LB_ICMP_PORT_UNREACH;
			*(__u16 *)(icmp + 2) = 0;
			*(__u32 *)(icmp + 4) = 0;
			__builtin_memcpy(icmp + LB_ICMP_HLEN, orig + ETH_HLEN, LB_QUOTE4_LEN);
			*(__u16 *)(icmp + 2) = lb_csum_fold(lb_csum_words(icmp, (LB_ICMP_HLEN + LB_QUOTE4_LEN) / 2));
		}
		ip->check = lb_csum_fold(lb_csum_words(ip, LB_CSUM_WORDS(*ip)));
		return len;
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(buf + ETH_HLEN);
		__u32 pseudo[10];
		__u32 l4_len;
		__u8 *l4 = buf + ETH_HLEN + LB_IPV6_HLEN;

		*(__u32 *)ip6 = bpf_htonl(LB_IPV6_VERSION_WORD);
		ip6->hop_limit = LB_REFUSAL_TTL;
		__builtin_memcpy(&ip6->saddr, pkt->key.dst, sizeof(ip6->saddr));
		__builtin_memcpy(&ip6->daddr, pkt->key.src, sizeof(ip6->daddr));
		__builtin_memcpy(pseudo, pkt->key.dst, sizeof(pkt->key.dst));
		__builtin_memcpy(pseudo + 4, pkt->key.src, sizeof(pkt->key.src));
		if (pkt->key.proto == IPPROTO_TCP_) {
			struct tcphdr *tcp = (struct tcphdr *)l4;

			l4_len = LB_TCP_HLEN;
			ip6->nexthdr = IPPROTO_TCP_;
			lb_fill_rst(tcp, pkt);
			ip6->payload_len = bpf_htons(LB_TCP_HLEN);
			pseudo[8] = bpf_htonl(LB_TCP_HLEN);
			pseudo[9] = bpf_htonl(IPPROTO_TCP_);
			tcp->check = lb_csum_fold(lb_csum_words(pseudo, LB_CSUM_WORDS(pseudo)) +
						  lb_csum_words(tcp, LB_CSUM_WORDS(*tcp)));
			return LB_RST6_LEN;
		}
		l4_len = LB_ICMP_HLEN + LB_QUOTE6_LEN;
		ip6->nexthdr = IPPROTO_ICMPV6_;
		ip6->payload_len = bpf_htons(l4_len);
		l4[0] = LB_ICMPV6_DEST_UNREACH;
		l4[1] = LB_ICMPV6_PORT_UNREACH;
		*(__u16 *)(l4 + 2) = 0;
		*(__u32 *)(l4 + 4) = 0;
		__builtin_memcpy(l4 + LB_ICMP_HLEN, orig + ETH_HLEN, LB_QUOTE6_LEN);
		pseudo[8] = bpf_htonl(l4_len);
		pseudo[9] = bpf_htonl(IPPROTO_ICMPV6_);
		*(__u16 *)(l4 + 2) = lb_csum_fold(lb_csum_words(pseudo, LB_CSUM_WORDS(pseudo)) +
						  lb_csum_words(l4, (LB_ICMP_HLEN + LB_QUOTE6_LEN) / 2));
		return LB_ICMP6_LEN;
	}
}

#endif
