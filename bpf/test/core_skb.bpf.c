// SPDX-License-Identifier: GPL-2.0
/* Loader test program: reads the kernel's struct sk_buff behind a tc context through the kfunc
 * bpf_cast_to_kern_ctx, with CO-RE (a plain field, len and mark, and bitfields, pkt_type and ip_summed),
 * and stores what it read beside what struct __sk_buff says, so the test can compare them; a second program
 * does it in a subprogram. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "kern_skb.h"

/* What one run saw: through CO-RE on the kernel's sk_buff, and through __sk_buff. */
struct skb_view {
	__u32 core_len;
	__u32 core_mark;
	__u32 ctx_len;
	__u32 ctx_mark;
	__u8 core_pkt_type;
	__u8 core_ip_summed;
	__u8 ctx_pkt_type;
	__u8 field_exists;	/* bpf_core_field_exists(kskb->mark): 1 */
	__u32 runs;
};

/* One slot: the last run's view. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct skb_view);
} skb_views SEC(".maps");

SEC("tc")
int core_skb_read(struct __sk_buff *ctx)
{
	struct sk_buff___navstar *kskb = bpf_cast_to_kern_ctx(ctx);
	__u32 zero = 0;
	struct skb_view *view = bpf_map_lookup_elem(&skb_views, &zero);

	if (!view)
		return TC_ACT_SHOT;
	view->core_len = kskb->len;
	view->core_mark = kskb->mark;
	view->core_pkt_type = BPF_CORE_READ_BITFIELD(kskb, pkt_type);
	view->core_ip_summed = BPF_CORE_READ_BITFIELD(kskb, ip_summed);
	view->field_exists = bpf_core_field_exists(kskb->mark);
	view->ctx_len = ctx->len;
	view->ctx_mark = ctx->mark;
	view->ctx_pkt_type = ctx->pkt_type;
	view->runs++;
	return TC_ACT_OK;
}

/* The kernel's skb->mark, read in a subprogram: its kfunc call and CO-RE relocation move with it when linked. */
static __noinline __u32 kernel_mark(struct __sk_buff *ctx)
{
	struct sk_buff___navstar *kskb = bpf_cast_to_kern_ctx(ctx);

	return kskb->mark;
}

/* Returns the kernel's skb->mark as the verdict (a test run reports any value). */
SEC("tc")
int core_skb_mark(struct __sk_buff *ctx)
{
	return kernel_mark(ctx);
}

char LICENSE[] SEC("license") = "GPL";
