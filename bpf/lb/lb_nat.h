/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* lb_nat.h: the connection-tracked NAT of tc and xdp modes, as decisions over a parsed tuple (no packet
 * access): which flows go where, and what a reply's source becomes. Each mode applies the decision with
 * its own packet writes (lb_rewrite.h), or answers a refused flow (lb_refuse.h). */
#ifndef NAVSTAR_LB_NAT_H
#define NAVSTAR_LB_NAT_H

#include "lb_conntrack.h"
#include "lb_rewrite.h"

enum lb_verdict {
	LB_PASS = 0,     /* not ours: leave the packet as it is */
	LB_REWRITE = 1,  /* rewrite the tuple to *to */
	LB_REFUSE = 2,   /* a VIP with no usable backend: answer with TCP RST or ICMP unreachable */
};

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

/*
 * Whether a reply is its flow's first, which marks the flow replied: the caller counts it in the backend's
 * replied_flows with the packet itself (one lookup), so each flow's first reply is counted once. The control plane's
 * no-reply rule reads that counter beside the backend's new_flows (BackendHealth).
 */
static __always_inline int lb_first_reply(__u16 *flags)
{
	if (*flags & LB_FLOW_F_REPLIED)
		return 0;
	*flags |= LB_FLOW_F_REPLIED;
	return 1;
}

/*
 * A packet from a backend to a client (tc egress), or to the hairpin address (hairpin, ingress): if it is the reply
 * of a tracked flow, fills *to with its tuple as the client must see it (from the VIP; for hairpin, to the real
 * client) and returns 1; else 0. The flow is found through lb_backend_vips and its forward entry, or by its own
 * reverse entry (shared endpoints, flows made before lb_backend_vips). A reply refreshes the forward entry's life
 * but never shortens it: the client's FIN or RST does (a half-closed flow may still carry the backend's data).
 * The flags are written without atomics; a flag lost to a race with the other direction costs one more count of a
 * first reply, or a longer life.
 */
static __always_inline int lb_reply(struct lb_pkt *pkt, __u32 bytes, int hairpin, struct lb_flow_key *to,
				    __u32 *csum_diff)
{
	struct lb_vip_key key = {};
	struct lb_backend_vip *known;
	struct lb_reverse_nat *r;
	struct lb_flow *flow = NULL;
	struct lb_flow_ref ref = {};
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
		flow = lb_reply_forward(pkt, known, hairpin, to, now, &ref);
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
				lb_count_backend(r->backend_id, bytes, 0, lb_first_reply(&r->flags));
				return 1;
			}
		}
		/* A flow of a shared endpoint from before it was shared has no reverse entry: its VIP is the first. */
		if (!known || !(known->flags & LB_BACKEND_VIP_F_SHARED))
			return 0;
		now = lb_now();
		flow = lb_reply_forward(pkt, known, hairpin, to, now, &ref);
		if (!flow)
			return 0;
	}
	if (!(flow->flags & LB_FLOW_F_CLOSING)) {
		__u64 timeout = lb_timeout(lb_cfg(), pkt->key.proto, 0);

		if (flow->expires_ns + LB_REFRESH_NS < now + timeout) {
			flow->expires_ns = now + timeout;
			lb_flow_sync_expiry(&ref);
		}
	}
	lb_count_backend(flow->backend_id, bytes, 0, lb_first_reply(&flow->flags));
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
	struct lb_flow_ref ref;
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
	lb_flow_lookup(&forward, lb_flow_hash(&forward), &ref);
	return ref.flow && (ref.flow->flags & LB_FLOW_F_HAIRPIN);
}

/*
 * Ingress decision for a packet from a client (tc ingress or XDP). On LB_REWRITE, *to is the new tuple
 * and *back says the packet must leave through the interface it came in on (hairpin); *tracked is the flow's entry
 * when the packet belongs to one already in the table, else NULL (a new flow). On LB_REFUSE the caller counts the
 * refusal (LB_DROP_NO_BACKEND, or LB_DROP_REFUSAL_FAILED when it cannot send one).
 */
