/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* lb_consts.h: constants of Minuteman's data plane; map sizes are overridable (-DLB_MAX_VIPS=...),
 * and the control plane overrides them again at load time from the host's memory. */
#ifndef NAVSTAR_LB_CONSTS_H
#define NAVSTAR_LB_CONSTS_H

#ifndef LB_MAX_VIPS
#define LB_MAX_VIPS 65536
#endif
#ifndef LB_MAX_BACKENDS
#define LB_MAX_BACKENDS 262144
#endif
#ifndef LB_MAX_FLOWS
#define LB_MAX_FLOWS 1048576
#endif
/* Buckets of lb_flow_buckets, LB_FLOW_WAYS flows each (a power of two; the control plane sets it from lb.max_flows). */
#ifndef LB_FLOW_BUCKETS
#define LB_FLOW_BUCKETS (LB_MAX_FLOWS / 4)
#endif
/* Entries of lb_peer_ifaces: container-facing veths of one node. */
#ifndef LB_MAX_PEER_IFACES
#define LB_MAX_PEER_IFACES 4096
#endif
/* Slots of tc mode's route cache (lb_route_cache in lb_tc.bpf.c) per CPU, a power of two, and how long an answer
 * in one is used. */
#define LB_ROUTE_SLOTS 1024
#define LB_ROUTE_TTL_NS (100ull * 1000000ull)
/* The size of lb_events, which no program writes any more (lb_maps.h): kept, as a pinned map must keep its size. */
#ifndef LB_EVENTS_BYTES
#define LB_EVENTS_BYTES (1 << 22)
#endif

/* Slots of lb_drops, one per enum lb_drop_reason: more than the reasons so far, so a data plane with reasons added
 * can reuse the map an older one pinned (a pinned map is reused only when its size is the same). */
#ifndef LB_DROP_SLOTS
#define LB_DROP_SLOTS 64
#endif

/* Defaults used when lb_config holds zeros (the control plane normally writes it). */
#define LB_DEFAULT_TCP_TIMEOUT_NS   (3600ull * 1000000000ull)
#define LB_DEFAULT_TCP_CLOSING_NS   (10ull * 1000000000ull)
#define LB_DEFAULT_UDP_TIMEOUT_NS   (60ull * 1000000000ull)
/* An entry's expiry is rewritten at most this often, to keep per-packet writes rare. */
#define LB_REFRESH_NS               (1000000000ull)

#define LB_NO_BACKEND 0xffffffffu

#define LB_EEXIST     17  /* errno-base.h: a BPF_NOEXIST update found the key */

#define ETH_ALEN      6
#define ETH_HLEN      14
#define ETH_P_IP      0x0800
#define ETH_P_IPV6    0x86DD
#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_  6
#define IPPROTO_UDP_  17
#define IPPROTO_ICMPV6_ 58
#define IPPROTO_FRAGMENT_ 44  /* IPv6 fragment header */

#define IP_DF         0x4000  /* IPv4 "don't fragment" */
#define IP_MF         0x2000
#define IP_OFFSET     0x1FFF

/* Header lengths: IPv4 without options and at most, IPv6's fixed header, TCP without options, ICMP and ICMPv6. */
#define LB_IPV4_HLEN      20
#define LB_IPV4_MAX_HLEN  60
#define LB_IPV6_HLEN      40
#define LB_TCP_HLEN       20
#define LB_ICMP_HLEN      8

#define LB_TCP_FIN  0x01
#define LB_TCP_SYN  0x02
#define LB_TCP_RST  0x04
#define LB_TCP_ACK  0x10

/* tc verdicts (linux/pkt_cls.h) */
#define TC_ACT_OK     0
#define TC_ACT_SHOT   2
#define TC_ACT_REDIRECT 7

/* What an ICMP refusal quotes of the refused packet: its IP header and the first 8 bytes of its L4 header, which
 * hold the ports (RFC 792; RFC 4443 section 3.1 asks for as much as fits, the ports are what a client matches). */
#define LB_QUOTE4_LEN (LB_IPV4_HLEN + 8)
#define LB_QUOTE6_LEN (LB_IPV6_HLEN + 8)

/* Sizes of the refusal packets we build (Ethernet included). */
#define LB_RST4_LEN   (ETH_HLEN + LB_IPV4_HLEN + LB_TCP_HLEN)
#define LB_RST6_LEN   (ETH_HLEN + LB_IPV6_HLEN + LB_TCP_HLEN)
#define LB_ICMP4_LEN  (ETH_HLEN + LB_IPV4_HLEN + LB_ICMP_HLEN + LB_QUOTE4_LEN)
#define LB_ICMP6_LEN  (ETH_HLEN + LB_IPV6_HLEN + LB_ICMP_HLEN + LB_QUOTE6_LEN)
/* Bytes of lb_scratch's buffer, where refusals are built: at least the longest refusal. */
#ifndef LB_REPLY_MAX
#define LB_REPLY_MAX  128
#endif
_Static_assert(LB_REPLY_MAX >= LB_ICMP6_LEN, "LB_REPLY_MAX holds no ICMPv6 refusal");

/* The refusals' TTL and hop limit (Linux's default, net.ipv4.ip_default_ttl). */
#define LB_REFUSAL_TTL 64
/* ICMP destination unreachable, port unreachable (RFC 792); ICMPv6 the same (RFC 4443 section 3.1). */
#define LB_ICMP_DEST_UNREACH   3
#define LB_ICMP_PORT_UNREACH   3
#define LB_ICMPV6_DEST_UNREACH 1
#define LB_ICMPV6_PORT_UNREACH 4
/* An IPv6 header's first word: version 6, traffic class and flow label zero (RFC 8200 section 3). */
#define LB_IPV6_VERSION_WORD 0x60000000

/* Verifier workaround: header offsets are masked to a byte so a pointer's range is known (the deepest, an IPv4
 * header with options, ends at ETH_HLEN + LB_IPV4_MAX_HLEN = 74). */
#define LB_HDR_OFF_MASK 0xff

/* struct lb_flow's csum_diff: the addresses' difference in bits 31..16, the ports' in 15..0. */
#define LB_CSUM_DIFF_ADDR_SHIFT 16
#define LB_CSUM_DIFF_PORTS_MASK 0xffff
/* One's-complement minus zero: a difference of zero stored as it (so a stored zero can mean "not known"), and a
 * computed UDP checksum of zero sent as it (RFC 768: zero means "no checksum"). */
#define LB_CSUM_MINUS_ZERO 0xffff

/* A seed for a flow's second candidate bucket in lb_flow_buckets (lb_flow_buckets_of; FlowTable in Java). */
#define LB_FLOW_SECOND_SEED 0x9e3779b9u

#endif
