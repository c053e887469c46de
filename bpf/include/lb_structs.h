/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * lb_structs.h: the one ABI between Minuteman's eBPF programs (bpf/lb/) and the Java control plane.
 *
 * Every struct here has exactly one Java mirror in control-plane, package io.navstar.agent.lb.abi
 * (a StructLayout constant next to a flyweight with named accessors; the class is named after the
 * struct in UpperCamelCase: struct lb_vip_key -> LbVipKey). LbAbiLayoutTest reads the BTF of the
 * built objects and fails the build when a size or an offset here drifts from its mirror.
 *
 * Rules: fields are naturally aligned with explicit padding; addresses and ports are kept in network
 * byte order; an IPv4 address sits in addr[0] with addr[1..3] zero. Enum values (flags, drop reasons) are
 * append-only numbers: a retired value stays reserved.
 */
#ifndef NAVSTAR_LB_STRUCTS_H
#define NAVSTAR_LB_STRUCTS_H

#include <linux/types.h>

/* Address families as the kernel numbers them (AF_INET, AF_INET6). */
#define LB_AF_INET  2
#define LB_AF_INET6 10

/* Key of the VIP map: the address, port and L4 protocol a client connects to. Mirror: LbVipKey. */
struct lb_vip_key {
	__u32 addr[4];   /* VIP address, network byte order */
	__u16 port;      /* VIP port, network byte order */
	__u8  proto;     /* IPPROTO_TCP or IPPROTO_UDP */
	__u8  family;    /* LB_AF_INET or LB_AF_INET6 */
};

/* Flags of struct lb_vip_info (append-only). */
#define LB_VIP_F_NONE 0u

/*
 * Value of the VIP map. The VIP's Maglev table is the inner map in slot vip_id of lb_maglev_tables: the control plane
 * fills a new table in a fresh inner map and swaps it into the slot with one update, so a packet sees either the
 * whole old table or the whole new one, and takes M from the table it found. Mirror: LbVipInfo.
 */
struct lb_vip_info {
	__u32 vip_id;        /* slot of the Maglev table in lb_maglev_tables, index of the per-VIP counters; unique */
	__u32 reserved0;     /* reserved, zero (was table_offset, the first cell in the retired lb_maglev array) */
	__u32 table_size;    /* M of the table installed, 0 for none: for people and restarts (the data plane reads
				the table's own size) */
	__u32 flags;         /* LB_VIP_F_* */
};

/* Flags of struct lb_backend (append-only). */
#define LB_BACKEND_F_NONE 0u

/* A backend (a "real"), indexed by backend id in lb_backends. Mirror: LbBackend. */
struct lb_backend {
	__u32 addr[4];  /* network byte order */
	__u16 port;     /* network byte order */
	__u8  family;   /* LB_AF_INET or LB_AF_INET6 */
	__u8  flags;    /* LB_BACKEND_F_* */
};

/*
 * Key of the connection table (in its ways, struct lb_flow_way) and of the reverse-NAT table: a 5-tuple as the packet carries it.
 * Mirror: LbFlowKey.
 */
struct lb_flow_key {
	__u32 src[4];
	__u32 dst[4];
	__u16 sport;    /* network byte order */
	__u16 dport;    /* network byte order */
	__u8  proto;
	__u8  family;
	__u16 pad;      /* always zero */
};

/* Flags of struct lb_flow (append-only). */
#define LB_FLOW_F_CLOSING 1u  /* a FIN or RST was seen: the entry lives the closing timeout */
#define LB_FLOW_F_HAIRPIN 2u  /* the client is its own backend: source rewritten to the hairpin address */
#define LB_FLOW_F_REPLIED 4u  /* a reply was seen (on the forward entry, or on a reverse entry where one exists) */
#define LB_FLOW_F_CSUM    8u  /* csum_diff holds the rewrite's checksum difference (forward entries only) */
#define LB_FLOW_F_ROUTED 16u  /* the backend is behind no registered veth (lb_peer_ifaces): the node routes its packets */

