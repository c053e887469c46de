// SPDX-License-Identifier: GPL-2.0
/* Benchmark probes (LbProgramKernelTime): what reading cache lines at random places of a table as large as the
 * connection table costs a tc program, so a new flow's time can be set beside the memory it must touch. The table is
 * an array of 64-byte lines; `span` (set by the benchmark) says how many of them the reads range over. Each program
 * reads lines at random indexes (bpf_get_prandom_u32) and returns TCX_NEXT; the packet is ignored.
 * - cold_one: one line;
 * - cold_two: two lines chosen independently (the CPU may fetch both at once, as a new flow's two candidate buckets);
 * - cold_none: the same random numbers and arithmetic, no table read (this probe's own floor). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* 96 MiB of 64-byte lines: room for the connection table of a 24 GiB node by default (88 MiB, 1,048,576 flows). */
#define COLD_LINES (96u << 14)

struct cold_line {
	__u64 word[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, COLD_LINES);
	__type(key, __u32);
	__type(value, struct cold_line);
} cold_lines SEC(".maps");

/* [0]: how many lines the reads range over (1..COLD_LINES); [1]: a sink the reads add to, so none is optimised out */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} cold_span SEC(".maps");

static __always_inline __u32 cold_index(__u64 span)
{
	return span ? (__u32)(bpf_get_prandom_u32() % (__u32)span) : 0;
}

static __always_inline __u64 cold_read(__u32 index)
{
	struct cold_line *line = bpf_map_lookup_elem(&cold_lines, &index);

	return line ? line->word[0] : 0;
}

static __always_inline int cold_probe(int reads)
{
	__u32 zero = 0, one = 1;
	__u64 *span = bpf_map_lookup_elem(&cold_span, &zero);
	__u64 *sink = bpf_map_lookup_elem(&cold_span, &one);
	__u32 a, b;
	__u64 sum = 0;

	if (!span || !sink)
		return -1;
	a = cold_index(*span);
	b = cold_index(*span);
	if (reads >= 1)
		sum += cold_read(a);
	if (reads >= 2)
		sum += cold_read(b);
	*sink += sum + a + b;
	return -1;  /* TCX_NEXT */
}

SEC("tc")
int cold_none(struct __sk_buff *skb)
{
	return cold_probe(0);
}

SEC("tc")
int cold_one(struct __sk_buff *skb)
{
	return cold_probe(1);
}

SEC("tc")
int cold_two(struct __sk_buff *skb)
{
	return cold_probe(2);
}

char LICENSE[] SEC("license") = "GPL";
