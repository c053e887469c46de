// SPDX-License-Identifier: GPL-2.0
/* Loader test program: calls a kfunc no kernel has, so loading must fail with an error naming it. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "kern_skb.h"

/* Not a kernel function. */
extern int navstar_no_such_kfunc(struct __sk_buff *ctx) __ksym;

/* A map, so that a failed load has something it must not leave behind. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} kfunc_missing_map SEC(".maps");

SEC("tc")
int kfunc_missing(struct __sk_buff *ctx)
{
	return navstar_no_such_kfunc(ctx) ? TC_ACT_OK : TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
