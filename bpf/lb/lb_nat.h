/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* lb_nat.h: the connection-tracked NAT of tc and xdp modes, as decisions over a parsed tuple (no packet
 * access): which flows go where, and what a reply's source becomes. Each mode applies the decision with
 * its own packet writes (lb_tc.bpf.c, lb_xdp.bpf.c); refusal packets are built here into scratch. */
#ifndef NAVSTAR_LB_NAT_H
#define NAVSTAR_LB_NAT_H

#include "lb_helpers.h"
#include "lb_parse.h"
#include "lb_csum.h"

enum lb_verdict {
	LB_PASS = 0,     /* not ours: leave the packet as it is */
	LB_REWRITE = 1,  /* rewrite the tuple to *to */
	LB_REFUSE = 2,   /* a VIP with no usable backend: answer with TCP RST or ICMP unreachable */
};

static __always_inline void lb_copy_addr(__u32 *dst, const __u32 *src)
{
	dst[0] = src[0];
	dst[1] = src[1];
	dst[2] = src[2];
	dst[3] = src[3];
}

static __always_inline int lb_addr_eq(const __u32 *a, const __u32 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/* The configured source for hairpin flows of this family, or NULL when hairpin NAT is off. */
static __always_inline int lb_hairpin_addr(const struct lb_config *cfg, __u8 family, __u32 *out)
{
	if (!cfg)
		return 0;
	if (family == LB_AF_INET) {
		if (!cfg->hairpin_addr4)
			return 0;
		out[0] = cfg->hairpin_addr4;
		out[1] = 0;
		out[2] = 0;
		out[3] = 0;
		return 1;
	}
	if (!(cfg->hairpin_addr6[0] | cfg->hairpin_addr6[1] | cfg->hairpin_addr6[2] | cfg->hairpin_addr6[3]))
		return 0;
	lb_copy_addr(out, cfg->hairpin_addr6);
	return 1;
}

static __always_inline int lb_closing(const struct lb_pkt *pkt)
{
	return pkt->key.proto == IPPROTO_TCP_ && (pkt->tcp_flags & (LB_TCP_FIN | LB_TCP_RST));
}

/* A TCP SYN without ACK: the first packet of a connection. */
static __always_inline int lb_new_connection(const struct lb_pkt *pkt)
{
	return pkt->key.proto == IPPROTO_TCP_ && (pkt->tcp_flags & (LB_TCP_SYN | LB_TCP_ACK)) == LB_TCP_SYN;
}

/* Keeps an entry alive: expiry moves at most once per LB_REFRESH_NS, or at once on FIN/RST. */
static __always_inline void lb_touch(__u64 *expires_ns, __u16 *flags, const struct lb_pkt *pkt,
				     const struct lb_config *cfg, __u64 now)
{
	if (lb_closing(pkt)) {
		if (!(*flags & LB_FLOW_F_CLOSING)) {
			*flags |= LB_FLOW_F_CLOSING;
			*expires_ns = now + lb_timeout(cfg, pkt->key.proto, 1);
		}
		return;
	}
	if (*flags & LB_FLOW_F_CLOSING)
		return;
	{
		__u64 timeout = lb_timeout(cfg, pkt->key.proto, 0);

		if (*expires_ns + LB_REFRESH_NS < now + timeout)
			*expires_ns = now + timeout;
	}
}

/* A backend endpoint as lb_backend_vips keys it (struct lb_vip_key's layout). */
static __always_inline void lb_endpoint_key(struct lb_vip_key *key, const __u32 *addr, __u16 port,
					    const struct lb_pkt *pkt)
{
	lb_copy_addr(key->addr, addr);
	key->port = port;
	key->proto = pkt->key.proto;
	key->family = pkt->key.family;
}

/*
 * On a new flow to backend for the VIP pkt is addressed to: whether the flow needs its own reverse-NAT entry.
 * Not when lb_backend_vips names this VIP for the backend (the first flow to an endpoint records its VIP there),
 * since a reply then finds the forward entry itself (lb_reply_forward). An endpoint met behind a second VIP is
 * marked shared for good, and its flows get reverse entries from then on; so does a flow whose record could not
 * be written (a race with another CPU, or a full map). Either way every flow's reply is found: by its own reverse
 * entry, or through the VIP recorded first.
 */
static __always_inline int lb_needs_reverse_entry(const struct lb_backend *backend, const struct lb_pkt *pkt)
{
	struct lb_vip_key key = {};
	struct lb_backend_vip first = {};
	struct lb_backend_vip *known;
	long err;

	lb_endpoint_key(&key, backend->addr, backend->port, pkt);
	known = bpf_map_lookup_elem(&lb_backend_vips, &key);
	if (known) {
		if (known->flags & LB_BACKEND_VIP_F_SHARED)
			return 1;
		if (known->vip_port == pkt->key.dport && lb_addr_eq(known->vip_addr, pkt->key.dst))
			return 0;
		known->flags |= LB_BACKEND_VIP_F_SHARED;  /* only ever set: a racing writer sets the same bit */
		return 1;
	}
	lb_copy_addr(first.vip_addr, pkt->key.dst);
	first.vip_port = pkt->key.dport;
	err = bpf_map_update_elem(&lb_backend_vips, &key, &first, BPF_NOEXIST);
	if (!err)
		return 0;
	/* -EEXIST: another CPU recorded the endpoint first, so it is indexed and a reply that finds no forward entry
	 * through it looks the reverse entry up. Else (full) the endpoint stays unindexed, and egress must look
	 * lb_reverse up for every packet whose source lb_backend_vips does not know, from now on. */
	if (err != -LB_EEXIST)
		lb_state_set(LB_STATE_F_REVERSE_UNINDEXED);
	return 1;
}

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

		addr = lb_csum_diff_words(from_addr, to_addr, 4);
	} else {
		addr = lb_csum_diff_words(from->src, to->src, 8) + lb_csum_diff_words(from->dst, to->dst, 8);
	}
	/* a difference of zero is 0 or 0xffff in one's complement: 0xffff keeps the packed value non-zero */
	return ((__u32)(lb_csum_fold_sum(addr) ?: 0xffff) << 16) |
	       (lb_csum_fold_sum(lb_csum_diff_words(from_ports, to_ports, 2)) ?: 0xffff);
}

