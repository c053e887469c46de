// SPDX-License-Identifier: GPL-2.0
/* Test object the ELF reader must refuse: an array of maps with a .values initialiser, which the
 * loader's ObjectSpec cannot carry. Only parsed, never loaded. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} first_inner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { [1] = &first_inner },
};

SEC("xdp")
int use_outer(struct xdp_md *ctx)
{
	__u32 key = 1;

	return bpf_map_lookup_elem(&outer, &key) ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
