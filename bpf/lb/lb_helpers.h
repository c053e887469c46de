/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* lb_helpers.h: what every mode does once it knows a flow's tuple: find the VIP, pick a backend in
 * its Maglev table, count, and tell the control plane. No packet access here. */
#ifndef NAVSTAR_LB_HELPERS_H
#define NAVSTAR_LB_HELPERS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lb_maps.h"
#include "kern_map.h"

/* murmur3's 32-bit finalizer: spreads every input bit over the output. */
static __always_inline __u32 lb_mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

static __always_inline __u32 lb_hash_step(__u32 h, __u32 v)
{
	return lb_mix32(h ^ v) + 0x9e3779b9;
}

/* NH's step (Black et al., UMAC: Fast and Secure Message Authentication, CRYPTO 1999): two words, each plus a
 * constant mod 2^32, multiplied into 64 bits. */
static __always_inline __u64 lb_nh(__u32 a, __u32 ka, __u32 b, __u32 kb)
{
	return (__u64)(__u32)(a + ka) * (__u32)(b + kb);
}

/*
 * Hash of a flow's tuple; the same flow always gets the same hash, so the same Maglev cell and the same buckets of
 * the connection table. The tuple's words in NH pairs, the four products summed and their halves mixed once: the
 * multiplies run side by side, where lb_flow_hash_v1's eight rounds each waited on the last (docs/benchmarks.md).
 * FlowTable.flowHash in Java computes the same.
 */
static __always_inline __u32 lb_flow_hash(const struct lb_flow_key *key)
{
	__u64 h = lb_nh(key->src[0], 0x9e3779b1u, key->src[1], 0x85ebca77u) +
		  lb_nh(key->src[2], 0xc2b2ae3du, key->src[3], 0x27d4eb2fu) +
		  lb_nh(key->dst[0], 0x165667b1u, key->dst[3], 0xcc9e2d51u) +
		  lb_nh(((__u32)key->sport << 16) | key->dport, 0x1b873593u, key->proto, 0x2545f491u);

	return lb_mix32((__u32)(h >> 32) ^ (__u32)h);
}

/*
 * The hash earlier agents' programs placed flows by: murmur3's finalizer over each word in turn. Only lb_flow_find_v1
 * uses it, to find the flows they left in a pinned table (LB_CFG_F_LEGACY_FLOW_HASH).
 */
static __always_inline __u32 lb_flow_hash_v1(const struct lb_flow_key *key)
{
	__u32 h = 0x2545f491;

	h = lb_hash_step(h, key->src[0]);
	h = lb_hash_step(h, key->src[1]);
	h = lb_hash_step(h, key->src[2]);
	h = lb_hash_step(h, key->src[3]);
	h = lb_hash_step(h, key->dst[0]);
	h = lb_hash_step(h, key->dst[3]);
	h = lb_hash_step(h, ((__u32)key->sport << 16) | key->dport);
	h = lb_hash_step(h, key->proto);
	return lb_mix32(h);
}

/*
 * The data plane's clock: CLOCK_MONOTONIC at tick resolution (ktime_get_coarse_ns in the kernel), the same
 * time base as bpf_ktime_get_ns and userspace's System.nanoTime, at most two ticks (2-20 ms) behind, which no
 * timeout here (seconds; the 400 ms reply rule) notices. bpf_ktime_get_ns was about a sixth of a tracked
 * packet's time here (PROG_TEST_RUN, LbProgramKernelTime), and even the coarse helper costs a call; the coarse
 * time only moves when jiffies does (the tick advances jiffies, then the timekeeper: tick_do_update_jiffies64 in
 * kernel/time/tick-sched.c, tick_periodic in kernel/time/tick-common.c), so each CPU keeps the coarse time it read
 * at the current jiffy, and bpf_jiffies64 (a load) decides when to read it again: once per tick.
 */
static __always_inline __u64 lb_now(void)
{
	__u32 zero = 0;
	struct lb_clock *c = bpf_map_lookup_elem(&lb_clock, &zero);
	__u64 j = bpf_jiffies64();

	if (!c)
		return bpf_ktime_get_coarse_ns();
	if (c->jiffies != j) {
		c->ns = bpf_ktime_get_coarse_ns();
		c->jiffies = j;
	}
	return c->ns;
}

static __always_inline struct lb_config *lb_cfg(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&lb_config, &zero);
}

/* An address filter's bit for an address (16 bytes; IPv4 in the first 4, the rest zero). Abi.addressFilterBit in
 * Java computes the same from the same bytes read as host-order words. */
static __always_inline __u32 lb_addr_filter_bit(const __u32 *addr)
{
	return lb_mix32(addr[0] ^ addr[1] ^ addr[2] ^ addr[3]) & (LB_ADDR_FILTER_WORDS * 64 - 1);
}