/*
 * The reverse-NAT entry of a new flow whose backend lb_backend_vips cannot answer for: keyed by the reply's tuple,
 * backend -> reply_to (the client, or the hairpin address when the client is the backend).
 */
static __always_inline void lb_insert_reverse(const struct lb_pkt *pkt, const struct lb_backend *backend,
					      const struct lb_flow *flow, const __u32 *reply_to)
{
	struct lb_flow_key key = {};
	struct lb_reverse_nat rev = {};

	lb_copy_addr(key.src, backend->addr);
	lb_copy_addr(key.dst, reply_to);
	key.sport = backend->port;
	key.dport = pkt->key.sport;
	key.proto = pkt->key.proto;
	key.family = pkt->key.family;
	lb_copy_addr(rev.vip_addr, pkt->key.dst);
	lb_copy_addr(rev.client_addr, pkt->key.src);
	rev.vip_port = pkt->key.dport;
	rev.flags = flow->flags & ~LB_FLOW_F_CSUM;
	rev.backend_id = flow->backend_id;
	rev.vip_id = flow->vip_id;
	rev.expires_ns = flow->expires_ns;
	bpf_map_update_elem(&lb_reverse, &key, &rev, BPF_ANY);
}

/*
 * The forward entry of the flow a reply belongs to, through the VIP recorded for the reply's source endpoint: the
 * client's tuple is (client, the reply's destination port) -> (VIP, VIP port), the client being the reply's
 * destination, or for a hairpin flow the backend itself. The entry must name this backend and agree on hairpin, or
 * the reply is not this flow's. Fills *fwd with the forward tuple. An expired entry answers for nothing: the LRU
 * keeps dead flows until it needs the room, and a later connection straight to the backend on the same tuple (a
 * reused client port) must not have its replies turned into the VIP's.
 */
