// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* lb_xdp.bpf.c: xdp mode's forward path, before an skb exists (on a physical device; on a veth XDP runs on the
 * peer's skbs). Replies are reverse-translated by tc mode's egress program (lb_tc.bpf.c, tcx/egress), which shares
 * every map; on a veth, hairpin packets are sent back by lb_tc_turnaround at tcx ingress. Checksums are updated
 * incrementally (RFC 1624) by hand: XDP has no csum helpers for packet fields. */
#include "lb_nat.h"
#include "lb_rewrite.h"
#include "lb_refuse.h"

#include <bpf/bpf_core_read.h>
#include "kern_skb.h"

/*
 * True when the packet is an skb whose L4 checksum is CHECKSUM_PARTIAL: the field holds only the pseudo-header sum,
 * to be completed later over the segment. XDP programs are written for packets off the wire, whose checksums are
 * complete, and a driver that could hand over partial ones refuses XDP (virtio_net while guest checksum offload is
 * on); veth does not: it runs XDP on the skbs its peer sends, and a container's TCP stack sends CHECKSUM_PARTIAL.
 * So on a veth the skb is looked at (struct veth_xdp_buff, drivers/net/veth.c); on any other device, or for an
 * xdp_frame redirected into a veth (no skb), the checksum is complete.
 */
static __always_inline int lb_xdp_on_veth(struct xdp_md *ctx)
{
	struct xdp_buff___navstar *xdp = bpf_cast_to_kern_ctx(ctx);
	const struct rtnl_link_ops___navstar *ops = xdp->rxq->dev->rtnl_link_ops;
	const char *kind;
	char name[5];

	if (!ops)
		return 0;  /* a physical device's driver has no rtnl_link_ops */
	kind = BPF_CORE_READ(ops, kind);
	return kind && bpf_probe_read_kernel_str(name, sizeof(name), kind) == sizeof(name) &&
	       name[0] == 'v' && name[1] == 'e' && name[2] == 't' && name[3] == 'h';
}

static __always_inline int lb_xdp_partial_csum(struct xdp_md *ctx, int on_veth)
{
	struct veth_xdp_buff___navstar *veth = bpf_cast_to_kern_ctx(ctx);
	struct sk_buff___navstar *skb = NULL;

	if (!on_veth || bpf_probe_read_kernel(&skb, sizeof(skb), &veth->skb) || !skb)
		return 0;
	return BPF_CORE_READ_BITFIELD_PROBED(skb, ip_summed) == CHECKSUM_PARTIAL;
}

/*
 * Writes the tuple *to over the packet's and updates the TCP/UDP checksum by hand (RFC 1624): as a full checksum
 * (address and port changes), or for a CHECKSUM_PARTIAL skb on a veth as a pseudo-header sum (the address change
 * only, added; see lb_tc_rewrite, which does the same in tc mode).
 */
static __always_inline int lb_xdp_rewrite(struct xdp_md *ctx, const struct lb_pkt *pkt,
					  const struct lb_flow_key *to, __u32 known_diff, int partial)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	/* Verifier workaround: mask the offset so the pointer's range is known. */
	__u32 csum_off = pkt->l4_csum_off & LB_HDR_OFF_MASK;
	__u16 *check = data + csum_off;
	__s64 addr_diff;
	__s64 port_diff;
	__u16 sum;

	if ((void *)(check + 1) > data_end)
		return -1;
	if (lb_rewrite_headers(data, data_end, pkt, to, known_diff, &addr_diff, &port_diff))
		return -1;
	if (!lb_has_l4_csum(pkt) || (pkt->key.proto == IPPROTO_UDP_ && *check == 0))
		return 0;
	if (partial) {
		*check = ~lb_csum_fold((__u64)*check + (__u32)addr_diff);
		return 0;
	}
	sum = lb_csum_apply(lb_csum_apply(*check, addr_diff), port_diff);
	if (pkt->key.proto == IPPROTO_UDP_ && sum == 0)
		sum = LB_CSUM_MINUS_ZERO;  /* RFC 768: a computed zero is sent as all ones */
	*check = sum;
	return 0;
}

static __always_inline int lb_xdp_turn_around(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 mac[ETH_ALEN];

	if ((void *)(eth + 1) > data_end)
		return -1;
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	return 0;
}