/*
 * Connection-table value (forward direction, keyed by client -> VIP): where the flow goes. The
 * backend's address is kept in the entry so a removed backend's established flows carry on. Replies
 * find it too (through lb_backend_vips), so it is the flow's only entry unless its backend is shared
 * by several VIPs. Mirror: LbFlow.
 */
struct lb_flow {
	__u32 backend_addr[4]; /* network byte order */
	__u16 backend_port;    /* network byte order */
	__u16 flags;           /* LB_FLOW_F_* */
	__u32 backend_id;
	__u32 vip_id;
	/*
	 * With LB_FLOW_F_CSUM: what rewriting a client's packet of this flow adds to its checksums, as two 16-bit
	 * one's-complement sums (RFC 1624): bits 31..16 for the addresses (IPv4 header and L4 pseudo header), bits
	 * 15..0 for the ports; a reply's are their complements. Without the flag (entries of older programs, hairpin
	 * flows) it is zero and the difference is computed per packet.
	 */
	__u32 csum_diff;
	__u64 expires_ns;      /* CLOCK_MONOTONIC ns (lb_now) after which the entry is dead */
};

/*
 * The connection table lb_flow_buckets: a set-associative table in an array of buckets, LB_FLOW_WAYS flows a bucket.
 * A flow's tuple has two candidate buckets, both named by its lb_flow_hash (lb_flow_table.h; FlowTable in Java
 * computes the same); a lookup checks the first, then the second, and an insert takes a free or expired way in the
 * less loaded of the two, else evicts the live way that expires first ("two choices": Azar et al., Balanced
 * Allocations, STOC 1994; Mitzenmacher, The Power of Two Choices in Randomized Load Balancing, 2001), so a table at
 * half its nominal size loses almost no live flow. The bucket count is a power of two.
 *
 * A way's tag says who may read it: LB_FLOW_TAG_FREE (empty), LB_FLOW_TAG_CLAIMED (a writer owns it; readers skip
 * it), or the flow's hash with LB_FLOW_TAG_LIVE set (published; never 0 or 1). A writer claims a way with a
 * compare-and-swap of the tag it read, writes key and value, then publishes the tag with an exchange.
 */
#define LB_FLOW_WAYS         4u
#define LB_FLOW_TAG_FREE     0u
#define LB_FLOW_TAG_CLAIMED  1u
#define LB_FLOW_TAG_LIVE     2u
/* A way's coarse expiry (struct lb_flow_bucket's expiry): its flow's expires_ns shifted right by this (about 1.07 s
 * a unit; a __u32 lasts 146 years of CLOCK_MONOTONIC), rounded down so a way expired by it is expired. */
#define LB_FLOW_EXPIRY_SHIFT 30

/* One way of a bucket: a flow's tuple (client -> VIP) and where it goes. Mirror: LbFlowWay. */
struct lb_flow_way {
	struct lb_flow_key key;
	struct lb_flow flow;
};

/*
 * A bucket of lb_flow_buckets: a header of per-way tags and coarse expiries, so that finding a key or choosing a
 * victim reads one cache line, then the ways. Mirror: LbFlowBucket.
 */
struct lb_flow_bucket {
	__u32 tags[LB_FLOW_WAYS];    /* LB_FLOW_TAG_FREE, LB_FLOW_TAG_CLAIMED, or lb_flow_hash | LB_FLOW_TAG_LIVE */
	__u32 expiry[LB_FLOW_WAYS];  /* the way's flow's expires_ns >> LB_FLOW_EXPIRY_SHIFT */
	struct lb_flow_way ways[LB_FLOW_WAYS];
};

/*
 * Reverse-NAT value (keyed by the reply's tuple backend -> client): what the reply's source becomes.
 * Written only for flows whose backend lb_backend_vips cannot answer for (an endpoint behind several
 * VIPs), and kept for flows made before lb_backend_vips existed. Mirror: LbReverseNat.
 */
struct lb_reverse_nat {
	__u32 vip_addr[4];     /* network byte order */
	__u32 client_addr[4];  /* the real client (differs from the key's dst for hairpin flows) */
	__u16 vip_port;        /* network byte order */
	__u16 flags;           /* LB_FLOW_F_* */
	__u32 backend_id;
	__u32 vip_id;
	__u32 pad;             /* always zero */
	__u64 expires_ns;
};