static __always_inline struct lb_flow *lb_reply_forward(const struct lb_pkt *pkt, const struct lb_backend_vip *known,
							 int hairpin, struct lb_flow_key *fwd, __u64 now)
{
	struct lb_flow *flow;

	lb_copy_addr(fwd->src, hairpin ? pkt->key.src : pkt->key.dst);
	lb_copy_addr(fwd->dst, known->vip_addr);
	fwd->sport = pkt->key.dport;
	fwd->dport = known->vip_port;
	fwd->proto = pkt->key.proto;
	fwd->family = pkt->key.family;
	fwd->pad = 0;
	flow = bpf_map_lookup_elem(&lb_flows, fwd);
	if (!flow || flow->backend_port != pkt->key.sport || !lb_addr_eq(flow->backend_addr, pkt->key.src))
		return NULL;
	if (!hairpin != !(flow->flags & LB_FLOW_F_HAIRPIN) || flow->expires_ns < now)
		return NULL;
	return flow;
}

/* The first reply of a flow: counted for the backend and told to the control plane (the no-reply rule). */
static __always_inline void lb_first_reply(__u16 *flags, __u64 now, __u32 vip_id, __u32 backend_id,
					   const struct lb_pkt *pkt, const __u32 *client, __u16 client_port,
					   const __u32 *vip, __u16 vip_port)
{
	if (*flags & LB_FLOW_F_REPLIED)
		return;
	*flags |= LB_FLOW_F_REPLIED;
	lb_count(&lb_backend_stats, backend_id, 0, 0, 1);
	lb_emit(now, LB_EVENT_REPLY, vip_id, backend_id, pkt->key.family, pkt->key.proto, client, client_port, vip,
		vip_port);
}

/*
 * A packet from a backend to a client (tc egress), or to the hairpin address (hairpin, ingress): if it is the reply
 * of a tracked flow, fills *to with its tuple as the client must see it (from the VIP; for hairpin, to the real
 * client) and returns 1; else 0. The flow is found through lb_backend_vips and its forward entry, or by its own
 * reverse entry (shared endpoints, flows made before lb_backend_vips). A reply refreshes the forward entry's life
 * but never shortens it: the client's FIN or RST does (a half-closed flow may still carry the backend's data).
 * The flags are written without atomics; a flag lost to a race with the other direction costs one more event, or a
 * longer life.
 */
static __always_inline int lb_reply(struct lb_pkt *pkt, __u32 bytes, int hairpin, struct lb_flow_key *to,
				    __u32 *csum_diff)
{
	struct lb_vip_key key = {};
	struct lb_backend_vip *known;
	struct lb_reverse_nat *r;
	struct lb_flow *flow = NULL;
	__u64 now;

	/* *to first holds the forward tuple (client -> VIP), then becomes the reply's new tuple (VIP -> client). */
	*csum_diff = 0;
	/* Not from a backend's address (a request on its way to a backend, which meets this program too): no reply,
	 * unless lb_state says reverse entries exist that the checks below would not find otherwise. */
	if (!lb_addr_maybe_in(&lb_backend_filter, pkt->key.src) &&
	    !(lb_state_flags() & LB_STATE_F_REVERSE_UNINDEXED))
		return 0;
	lb_endpoint_key(&key, pkt->key.src, pkt->key.sport, pkt);
	known = bpf_map_lookup_elem(&lb_backend_vips, &key);
	if (known && !(known->flags & LB_BACKEND_VIP_F_SHARED)) {
		now = lb_now();
		flow = lb_reply_forward(pkt, known, hairpin, to, now);
	}
	if (!flow) {
		/* Every endpoint with reverse entries is in lb_backend_vips unless that map once was full (or the pins
		 * predate it): then the flag says so. Else a packet from an unknown source is no reply (on a node, every
		 * packet towards a backend meets this program too), and one hash lookup settles it. */
		if (!known && !(lb_state_flags() & LB_STATE_F_REVERSE_UNINDEXED))
			return 0;
		r = bpf_map_lookup_elem(&lb_reverse, &pkt->key);
		if (r) {
			now = lb_now();
			if (r->expires_ns >= now) {
				lb_touch(&r->expires_ns, &r->flags, pkt, lb_cfg(), now);
				*to = pkt->key;
				lb_copy_addr(to->src, r->vip_addr);
				to->sport = r->vip_port;
				if (hairpin)
					lb_copy_addr(to->dst, r->client_addr);
				lb_count(&lb_backend_stats, r->backend_id, bytes, 0, 0);
				lb_first_reply(&r->flags, now, r->vip_id, r->backend_id, pkt, r->client_addr, pkt->key.dport,
					       r->vip_addr, r->vip_port);
				return 1;
			}
		}
		/* A flow of a shared endpoint from before it was shared has no reverse entry: its VIP is the first. */
		if (!known || !(known->flags & LB_BACKEND_VIP_F_SHARED))
			return 0;
		now = lb_now();
		flow = lb_reply_forward(pkt, known, hairpin, to, now);
		if (!flow)
			return 0;
	}
	if (!(flow->flags & LB_FLOW_F_CLOSING)) {
		__u64 timeout = lb_timeout(lb_cfg(), pkt->key.proto, 0);

		if (flow->expires_ns + LB_REFRESH_NS < now + timeout)
			flow->expires_ns = now + timeout;
	}
	lb_count(&lb_backend_stats, flow->backend_id, bytes, 0, 0);
	lb_first_reply(&flow->flags, now, flow->vip_id, flow->backend_id, pkt, to->src, to->sport, to->dst, to->dport);
	/* the reply undoes the client's rewrite: the complement of each half (never zero: ~0xffff is not stored) */
	if ((flow->flags & LB_FLOW_F_CSUM) && !hairpin)
		*csum_diff = ~flow->csum_diff;
	/* client -> VIP becomes VIP -> client (for hairpin the client is the backend, the reply's source) */
	lb_copy_addr(to->src, to->dst);
	lb_copy_addr(to->dst, hairpin ? pkt->key.src : pkt->key.dst);
	to->sport = to->dport;
	to->dport = pkt->key.dport;
	return 1;
}

