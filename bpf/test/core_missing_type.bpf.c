// SPDX-License-Identifier: GPL-2.0
/* Loader test program: a CO-RE read of a struct the kernel does not have, so loading must fail with an error
 * naming the program, the instruction, the type and the access (and create nothing). */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "kern_skb.h"

/* No kernel has this struct: the relocation of ->absent cannot be satisfied. */
struct navstar_no_such_struct {
	__u32 present;
	__u32 absent;
} __attribute__((preserve_access_index));

SEC("tc")
int core_missing_type(struct __sk_buff *ctx)
{
	struct navstar_no_such_struct *p = bpf_cast_to_kern_ctx(ctx);

	return p->absent ? TC_ACT_OK : TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
