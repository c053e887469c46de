/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* lb_conntrack.h: the connection table of tc and xdp modes: its entries (lb_flow_buckets forward, in lb_flow_table.h;
 * lb_reverse reverse; and lb_backend_vips, which lets a reply find its forward entry), their lookups, and their
 * lifetimes. No packet access here: everything works on a parsed tuple (struct lb_pkt). */
#ifndef NAVSTAR_LB_CONNTRACK_H
#define NAVSTAR_LB_CONNTRACK_H

#include "lb_helpers.h"
#include "lb_flow_table.h"
#include "lb_parse.h"

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
 * entry, or through the VIP recorded first. Not inlined: a frame of its own keeps lb_ingress's under the verifier's
 * 512 bytes of stack, with lb_flow_insert's.
 */
static __attribute__((noinline)) int lb_needs_reverse_entry(const struct lb_backend *backend, const struct lb_pkt *pkt)
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
 * The reverse-NAT entry of a new flow whose backend lb_backend_vips cannot answer for: keyed by the reply's tuple,
 * backend -> reply_to (the client, or the hairpin address when the client is the backend), built in lb_scratch. Not
 * inlined, like lb_needs_reverse_entry: a frame of its own keeps lb_ingress's under the verifier's 512 bytes.
 */
static __attribute__((noinline)) void lb_insert_reverse(const struct lb_pkt *pkt, const struct lb_backend *backend,
							const struct lb_flow *flow, const __u32 *reply_to)
{
	__u32 zero = 0;
	struct lb_scratch *scratch = bpf_map_lookup_elem(&lb_scratch, &zero);
	struct lb_flow_key *key;
	struct lb_reverse_nat *rev;

	if (!scratch) {
		lb_drop(LB_DROP_REVERSE_TABLE_FULL);
		return;
	}
	key = &scratch->reverse.key;
	rev = &scratch->reverse.value;
	__builtin_memset(key, 0, sizeof(*key));
	__builtin_memset(rev, 0, sizeof(*rev));
	lb_copy_addr(key->src, backend->addr);
	lb_copy_addr(key->dst, reply_to);
	key->sport = backend->port;
	key->dport = pkt->key.sport;
	key->proto = pkt->key.proto;
	key->family = pkt->key.family;
	lb_copy_addr(rev->vip_addr, pkt->key.dst);
	lb_copy_addr(rev->client_addr, pkt->key.src);
	rev->vip_port = pkt->key.dport;
	rev->flags = flow->flags & ~LB_FLOW_F_CSUM;
	rev->backend_id = flow->backend_id;
	rev->vip_id = flow->vip_id;
	rev->expires_ns = flow->expires_ns;
	if (bpf_map_update_elem(&lb_reverse, key, rev, BPF_ANY))
		lb_drop(LB_DROP_REVERSE_TABLE_FULL);
}

/*
 * The forward entry of a flow through the VIP lb_backend_vips recorded for its backend's endpoint (*known): the
 * client's tuple (client, client_port) -> (VIP, VIP port). The entry must name backend:backend_port and agree on
 * hairpin, or the packet is not this flow's. Fills *fwd with the forward tuple, and *ref with where the entry lives.
 * An expired entry answers for nothing: the table keeps dead flows until an insert needs their ways, and a later
 * connection straight to the backend on the same tuple (a reused client port) must not be taken for the VIP's.
 */
static __always_inline struct lb_flow *lb_endpoint_flow(const __u32 *client, __u16 client_port, const __u32 *backend,
							 __u16 backend_port, const struct lb_backend_vip *known,
							 const struct lb_pkt *pkt, int hairpin, struct lb_flow_key *fwd,
							 __u64 now, struct lb_flow_ref *ref)
{
	struct lb_flow *flow;

	lb_copy_addr(fwd->src, client);
	lb_copy_addr(fwd->dst, known->vip_addr);
	fwd->sport = client_port;
	fwd->dport = known->vip_port;
	fwd->proto = pkt->key.proto;
	fwd->family = pkt->key.family;
	fwd->pad = 0;
	lb_flow_lookup(fwd, lb_flow_hash(fwd), ref);
	flow = ref->flow;
	if (!flow || flow->backend_port != backend_port || !lb_addr_eq(flow->backend_addr, backend))
		return NULL;
	if (!hairpin != !(flow->flags & LB_FLOW_F_HAIRPIN) || flow->expires_ns < now)
		return NULL;
	return flow;
}

/*
 * The forward entry of the flow a reply belongs to (lb_endpoint_flow, the reply's source being the backend): the
 * client is the reply's destination, or for a hairpin flow the backend itself.
 */
static __always_inline struct lb_flow *lb_reply_forward(const struct lb_pkt *pkt, const struct lb_backend_vip *known,
							 int hairpin, struct lb_flow_key *fwd, __u64 now,
							 struct lb_flow_ref *ref)
{
	return lb_endpoint_flow(hairpin ? pkt->key.src : pkt->key.dst, pkt->key.dport, pkt->key.src, pkt->key.sport,
				known, pkt, hairpin, fwd, now, ref);
}

#endif
