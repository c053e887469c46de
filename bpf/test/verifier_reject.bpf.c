// SPDX-License-Identifier: GPL-2.0
/* Loader test program the verifier must refuse: it reads the packet without checking data_end.
 * The loader test expects the verifier's complaint ("invalid access to packet") in the exception. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int read_without_bounds_check(struct xdp_md *ctx)
{
	unsigned char *data = (unsigned char *)(long)ctx->data;

	return data[12] == 0x08 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