static __always_inline int lb_ingress(struct lb_pkt *pkt, __u32 bytes, struct lb_flow_key *to, int *back,
				      __u32 *csum_diff, struct lb_flow **tracked)
{
	struct lb_config *cfg = lb_cfg();
	__u64 now;
	struct lb_vip_key vip_key = {};
	struct lb_vip_info *vip;
	struct lb_backend *backend;
	struct lb_flow *flow;
	struct lb_flow_ref ref;
	struct lb_flow new_flow = {};
	__u32 hairpin[4] = {};
	__u32 backend_id = LB_NO_BACKEND;
	__u32 hash;
	int has_hairpin;

	*to = pkt->key;
	*back = 0;
	*csum_diff = 0;
	*tracked = NULL;
	has_hairpin = lb_hairpin_addr(cfg, pkt->key.family, hairpin);

	/* A hairpin flow's reply: backend -> hairpin address. Restore VIP -> client and send it back. */
	if (has_hairpin && lb_addr_eq(pkt->key.dst, hairpin)) {
		if (!lb_reply(pkt, bytes, 1, to, csum_diff)) {
			lb_drop(LB_DROP_HAIRPIN_NO_FLOW);
			return LB_PASS;
		}
		*back = 1;
		return LB_REWRITE;
	}
	/* No VIP has the destination address (a backend's reply, traffic between containers): one array read. A VIP's
	 * bit is set before it is installed and stays set after it is removed, so its flows go on until they expire. */
	if (!lb_addr_maybe_in(&lb_vip_filter, pkt->key.dst))
		return LB_PASS;
	now = lb_now();
	hash = lb_flow_hash(&pkt->key);

	/* A SYN opens a connection, so no established one can own the tuple: it picks a backend afresh
	 * from the current table (a reused client port must not follow an old, maybe removed, backend;
	 * a retransmitted SYN lands on the same Maglev cell anyway), without a lookup: the insert below finds an
	 * entry left by an earlier connection on the same client port, and writes over it. */
	ref.flow = NULL;
	if (!lb_new_connection(pkt))
		lb_flow_lookup(&pkt->key, hash, &ref);
	flow = ref.flow;
	if (flow && flow->expires_ns >= now) {
		lb_touch(&flow->expires_ns, &flow->flags, pkt, cfg, now);
		lb_flow_sync_expiry(&ref);
		lb_copy_addr(to->dst, flow->backend_addr);
		to->dport = flow->backend_port;
		if (flow->flags & LB_FLOW_F_HAIRPIN) {
			lb_copy_addr(to->src, hairpin);
			*back = 1;
		}
		if (flow->flags & LB_FLOW_F_CSUM)
			*csum_diff = flow->csum_diff;
		lb_count_vip(flow->vip_id, bytes, 0, 0);
		lb_count_backend(flow->backend_id, bytes, 0, 0);
		*tracked = flow;
		return LB_REWRITE;
	}

	lb_copy_addr(vip_key.addr, pkt->key.dst);
	vip_key.port = pkt->key.dport;
	vip_key.proto = pkt->key.proto;
	vip_key.family = pkt->key.family;
	vip = bpf_map_lookup_elem(&lb_vips, &vip_key);
	if (!vip) {
		/* the VIP filter's bit may be a false positive (another address's hash): rare, and counted too */
		lb_drop(LB_DROP_NO_VIP);
		return LB_PASS;
	}

	backend = lb_pick_backend(vip, hash, &backend_id);
	if (!backend || backend->family != pkt->key.family) {
		lb_count_vip(vip->vip_id, bytes, 0, 1);
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
	lb_flow_insert(&pkt->key, hash, &new_flow, now);
	/* No record per flow for the control plane: its health rule samples these counters (BackendHealth). */
	lb_count_vip(vip->vip_id, bytes, 1, 0);
	lb_count_backend(backend_id, bytes, 1, 0);
	return LB_REWRITE;
}

/*
 * Ingress: a packet lb_parse refused (why) passes untouched, and is counted when it was addressed to a VIP's address
 * (its filter bit: rarely a false positive); a frame not IP, or too short to show its addresses, is not.
 */
static __always_inline void lb_ingress_unparsed(const struct lb_pkt *pkt, int why)
{
	if (why > 0 && lb_addr_maybe_in(&lb_vip_filter, pkt->key.dst))
		lb_drop(why);
}

/*
 * Egress: the same for a packet from a backend's address, which may be a reply the client then sees untranslated;
 * except a protocol other than TCP and UDP: that is a backend's own ICMP (pings, neighbour discovery) far more often
 * than a reply's error, and would drown the count.
 */
static __always_inline void lb_egress_unparsed(const struct lb_pkt *pkt, int why)
{
	if (why > 0 && why != LB_DROP_UNSUPPORTED_PROTO && lb_addr_maybe_in(&lb_backend_filter, pkt->key.src))
		lb_drop(why);
}

/* Egress decision for a packet towards a client (tc egress): a backend's reply shows the VIP. */
static __always_inline int lb_egress(struct lb_pkt *pkt, __u32 bytes, struct lb_flow_key *to, __u32 *csum_diff)
{
	return lb_reply(pkt, bytes, 0, to, csum_diff) ? LB_REWRITE : LB_PASS;
}

#endif
