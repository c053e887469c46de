// SPDX-License-Identifier: GPL-2.0
/* Loader test program the verifier refuses only after a long walk: 64 unrolled, bounds-checked byte sums,
 * then one read past the checked length. Its log is tens of kilobytes, so the loader must grow its log
 * buffer (the kernel answers ENOSPC) to hand the whole log, from the first instruction to the complaint. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int long_walk_then_bad_read(struct xdp_md *ctx)
{
	unsigned char *data = (unsigned char *)(long)ctx->data;
	unsigned char *data_end = (unsigned char *)(long)ctx->data_end;
	__u32 sum = 0;

	if (data + 64 > data_end)
		return XDP_PASS;
#pragma unroll
	for (int i = 0; i < 64; i++)
		sum += data[i] * (i + 1);
	return sum + data[64] ? XDP_PASS : XDP_DROP; /* data[64] was never checked */
}

char LICENSE[] SEC("license") = "GPL";