/* Copies a built refusal of constant length len over the packet, resized to it. */
#define LB_XDP_EMIT(ctx, buf, len)                                                     \
	({                                                                             \
		int __ret = XDP_DROP;                                                  \
		void *__d = (void *)(long)(ctx)->data;                                 \
		void *__e = (void *)(long)(ctx)->data_end;                             \
		if (!bpf_xdp_adjust_tail(ctx, (int)(len) - (int)(__e - __d))) {        \
			__d = (void *)(long)(ctx)->data;                               \
			__e = (void *)(long)(ctx)->data_end;                           \
			if (__d + (len) <= __e) {                                      \
				__builtin_memcpy(__d, buf, len);                       \
				__ret = XDP_TX;                                        \
			}                                                              \
		}                                                                      \
		__ret;                                                                 \
	})

/* Replaces the packet with its refusal (RST or ICMP unreachable): XDP_TX, or XDP_DROP when it cannot. */
static __always_inline int lb_xdp_put_refusal(struct xdp_md *ctx, const struct lb_pkt *pkt)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct lb_scratch *scratch;
	__u8 orig[ETH_HLEN + LB_QUOTE6_LEN];
	__u32 zero = 0;
	__u32 len;

	scratch = bpf_map_lookup_elem(&lb_scratch, &zero);
	if (!scratch)
		return XDP_DROP;
	if (pkt->key.family == LB_AF_INET) {
		if (data + ETH_HLEN + LB_QUOTE4_LEN > data_end)
			return XDP_DROP;
		__builtin_memcpy(orig, data, ETH_HLEN + LB_QUOTE4_LEN);
	} else {
		if (data + ETH_HLEN + LB_QUOTE6_LEN > data_end)
			return XDP_DROP;
		__builtin_memcpy(orig, data, ETH_HLEN + LB_QUOTE6_LEN);
	}
	len = lb_build_refusal(pkt, orig, scratch->buf);
	/* Verifier workaround: one constant length per branch. */
	if (len == LB_RST4_LEN)
		return LB_XDP_EMIT(ctx, scratch->buf, LB_RST4_LEN);
	if (len == LB_ICMP4_LEN)
		return LB_XDP_EMIT(ctx, scratch->buf, LB_ICMP4_LEN);
	if (len == LB_RST6_LEN)
		return LB_XDP_EMIT(ctx, scratch->buf, LB_RST6_LEN);
	if (len == LB_ICMP6_LEN)
		return LB_XDP_EMIT(ctx, scratch->buf, LB_ICMP6_LEN);
	return XDP_DROP;
}

/* Answers a flow refused for want of a backend: its packet, replaced by the refusal, goes back out (XDP_TX). */
static __always_inline int lb_xdp_refuse(struct xdp_md *ctx, const struct lb_pkt *pkt)
{
	int verdict = lb_xdp_put_refusal(ctx, pkt);

	lb_drop(verdict == XDP_TX ? LB_DROP_NO_BACKEND : LB_DROP_REFUSAL_FAILED);
	return verdict;
}

SEC("xdp")
int lb_xdp_ingress(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct lb_pkt pkt = {};
	struct lb_flow_key to;
	struct lb_flow *tracked;
	__u32 csum_diff;
	int back = 0;
	int on_veth;
	int why;

	why = lb_parse(data, data_end, data_end - data, &pkt);
	if (why) {
		lb_ingress_unparsed(&pkt, why);
		return XDP_PASS;
	}
	switch (lb_ingress(&pkt, data_end - data, &to, &back, &csum_diff, &tracked)) {
	case LB_REWRITE:
		break;
	case LB_REFUSE:
		return lb_xdp_refuse(ctx, &pkt);
	default:
		return XDP_PASS;
	}
	on_veth = lb_xdp_on_veth(ctx);
	if (lb_xdp_rewrite(ctx, &pkt, &to, csum_diff, lb_has_l4_csum(&pkt) && lb_xdp_partial_csum(ctx, on_veth))) {
		lb_drop(LB_DROP_REWRITE_FAILED);
		return XDP_DROP;
	}
	if (back) {
		/* On a veth, lb_tc_turnaround (tcx ingress) sends it back: XDP_TX into a veth needs NAPI on the peer
		 * (drivers/net/veth.c, veth_xdp_xmit: -ENXIO without), which a container's eth0 has only with GRO or an
		 * XDP program of its own. It tells hairpin packets by their addresses (lb_hairpin_rewritten). */
		if (on_veth)
			return XDP_PASS;
		if (lb_xdp_turn_around(ctx)) {
			lb_drop(LB_DROP_TURNAROUND_FAILED);
			return XDP_DROP;
		}
		return XDP_TX;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
