// SPDX-License-Identifier: GPL-2.0
/* Test object for the ELF/BTF reader: one program per section kind navstar loads, two programs in
 * one section, and bpf-to-bpf calls into .text (nested, shared) and into the same section. Only
 * parsed (and, as root, its BTF uploaded); the logic is meaningless. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

/* Leaf subprogram in .text, reached from two callers: linked once per program. */
static __attribute__((noinline)) int leaf(int x)
{
	__u32 key = x & 3;
	__u64 *v = bpf_map_lookup_elem(&hits, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	return x * 3 + 1;
}

/* Middle subprogram in .text calling leaf: exercises recursive linking. */
static __attribute__((noinline)) int middle(int x)
{
	return leaf(x + 1) ^ leaf(x + 2);
}

/* A global (non-static) function in .text: a subprogram verified on its own by the kernel. */
__attribute__((noinline)) int global_helper(int x)
{
	return x > 7 ? x - 7 : x + 7;
}

/* Subprogram placed in the xdp section itself: a same-section call. */
static __attribute__((noinline, section("xdp"))) int same_section_helper(struct xdp_md *ctx)
{
	return ctx->rx_queue_index == 99 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_first(struct xdp_md *ctx)
{
	int r = middle(ctx->ingress_ifindex);

	return r == 12345 ? XDP_DROP : same_section_helper(ctx);
}

SEC("xdp")
int xdp_second(struct xdp_md *ctx)
{
	return leaf(ctx->ingress_ifindex) == 7 ? XDP_DROP : XDP_PASS;
}

SEC("tcx/ingress")
int tcx_in(struct __sk_buff *skb)
{
	return global_helper(skb->len) == 3 ? 2 : 0;
}

/* Callback for bpf_loop: reached through an ld_imm64 of a function address (BPF_PSEUDO_FUNC). */
static int add_index(__u32 index, void *sum)
{
	*(__u64 *)sum += index;
	return 0;
}

SEC("tcx/egress")
int tcx_out(struct __sk_buff *skb)
{
	__u64 sum = 0;

	bpf_loop(skb->len & 7, add_index, &sum, 0);
	return sum > 10 ? 0 : 2;
}

SEC("tc")
int classic_tc(struct __sk_buff *skb)
{
	return leaf(skb->mark) > 100 ? 2 : 0;
}

/* A subprogram in its own .text.* section (what clang -ffunction-sections does for every function). */
static __attribute__((noinline, section(".text.helpers"))) int in_text_helpers(int x)
{
	return x ^ 0x5a;
}

SEC("tc")
int tc_second(struct __sk_buff *skb)
{
	return in_text_helpers(skb->priority) == 1 ? 2 : 0;
}

SEC("socket")
int sock_filter(struct __sk_buff *skb)
{
	return skb->len;
}

#define SOCK_ADDR_PROG(sec, fn, field)                  \
	SEC(sec)                                        \
	int fn(struct bpf_sock_addr *ctx)               \
	{                                               \
		if (ctx->field == 0xffffffff)           \
			ctx->user_port = 0;             \
		return 1;                               \
	}

SOCK_ADDR_PROG("cgroup/connect4", connect4, user_ip4)
SOCK_ADDR_PROG("cgroup/connect6", connect6, user_ip6[0])
SOCK_ADDR_PROG("cgroup/sendmsg4", sendmsg4, user_ip4)
SOCK_ADDR_PROG("cgroup/sendmsg6", sendmsg6, user_ip6[0])
SOCK_ADDR_PROG("cgroup/recvmsg4", recvmsg4, user_ip4)
SOCK_ADDR_PROG("cgroup/recvmsg6", recvmsg6, user_ip6[0])
SOCK_ADDR_PROG("cgroup/getpeername4", getpeername4, user_ip4)
SOCK_ADDR_PROG("cgroup/getpeername6", getpeername6, user_ip6[0])
SOCK_ADDR_PROG("cgroup/getsockname4", getsockname4, user_ip4)
SOCK_ADDR_PROG("cgroup/getsockname6", getsockname6, user_ip6[0])

char LICENSE[] SEC("license") = "Dual BSD/GPL";
