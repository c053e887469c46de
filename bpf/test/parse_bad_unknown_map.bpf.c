// SPDX-License-Identifier: GPL-2.0
/* Test object the ELF reader must refuse: a BTF-defined map of type 99, which enum bpf_map_type does not
 * name for navstar. Only parsed, never loaded. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, 99);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} mystery SEC(".maps");

SEC("xdp")
int use_mystery(struct xdp_md *ctx)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&mystery, &key) ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