/* Flags of struct lb_backend_vip (append-only). */
#define LB_BACKEND_VIP_F_SHARED 1u  /* the endpoint has been a backend of more than one VIP: flows keep reverse entries */

/*
 * Value of lb_backend_vips, keyed by a backend endpoint (struct lb_vip_key's layout, holding the backend's
 * address, port, protocol and family): the VIP the data plane first sent a flow to this endpoint for. A reply's
 * source names the endpoint, so this gives the VIP and with the reply's destination the client's forward entry in
 * lb_flow_buckets: one entry per backend serves the replies of all its flows, and a new flow needs no reverse entry. An
 * endpoint seen behind a second VIP is marked shared, and its flows get per-flow lb_reverse entries again.
 * Written by the data plane only, never removed. Mirror: LbBackendVip.
 */
struct lb_backend_vip {
	__u32 vip_addr[4];  /* network byte order */
	__u16 vip_port;     /* network byte order */
	__u16 flags;        /* LB_BACKEND_VIP_F_* */
	__u32 pad;          /* always zero */
};

/*
 * Value of lb_peer_ifaces, keyed by interface index (__u32): a container-facing veth of this node, registered by the
 * control plane when it attaches tc or xdp mode to it, with its hardware address as a check (an index alone may name another
 * device after the veth is gone, or in another namespace). A balanced packet routed out through one is handed
 * straight to the veth's peer in the container's namespace (bpf_redirect_peer). Mirror: LbPeerInterfaces.
 */
struct lb_peer_iface {
	__u8 mac[6];
	__u16 pad;          /* always zero */
};

/*
 * lb_vip_filter and lb_backend_filter: LB_ADDR_FILTER_WORDS __u64 words each, one bit per hash of an address
 * (lb_addr_filter_bit in lb_helpers.h; Abi.addressFilterBit in Java). A clear bit means no VIP (no backend) has the
 * address. Written by the control plane only: a bit is set before the VIP (the backend) is installed and never
 * cleared, so flows of a removed VIP or backend go on until they expire.
 */
#define LB_ADDR_FILTER_WORDS 8192u

/* lb_state's one __u64 value: flags the data plane sets and nothing clears (append-only). */
#define LB_STATE_F_REVERSE_UNINDEXED 1u  /* some lb_reverse entries belong to endpoints lb_backend_vips lacks */

/*
 * sock mode: the backends a socket was sent to and the VIPs they stand for, kept in the socket's own storage
 * (lb_sock_vips, BPF_MAP_TYPE_SK_STORAGE: freed with the socket), so getpeername() and recvmsg() show the VIP.
 * A connected socket uses one slot; an unconnected UDP socket takes one per backend it sends to, and past
 * LB_SOCK_VIP_SLOTS reuses them in turn (counted as LB_DROP_SOCK_NAT_FULL): replies from the backend whose slot was
 * taken then show the backend's address. Mirror: LbSockVip / LbSockVips.
 */
#define LB_SOCK_VIP_SLOTS 4u

struct lb_sock_vip {
	__u32 backend_addr[4];  /* network byte order */
	__u32 vip_addr[4];      /* network byte order */
	__u16 backend_port;     /* network byte order */
	__u16 vip_port;         /* network byte order */
	__u8  family;           /* LB_AF_INET or LB_AF_INET6; 0: the slot is free */
	__u8  pad0;
	__u16 pad1;
};

struct lb_sock_vips {
	struct lb_sock_vip slots[LB_SOCK_VIP_SLOTS];
	__u32 next;  /* the slot a backend takes when every slot is in use (round robin) */
	__u32 pad;
};

/* Data-plane settings, one element of lb_config. Mirror: LbConfig. */
struct lb_config {
	__u64 tcp_timeout_ns;      /* idle life of an established TCP flow */
	__u64 tcp_closing_ns;      /* life after FIN or RST */
	__u64 udp_timeout_ns;      /* idle life of a UDP flow */
	__u32 hairpin_addr4;       /* source for hairpin flows (IPv4), network order; 0 = no hairpin NAT */
	__u32 hairpin_addr6[4];    /* source for hairpin flows (IPv6) */
	__u32 flags;               /* LB_CFG_F_* */
};

