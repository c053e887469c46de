// SPDX-License-Identifier: GPL-2.0
/* Loader test program: counts packets at XDP, in total (per CPU) and per IPv4 source address.
 * Attached to a veth inside a test namespace; the Java test pings through it and reads the counters. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Packets and bytes seen. */
struct pkt_counters {
	__u64 packets;
	__u64 bytes;
};

/* Key of the per-source map: an IPv4 source address (network order) and its L4 protocol. */
struct source_key {
	__u32 saddr;
	__u8 protocol;
	__u8 pad[3];
};

/* Totals, one slot per CPU; key 0. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pkt_counters);
} xdp_totals SEC(".maps");

#ifndef MAX_SOURCES
#define MAX_SOURCES 1024
#endif

/* Counters per IPv4 source; pinned by name so a reload keeps them. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_SOURCES);
	__type(key, struct source_key);
	__type(value, struct pkt_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xdp_by_source SEC(".maps");

/* Set by the loader before load: count only this IP protocol (0 = all). Lives in .rodata. */
volatile const __u8 only_protocol = 0;

static __always_inline void count(struct pkt_counters *c, __u64 bytes)
{
	__sync_fetch_and_add(&c->packets, 1);
	__sync_fetch_and_add(&c->bytes, bytes);
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 bytes = data_end - data;
	__u32 zero = 0;

	struct pkt_counters *total = bpf_map_lookup_elem(&xdp_totals, &zero);
	if (total)
		count(total, bytes);

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	if (only_protocol && ip->protocol != only_protocol)
		return XDP_PASS;

	struct source_key key = { .saddr = ip->saddr, .protocol = ip->protocol };
	struct pkt_counters *per_source = bpf_map_lookup_elem(&xdp_by_source, &key);
	if (per_source) {
		count(per_source, bytes);
	} else {
		struct pkt_counters first = { .packets = 1, .bytes = bytes };
		bpf_map_update_elem(&xdp_by_source, &key, &first, BPF_NOEXIST);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