/* lb_syn_lookup: the reuse score (x1024, an average over about the last 8 looked-up SYNs) above which every SYN looks
 * its tuple up, and how often a SYN looks it up anyway to keep the score current. */
#define LB_SYN_REUSE_THRESHOLD 128
#define LB_SYN_SAMPLE_MASK     15

/*
 * The entry a SYN's tuple already has in lb_flows, or NULL. Writing over it in place spares the LRU insert, which
 * takes a node from the free list and frees the one it replaces: under wrk through a VIP, where the client reuses
 * its ports after TIME_WAIT, the insert cost more than the rest of the new-flow path. For a tuple never seen the
 * lookup is pure cost (a cold bucket), so each CPU keeps an average of how often its SYNs found their tuple, and
 * looks up every SYN while that is over 1 in 8, else one SYN in 16 to notice when it changes.
 */
static __always_inline struct lb_flow *lb_syn_lookup(const struct lb_pkt *pkt)
{
	__u32 zero = 0;
	struct lb_clock *c = bpf_map_lookup_elem(&lb_clock, &zero);
	struct lb_flow *flow;

	if (!c)
		return NULL;
	c->syns++;
	if (c->reuse_score < LB_SYN_REUSE_THRESHOLD && (c->syns & LB_SYN_SAMPLE_MASK))
		return NULL;
	flow = bpf_map_lookup_elem(&lb_flows, &pkt->key);
	c->reuse_score = c->reuse_score - (c->reuse_score >> 3) + (flow ? 128 : 0);
	return flow;
}

/*
 * Whether pkt is a hairpin packet as lb_ingress rewrote it (*back set), told by its addresses alone: its source is
 * the node's hairpin address (a client whose backend is itself, as the backend must see it), or it comes from a
 * VIP and port to a client whose flow to them is a hairpin flow (that flow's reply, restored). No container sends
 * from either. The reply is checked against the flow's own forward entry, not lb_vips: a removed VIP's flows go on,
 * and the VIP filter alone admits false positives.
 */
static __always_inline int lb_hairpin_rewritten(const struct lb_pkt *pkt)
{
	struct lb_flow_key forward = {};
	struct lb_flow *flow;
	__u32 hairpin[4] = {};

	if (!lb_hairpin_addr(lb_cfg(), pkt->key.family, hairpin))
		return 0;  /* hairpin NAT off: lb_ingress never sets *back */
	if (lb_addr_eq(pkt->key.src, hairpin))
		return 1;
	if (!lb_addr_maybe_in(&lb_vip_filter, pkt->key.src))
		return 0;
	lb_copy_addr(forward.src, pkt->key.dst);
	lb_copy_addr(forward.dst, pkt->key.src);
	forward.sport = pkt->key.dport;
	forward.dport = pkt->key.sport;
	forward.proto = pkt->key.proto;
	forward.family = pkt->key.family;
	flow = bpf_map_lookup_elem(&lb_flows, &forward);
	return flow && (flow->flags & LB_FLOW_F_HAIRPIN);
}

