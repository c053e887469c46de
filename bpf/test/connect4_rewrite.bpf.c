// SPDX-License-Identifier: GPL-2.0
/* Loader test program: at connect(2) of an IPv4 socket in the cgroup, rewrites a destination found in
 * the rewrites map to its target, the way Minuteman's sock mode turns a VIP into a backend. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* A destination as connect(2) sees it: address and port, both in network byte order. */
struct endpoint {
	__u32 addr;
	__u16 port;
	__u16 pad;
};

/* Destination -> where to send it instead. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct endpoint);
	__type(value, struct endpoint);
} rewrites SEC(".maps");

/* How many connects were rewritten (.bss). */
__u64 rewritten = 0;

/* Off switch the control plane can flip (.data). */
__u32 enabled = 1;

SEC("cgroup/connect4")
int connect4_rewrite(struct bpf_sock_addr *ctx)
{
	if (!enabled)
		return 1;
	struct endpoint key = { .addr = ctx->user_ip4, .port = (__u16)ctx->user_port };
	struct endpoint *target = bpf_map_lookup_elem(&rewrites, &key);

	if (target) {
		ctx->user_ip4 = target->addr;
		ctx->user_port = target->port;
		__sync_fetch_and_add(&rewritten, 1);
	}
	return 1; /* allow the connect */
}

char LICENSE[] SEC("license") = "GPL";
