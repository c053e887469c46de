// SPDX-License-Identifier: GPL-2.0
/* Test object for the ELF/BTF reader (loader/src/test/.../elf): one BTF-defined map of every kind
 * navstar uses, with struct keys and values whose layouts the tests compute by hand. Never loaded
 * for traffic; only parsed (and, as root, its BTF uploaded). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* 12 bytes: ip@0, port@4, proto@6, pad@7, weight@8 */
struct backend {
	__u32 ip;
	__u16 port;
	__u8 proto;
	__u8 pad;
	__u32 weight;
};

/* 16 bytes: saddr@0 daddr@4 sport@8 dport@10 proto@12, 3 bytes tail padding */
struct flow_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
};

/* LPM key: prefixlen@0, addr@4 (8 bytes) */
struct lpm_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

/* Bit fields: flags word at 0 holding three fields, then a u64 at 8; 16 bytes. */
struct bits {
	__u32 enabled : 1;
	__u32 mode : 3;
	__u32 count : 28;
	__u64 total;
};

typedef struct backend backend_t;

/* Plain hash: struct key and value, pinned by name. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow_key);
	__type(value, backend_t);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flows SEC(".maps");

/* LRU hash with BPF_F_NO_COMMON_LRU. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct flow_key);
	__type(value, struct flow_key);
} reverse_nat SEC(".maps");

/* Array of backends. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

/* libbpf's newer 64-bit-capable field encoding (an enum of one value); not in clang 14's bpf_helpers.h. */
#ifndef __ulong
#define __ulong(name, val) enum { ___navstar_##name = val } name
#endif

/* Per-CPU array of counters, sizes given as numbers rather than types, capacity through __ulong. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__ulong(max_entries, 8);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
} counters SEC(".maps");

/* Per-CPU hash with BPF_F_NO_PREALLOC. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 128);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct bits);
} bit_stats SEC(".maps");

/* LPM trie (needs BPF_F_NO_PREALLOC). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4_key);
	__type(value, __u32);
} routes SEC(".maps");

/* Ring buffer of 256 KiB. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Inner map template for the map-in-map types. */
struct inner_array {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct backend);
};

struct inner_array maglev_a SEC(".maps");

/* Array of maps of inner_array (filled from user space: .values initialisers are refused). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_array);
} maglev_tables SEC(".maps");

/* Hash of maps with an inner hash template. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 32);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_HASH);
		__uint(max_entries, 8);
		__type(key, __u16);
		__type(value, __u64);
	});
} per_vip SEC(".maps");

SEC("xdp")
int use_maps(struct xdp_md *ctx)
{
	struct flow_key key = {};
	__u32 idx = 0;
	struct backend *be;
	__u64 *count;

	key.saddr = ctx->ingress_ifindex;
	be = bpf_map_lookup_elem(&flows, &key);
	if (be)
		bpf_map_update_elem(&reverse_nat, &key, &key, BPF_ANY);
	be = bpf_map_lookup_elem(&backends, &idx);
	count = bpf_map_lookup_elem(&counters, &idx);
	if (count)
		*count += be ? be->weight : 1;
	bpf_map_lookup_elem(&bit_stats, &idx);
	bpf_map_lookup_elem(&routes, &key);
	bpf_map_lookup_elem(&maglev_tables, &idx);
	bpf_map_lookup_elem(&per_vip, &idx);
	bpf_ringbuf_output(&events, &key, sizeof(key), 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