/* False when the address's bit in filter (lb_vip_filter or lb_backend_filter) is clear; true may be a false
 * positive. */
static __always_inline int lb_addr_maybe_in(void *filter, const __u32 *addr)
{
	__u32 bit = lb_addr_filter_bit(addr);
	__u32 word = bit >> 6;
	__u64 *w = bpf_map_lookup_elem(filter, &word);

	return !w || ((*w >> (bit & 63)) & 1);
}

/* The LB_STATE_F_* flags. */
static __always_inline __u64 lb_state_flags(void)
{
	__u32 zero = 0;
	__u64 *flags = bpf_map_lookup_elem(&lb_state, &zero);

	return flags ? *flags : 0;
}

static __always_inline void lb_state_set(__u64 flag)
{
	__u32 zero = 0;
	__u64 *flags = bpf_map_lookup_elem(&lb_state, &zero);

	if (flags && !(*flags & flag))
		__sync_fetch_and_or(flags, flag);
}

static __always_inline __u64 lb_timeout(const struct lb_config *cfg, __u8 proto, int closing)
{
	__u64 t;

	if (proto == IPPROTO_UDP_) {
		t = cfg ? cfg->udp_timeout_ns : 0;
		return t ? t : LB_DEFAULT_UDP_TIMEOUT_NS;
	}
	if (closing) {
		t = cfg ? cfg->tcp_closing_ns : 0;
		return t ? t : LB_DEFAULT_TCP_CLOSING_NS;
	}
	t = cfg ? cfg->tcp_timeout_ns : 0;
	return t ? t : LB_DEFAULT_TCP_TIMEOUT_NS;
}

/*
 * Maglev lookup (Eisenbud et al., NSDI 2016, section 3.4): the VIP's table is the inner map in its vip_id's slot of
 * lb_maglev_tables; the flow's hash modulo M (the table's own max_entries) names the cell, the cell names the
 * backend. Returns the backend, or NULL when the VIP has no table (no usable backend).
 */
static __always_inline struct lb_backend *lb_pick_backend(const struct lb_vip_info *vip, __u32 hash,
							  __u32 *backend_id)
{
	__u32 slot = vip->vip_id;
	void *table = bpf_map_lookup_elem(&lb_maglev_tables, &slot);
	__u32 size;
	__u32 cell;
	__u32 *id;

	if (!table)
		return NULL;
	size = lb_map_max_entries(table);
	if (size == 0)
		return NULL;
	cell = hash % size;
	id = bpf_map_lookup_elem(table, &cell);
	if (!id)
		return NULL;
	*backend_id = *id;
	return bpf_map_lookup_elem(&lb_backends, id);
}

/* Counts a packet (or a sock-mode call) in slot id of stats_map (lb_vip_stats or lb_backend_stats), and a new flow
 * when it opened one; returns the slot for the counter only that map has, or NULL. */
static __always_inline struct lb_stats *lb_count(void *stats_map, __u32 id, __u64 bytes, int new_flow)
{
	struct lb_stats *s = bpf_map_lookup_elem(stats_map, &id);

	if (!s)
		return NULL;
	s->packets += 1;
	s->bytes += bytes;
	if (new_flow)
		s->new_flows += 1;
	return s;
}

/* Counts a packet (or a sock-mode call) of a VIP in lb_vip_stats: a new flow it gave a backend, or one it refused. */
static __always_inline void lb_count_vip(__u32 vip_id, __u64 bytes, int new_flow, int refused)
{
	struct lb_stats *s = lb_count(&lb_vip_stats, vip_id, bytes, new_flow);

	if (s && refused)
		s->refused_flows += 1;
}

/* Counts a packet (or a sock-mode call) of a backend's flows in lb_backend_stats, either way: a flow's first, its first
 * reply. */
static __always_inline void lb_count_backend(__u32 backend_id, __u64 bytes, int new_flow, int first_reply)
{
	struct lb_stats *s = lb_count(&lb_backend_stats, backend_id, bytes, new_flow);

	if (s && first_reply)
		s->replied_flows += 1;
}

/*
 * Counts a packet (or a sock-mode call) dropped, refused or passed untranslated under the reason that decided it, or
 * a record a table could not take: one lookup in the per-CPU lb_drops and a plain increment (no
 * other CPU writes this slot; sock mode's callers may be preempted, and a rare lost increment is accepted there, as
 * by lb_count_vip and lb_count_backend).
 */
static __always_inline void lb_drop(enum lb_drop_reason reason)
{
	__u32 slot = reason;
	__u64 *count = bpf_map_lookup_elem(&lb_drops, &slot);

	if (count)
		*count += 1;
}

#endif