#define LB_CFG_F_NONE 0u
/* The connection table may hold live flows placed by lb_flow_hash_v1 (an earlier agent's programs): a flow missed
 * under lb_flow_hash is looked for under that hash too. The agent sets it when it adopts a pinned table, and clears
 * it once no live flow is placed so (LbDataPlane.settleLegacyFlows). */
#define LB_CFG_F_LEGACY_FLOW_HASH 1u

/*
 * Per-CPU counters, per VIP (lb_vip_stats) and per backend (lb_backend_stats). The last counter means one thing for a
 * VIP and another for a backend, so it has a name for each (one slot: the layout of the single field it replaced,
 * no_backend). Mirror: LbStats.
 */
struct lb_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	union {
		__u64 refused_flows;  /* lb_vip_stats: new flows answered with RST/ICMP (EPERM) for want of a backend */
		__u64 replied_flows;  /* lb_backend_stats: flows whose first reply was seen (tc and xdp modes) */
	};
};

/*
 * Why the data plane dropped, refused, or passed untranslated a packet (or a connect()/sendmsg() in sock mode) that was
 * the load balancer's business, or failed to record what it did: the index of lb_drops, a per-CPU __u64 counter per
 * reason, each path counting once through lb_drop(). Append-only: a retired reason keeps its number, reserved.
 * Mirror: LbDropReason (which also names each reason's label in navstar_lb_drops_total; docs/metrics.md explains
 * them).
 */
enum lb_drop_reason {
	LB_DROP_NONE = 0,                /* reserved: nothing is counted under it */
	LB_DROP_NO_BACKEND = 1,          /* a new flow to a VIP with no usable backend, refused (RST, ICMP, EPERM) */
	LB_DROP_REFUSAL_FAILED = 2,      /* the same, but the refusal could not be built or sent: dropped unanswered */
	LB_DROP_NO_VIP = 3,              /* to a VIP's address, on a port and protocol no VIP (nor tracked flow) has: passed */
	LB_DROP_HAIRPIN_NO_FLOW = 4,     /* to the hairpin address, but of no tracked hairpin flow: passed */
	LB_DROP_MALFORMED = 5,           /* an IP, TCP or UDP header whose fields contradict each other: passed */
	LB_DROP_TOO_SHORT = 6,           /* ends before a header, or before the length its IP header gives: passed */
	LB_DROP_FRAGMENT = 7,            /* an IPv4 fragment or an IPv6 fragment header: passed, not balanced */
	LB_DROP_UNSUPPORTED_PROTO = 8,   /* to a VIP's address, neither TCP nor UDP (ICMP, IPv6 extension headers): passed */
	LB_DROP_REWRITE_FAILED = 9,      /* writing the new tuple or its checksums failed: dropped */
	LB_DROP_TURNAROUND_FAILED = 10,  /* sending a hairpin packet back out of its interface failed: dropped */
	LB_DROP_FLOW_TABLE_FULL = 11,    /* the connection table evicted a live flow for a new one, or took none */
	LB_DROP_REVERSE_TABLE_FULL = 12, /* lb_reverse took no entry for a new flow: its replies may show the backend */
	LB_DROP_SOCK_NAT_FULL = 13,      /* lb_sock_vips had no room (storage refused, slot reused): replies may show the backend */
	LB_DROP_EVENT_RING_FULL = 14,    /* retired: lb_events had no room for an event (no program writes it now) */
	LB_DROP_REASONS                  /* how many numbers are taken (not a reason; grows as reasons are appended) */
};

/*
 * Retired: struct lb_event, the ring-buffer record programs wrote to lb_events for a flow's first packet
 * (LB_EVENT_NEW_FLOW 1), its first reply (LB_EVENT_REPLY 2, tc and xdp modes) and a refused flow
 * (LB_EVENT_NO_BACKEND 3). The control plane's health rule samples lb_backend_stats instead; the numbers stay
 * reserved should events return.
 */

#endif /* NAVSTAR_LB_STRUCTS_H */