/*
 * Ingress decision for a packet from a client (tc ingress or XDP). On LB_REWRITE, *to is the new tuple
 * and *back says the packet must leave through the interface it came in on (hairpin).
 */
static __always_inline int lb_ingress(struct lb_pkt *pkt, __u32 bytes, struct lb_flow_key *to, int *back,
				      __u32 *csum_diff)
{
	struct lb_config *cfg = lb_cfg();
	__u64 now;
	struct lb_vip_key vip_key = {};
	struct lb_vip_info *vip;
	struct lb_backend *backend;
	struct lb_flow *flow;
	struct lb_flow new_flow = {};
	__u32 hairpin[4] = {};
	__u32 backend_id = LB_NO_BACKEND;
	int has_hairpin;

	*to = pkt->key;
	*back = 0;
	*csum_diff = 0;
	has_hairpin = lb_hairpin_addr(cfg, pkt->key.family, hairpin);

	/* A hairpin flow's reply: backend -> hairpin address. Restore VIP -> client and send it back. */
	if (has_hairpin && lb_addr_eq(pkt->key.dst, hairpin)) {
		if (!lb_reply(pkt, bytes, 1, to, csum_diff))
			return LB_PASS;
		*back = 1;
		return LB_REWRITE;
	}
	/* No VIP has the destination address (a backend's reply, traffic between containers): one array read. A VIP's
	 * bit is set before it is installed and stays set after it is removed, so its flows go on until they expire. */
	if (!lb_addr_maybe_in(&lb_vip_filter, pkt->key.dst))
		return LB_PASS;
	now = lb_now();

	/* A SYN opens a connection, so no established one can own the tuple: it picks a backend afresh
	 * from the current table (a reused client port must not follow an old, maybe removed, backend;
	 * a retransmitted SYN lands on the same Maglev cell anyway). It looks the tuple up only to find an
	 * entry left by an earlier connection on the same client port, to write over below (lb_syn_lookup). */
	if (lb_new_connection(pkt))
		flow = lb_syn_lookup(pkt);
	else
		flow = bpf_map_lookup_elem(&lb_flows, &pkt->key);
	if (flow && flow->expires_ns >= now && !lb_new_connection(pkt)) {
		lb_touch(&flow->expires_ns, &flow->flags, pkt, cfg, now);
		lb_copy_addr(to->dst, flow->backend_addr);
		to->dport = flow->backend_port;
		if (flow->flags & LB_FLOW_F_HAIRPIN) {
			lb_copy_addr(to->src, hairpin);
			*back = 1;
		}
		if (flow->flags & LB_FLOW_F_CSUM)
			*csum_diff = flow->csum_diff;
		lb_count(&lb_vip_stats, flow->vip_id, bytes, 0, 0);
		lb_count(&lb_backend_stats, flow->backend_id, bytes, 0, 0);
		return LB_REWRITE;
	}

	lb_copy_addr(vip_key.addr, pkt->key.dst);
	vip_key.port = pkt->key.dport;
	vip_key.proto = pkt->key.proto;
	vip_key.family = pkt->key.family;
	vip = bpf_map_lookup_elem(&lb_vips, &vip_key);
	if (!vip)
		return LB_PASS;

	backend = lb_pick_backend(vip, lb_flow_hash(&pkt->key), &backend_id);
	if (!backend || backend->family != pkt->key.family) {
		lb_count(&lb_vip_stats, vip->vip_id, bytes, 0, 1);
		lb_emit(now, LB_EVENT_NO_BACKEND, vip->vip_id, LB_NO_BACKEND, pkt->key.family, pkt->key.proto,
			pkt->key.src, pkt->key.sport, pkt->key.dst, pkt->key.dport);
		return LB_REFUSE;
	}

	lb_copy_addr(new_flow.backend_addr, backend->addr);
	new_flow.backend_port = backend->port;
	new_flow.backend_id = backend_id;
	new_flow.vip_id = vip->vip_id;
	new_flow.expires_ns = now + lb_timeout(cfg, pkt->key.proto, lb_closing(pkt));
	if (lb_closing(pkt))
		new_flow.flags |= LB_FLOW_F_CLOSING;

	lb_copy_addr(to->dst, backend->addr);
	to->dport = backend->port;
	if (has_hairpin && lb_addr_eq(backend->addr, pkt->key.src)) {
		new_flow.flags |= LB_FLOW_F_HAIRPIN;
		lb_copy_addr(to->src, hairpin);
		*back = 1;
	} else {
		/* Not for hairpin flows: their rewrite depends on the configured hairpin address, which may change. */
		new_flow.csum_diff = lb_tuple_csum_diff(&pkt->key, to);
		new_flow.flags |= LB_FLOW_F_CSUM;
		*csum_diff = new_flow.csum_diff;
	}
	if (lb_needs_reverse_entry(backend, pkt))
		lb_insert_reverse(pkt, backend, &new_flow, (new_flow.flags & LB_FLOW_F_HAIRPIN) ? hairpin : pkt->key.src);
	/* The tuple's old entry (a client port reused after TIME_WAIT, common at high connection rates, or an expired
	 * flow) is written over in place: an LRU insert takes a node from the free list and frees the one it replaces,
	 * which under wrk through a VIP cost more than the rest of the new-flow path (perf: bpf_lru_pop_free,
	 * htab_lru_map_update_elem, bpf_lru_push_free). Only packets of this same tuple can read the entry meanwhile:
	 * the old connection's strays, or this SYN's retransmits, which pick the same backend. */
	if (flow)
		*flow = new_flow;
	else
		bpf_map_update_elem(&lb_flows, &pkt->key, &new_flow, BPF_ANY);
	lb_count(&lb_vip_stats, vip->vip_id, bytes, 1, 0);
	lb_count(&lb_backend_stats, backend_id, bytes, 1, 0);
	lb_emit(now, LB_EVENT_NEW_FLOW, vip->vip_id, backend_id, pkt->key.family, pkt->key.proto,
		pkt->key.src, pkt->key.sport, pkt->key.dst, pkt->key.dport);
	return LB_REWRITE;
}

/* Egress decision for a packet towards a client (tc egress): a backend's reply shows the VIP. */
static __always_inline int lb_egress(struct lb_pkt *pkt, __u32 bytes, struct lb_flow_key *to, __u32 *csum_diff)
{
	return lb_reply(pkt, bytes, 0, to, csum_diff) ? LB_REWRITE : LB_PASS;
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
	__u32 l4_off = pkt->l4_off & 0xff;
	__u16 *ports = data + l4_off;

	if ((void *)(ports + 2) > data_end)
		return -1;
	if (pkt->key.family == LB_AF_INET) {
		struct iphdr *ip = data + ETH_HLEN;
		__u32 from_addr[2] = { pkt->key.src[0], pkt->key.dst[0] };
		__u32 to_addr[2] = { to->src[0], to->dst[0] };

		if ((void *)(ip + 1) > data_end)
			return -1;
		*addr_diff = known_diff ? known_diff >> 16 : lb_csum_diff_words(from_addr, to_addr, 4);
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
			*addr_diff = known_diff >> 16;
		} else {
			__builtin_memcpy(from_addr, pkt->key.src, 16);
			__builtin_memcpy(from_addr + 4, pkt->key.dst, 16);
			__builtin_memcpy(to_addr, to->src, 16);
			__builtin_memcpy(to_addr + 4, to->dst, 16);
			*addr_diff = lb_csum_diff_words(from_addr, to_addr, 16);
		}
		__builtin_memcpy(&ip6->saddr, to->src, 16);
		__builtin_memcpy(&ip6->daddr, to->dst, 16);
	}
	*port_diff = known_diff ? known_diff & 0xffff : lb_csum_diff_words(from_ports, to_ports, 2);
	ports[0] = to_ports[0];
	ports[1] = to_ports[1];
	return 0;
}

/* True when the L4 checksum must be kept up to date (not an IPv4 UDP datagram sent without one). */
static __always_inline int lb_has_l4_csum(const struct lb_pkt *pkt)
{
	return !(pkt->key.proto == IPPROTO_UDP_ && pkt->key.family == LB_AF_INET && pkt->udp_csum == 0);
}

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
