/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * lb_flow_table.h: the connection table lb_flow_buckets (struct lb_flow_bucket in lb_structs.h explains the layout):
 * finding a flow, and inserting one with two choices of bucket. Java's FlowTable mirrors the placement; a kernel test
 * checks that the two agree.
 *
 * Concurrency, without locks: a writer claims a way by a compare-and-swap of the tag it read to LB_FLOW_TAG_CLAIMED,
 * writes key, value and coarse expiry, then publishes the tag with an exchange (a full barrier), so a reader that
 * sees a published tag sees the key and value written before it. Readers skip a claimed way. A reader may still hold
 * a way that a writer then claims (the reader matched the key just before): it may then read, or touch, the new
 * flow's value. The LRU hash this replaced did the same: its preallocated elements are reused for another key without
 * waiting for an RCU grace period (kernel/bpf/hashtab.c, htab_lru_map_update_elem), and in-place updates of a found
 * flow (lb_touch: expiry and flags) stay plain writes, as they were there.
 */
#ifndef NAVSTAR_LB_FLOW_TABLE_H
#define NAVSTAR_LB_FLOW_TABLE_H

#include "lb_helpers.h"

/* Where a found flow lives: its value, and its way's coarse expiry in the bucket's header. */
struct lb_flow_ref {
	struct lb_flow *flow;
	__u32 *expiry;
};

static __always_inline __u32 lb_flow_coarse(__u64 expires_ns)
{
	return (__u32)(expires_ns >> LB_FLOW_EXPIRY_SHIFT);
}

/* A flow's two candidate buckets: the hash's low bits, and those of a second mix of it (another bucket than the
 * first whenever the table has two). */
static __always_inline void lb_flow_buckets_of(__u32 hash, __u32 *first, __u32 *second)
{
	__u32 mask = lb_map_max_entries(&lb_flow_buckets) - 1;
	__u32 other = lb_mix32(hash + LB_FLOW_SECOND_SEED) & mask;

	*first = hash & mask;
	*second = other == *first ? *first ^ (mask & 1) : other;
}

static __always_inline int lb_flow_key_eq(const struct lb_flow_key *a, const struct lb_flow_key *b)
{
	return a->src[0] == b->src[0] && a->src[1] == b->src[1] && a->src[2] == b->src[2] && a->src[3] == b->src[3] &&
	       a->dst[0] == b->dst[0] && a->dst[1] == b->dst[1] && a->dst[2] == b->dst[2] && a->dst[3] == b->dst[3] &&
	       a->sport == b->sport && a->dport == b->dport && a->proto == b->proto && a->family == b->family;
}

static __always_inline __u32 lb_flow_tag_of(const struct lb_flow_bucket *b, __u32 way)
{
	return *(volatile const __u32 *)&b->tags[way];
}

/* The way of bucket b holding key (published under tag), or -1. */
static __always_inline int lb_flow_way_of(const struct lb_flow_bucket *b, __u32 tag, const struct lb_flow_key *key)
{
	for (__u32 w = 0; w < LB_FLOW_WAYS; w++) {
		/* Verifier workaround: a compiler barrier, so the key's words are loaded where compared, not all hoisted
		 * out of the loop and spilled (80 bytes of a stack the callers need) */
		asm volatile("" ::: "memory");
		if (lb_flow_tag_of(b, w) == tag && lb_flow_key_eq(&b->ways[w].key, key))
			return w;
	}
	return -1;
}

/*
 * The bucket holding the flow of key placed under hash, with its index in *index and the way in *way; NULL when
 * neither candidate bucket has it.
 */
static __always_inline struct lb_flow_bucket *lb_flow_locate(const struct lb_flow_key *key, __u32 hash, __u32 *index,
								 int *way)
{
	__u32 first_index, second_index;
	__u32 tag = hash | LB_FLOW_TAG_LIVE;
	struct lb_flow_bucket *b;
	int w;

	lb_flow_buckets_of(hash, &first_index, &second_index);
	*index = first_index;
	b = bpf_map_lookup_elem(&lb_flow_buckets, &first_index);
	if (!b)
		return NULL;
	w = lb_flow_way_of(b, tag, key);
	if (w < 0) {
		*index = second_index;
		b = bpf_map_lookup_elem(&lb_flow_buckets, &second_index);
		if (!b)
			return NULL;
		w = lb_flow_way_of(b, tag, key);
		if (w < 0)
			return NULL;
	}
	*way = w;
	return b;
}

/* lb_flow_find_v1's answer when the table has no such flow. */
#define LB_FLOW_NOWHERE 0xffffffffffffffffull

/*
 * Where the flow of key sits when an earlier agent's programs placed it by lb_flow_hash_v1: its bucket's index times
 * LB_FLOW_WAYS plus its way, or LB_FLOW_NOWHERE. Verifier workaround: a global function, verified once on its own, so
 * that its frame and its eight rounds of hashing stay out of every caller's (xdp's ingress program is near the
 * verifier's 512 bytes of stack); such a function can only return a number.
 */
__attribute__((noinline)) __u64 lb_flow_find_v1(const struct lb_flow_key *key)
{
	__u32 index = 0;
	int w = 0;

	if (!key || !lb_flow_locate(key, lb_flow_hash_v1(key), &index, &w))
		return LB_FLOW_NOWHERE;
	return (__u64)index * LB_FLOW_WAYS + w;
}

/*
 * The flow of key, whose lb_flow_hash is hash, expired or not; ref->flow is NULL when the table has none. While
 * lb_config says flows placed by the hash before it may live (LB_CFG_F_LEGACY_FLOW_HASH: for a while after an agent
 * upgrade), a miss looks there too, so an upgrade loses no connection.
 */
static __always_inline void lb_flow_lookup(const struct lb_flow_key *key, __u32 hash, struct lb_flow_ref *ref)
{
	struct lb_flow_bucket *b;
	struct lb_config *cfg;
	__u32 index = 0;
	__u64 at;
	int w = 0;

	ref->flow = NULL;
	b = lb_flow_locate(key, hash, &index, &w);
	if (!b) {
		cfg = lb_cfg();
		if (!cfg || !(cfg->flags & LB_CFG_F_LEGACY_FLOW_HASH))
			return;
		at = lb_flow_find_v1(key);
		if (at == LB_FLOW_NOWHERE)
			return;
		index = at / LB_FLOW_WAYS;
		b = bpf_map_lookup_elem(&lb_flow_buckets, &index);
		if (!b)
			return;
		w = at % LB_FLOW_WAYS;
	}
	w &= LB_FLOW_WAYS - 1;  /* Verifier workaround: the way's bounds are lost through the return value */
	ref->flow = &b->ways[w].flow;
	ref->expiry = &b->expiry[w];
}

/* After the flow's expires_ns moved (lb_touch, a reply's refresh): the header's coarse expiry follows it. */
static __always_inline void lb_flow_sync_expiry(const struct lb_flow_ref *ref)
{
	__u32 coarse = lb_flow_coarse(ref->flow->expires_ns);

	if (*ref->expiry != coarse)
		*ref->expiry = coarse;
}

/* lb_flow_choose's summary of a bucket: */
#define LB_FLOW_CHOICE_LIVE(c)    ((__u32)(c) & 0xf)         /* published ways whose coarse expiry has not passed */
#define LB_FLOW_CHOICE_OPEN(c)    (((__u32)(c) >> 4) & 0xf)  /* a free way, else an expired one; LB_FLOW_NO_WAY: none */
#define LB_FLOW_CHOICE_SOONEST(c) (((__u32)(c) >> 8) & 0xf)  /* the live way that expires first; LB_FLOW_NO_WAY: none */
#define LB_FLOW_CHOICE_EXPIRY(c)  ((__u32)((c) >> 32))       /* the soonest's coarse expiry */
#define LB_FLOW_NO_WAY            0xfu

/*
 * A bucket's candidate ways, from its header alone (one cache line). Verifier workaround: a global function, verified
 * once on its own, whose result the caller sees as any number; inlined, every way's outcome made a constant the
 * caller's states differ in, and verifying an insert's eight ways took more than the verifier's million
 * instructions.
 */
__attribute__((noinline)) __u64 lb_flow_choose(const struct lb_flow_bucket *b, __u32 now_coarse)
{
	__u32 live = 0, open = LB_FLOW_NO_WAY, open_free = 0, soonest = LB_FLOW_NO_WAY;
	__u32 soonest_expiry = 0xffffffffu;

	if (!b)
		return LB_FLOW_NO_WAY << 4 | LB_FLOW_NO_WAY << 8;
	for (__u32 w = 0; w < LB_FLOW_WAYS; w++) {
		__u32 tag = lb_flow_tag_of(b, w);
		__u32 expiry = b->expiry[w];

		if (tag == LB_FLOW_TAG_CLAIMED)
			continue;
		if (tag == LB_FLOW_TAG_FREE || expiry < now_coarse) {
			if (open == LB_FLOW_NO_WAY || (tag == LB_FLOW_TAG_FREE && !open_free)) {
				open = w;
				open_free = tag == LB_FLOW_TAG_FREE;
			}
			continue;
		}
		live++;
		if (expiry < soonest_expiry) {
			soonest_expiry = expiry;
			soonest = w;
		}
	}
	return (__u64)soonest_expiry << 32 | live | open << 4 | soonest << 8;
}

/*
 * Claims way w of b (a compare-and-swap of the tag read here): false when the way is claimed, or is no longer open
 * when an open way was wanted (a flow published since the choice), or another CPU changes the tag first. A publisher
 * writes the expiry before the tag, so a tag read before the expiry comes with its own expiry.
 */
static __always_inline int lb_flow_claim(struct lb_flow_bucket *b, __u32 w, int open, __u32 now_coarse)
{
	__u32 seen = lb_flow_tag_of(b, w);

	if (seen == LB_FLOW_TAG_CLAIMED)
		return 0;
	if (open && seen != LB_FLOW_TAG_FREE && *(volatile __u32 *)&b->expiry[w] >= now_coarse)
		return 0;
	return __sync_val_compare_and_swap(&b->tags[w], seen, LB_FLOW_TAG_CLAIMED) == seen;
}

/* How many times an insert chooses again after losing a way to another CPU. */
#define LB_FLOW_INSERT_TRIES 3

/*
 * Records flow for key (hash is its lb_flow_hash) at time now. The tuple's entry, when it has one in either bucket
 * (an expired flow, or a client port reused after TIME_WAIT), is claimed and written over in place. Else a
 * free or expired way of the less loaded bucket is claimed (of the other when it has none), else the live way that
 * expires first in either: that evicts a live flow, counted as LB_DROP_FLOW_TABLE_FULL (its next packets pick a
 * backend again from the same Maglev table). A way lost to another CPU makes it choose again, a few times. Two CPUs
 * inserting the same new tuple at once may both take a way: lookups find one, the other expires unused. Not inlined:
 * its own stack frame keeps the callers' under the verifier's 512 bytes.
 */
static __attribute__((noinline)) void lb_flow_insert(const struct lb_flow_key *key, __u32 hash,
						     const struct lb_flow *flow, __u64 now)
{
	struct lb_flow_bucket *first, *second, *target;
	__u32 first_index, second_index;
	__u32 now_coarse = lb_flow_coarse(now);
	int w;

	lb_flow_buckets_of(hash, &first_index, &second_index);
	first = bpf_map_lookup_elem(&lb_flow_buckets, &first_index);
	second = bpf_map_lookup_elem(&lb_flow_buckets, &second_index);
	if (!first || !second) {
		lb_drop(LB_DROP_FLOW_TABLE_FULL);
		return;
	}
	target = first;
	w = lb_flow_way_of(first, hash | LB_FLOW_TAG_LIVE, key);
	if (w < 0) {
		target = second;
		w = lb_flow_way_of(second, hash | LB_FLOW_TAG_LIVE, key);
	}
	if (w >= 0) {
		w &= LB_FLOW_WAYS - 1;  /* Verifier workaround: the way's bounds are lost through the return value */
		/* claimed like any way, so that no other CPU evicts it for another key while the flow is written */
		if (lb_flow_claim(target, w, 0, now_coarse)) {
			target->ways[w].flow = *flow;
			target->expiry[w] = lb_flow_coarse(flow->expires_ns);
			__sync_lock_test_and_set(&target->tags[w], hash | LB_FLOW_TAG_LIVE);
		}
		return;  /* else another CPU writes this way: this tuple's retransmit, or an eviction */
	}
	for (int attempt = 0; attempt < LB_FLOW_INSERT_TRIES; attempt++) {
		__u64 a = lb_flow_choose(first, now_coarse);
		__u64 b = lb_flow_choose(second, now_coarse);
		__u32 way;
		int open = 1;

		if (LB_FLOW_CHOICE_OPEN(b) != LB_FLOW_NO_WAY &&
		    (LB_FLOW_CHOICE_OPEN(a) == LB_FLOW_NO_WAY || LB_FLOW_CHOICE_LIVE(b) < LB_FLOW_CHOICE_LIVE(a))) {
			target = second;
			way = LB_FLOW_CHOICE_OPEN(b);
		} else if (LB_FLOW_CHOICE_OPEN(a) != LB_FLOW_NO_WAY) {
			target = first;
			way = LB_FLOW_CHOICE_OPEN(a);
		} else if (LB_FLOW_CHOICE_SOONEST(b) != LB_FLOW_NO_WAY &&
			   (LB_FLOW_CHOICE_SOONEST(a) == LB_FLOW_NO_WAY || LB_FLOW_CHOICE_EXPIRY(b) < LB_FLOW_CHOICE_EXPIRY(a))) {
			target = second;
			way = LB_FLOW_CHOICE_SOONEST(b);
			open = 0;
		} else if (LB_FLOW_CHOICE_SOONEST(a) != LB_FLOW_NO_WAY) {
			target = first;
			way = LB_FLOW_CHOICE_SOONEST(a);
			open = 0;
		} else {
			continue;  /* every way of both is claimed this instant */
		}
		way &= LB_FLOW_WAYS - 1;
		if (!lb_flow_claim(target, way, open, now_coarse))
			continue;
		/* a live flow loses its way only if it has not expired by the exact clock either */
		if (!open && target->ways[way].flow.expires_ns >= now)
			lb_drop(LB_DROP_FLOW_TABLE_FULL);
		target->ways[way].key = *key;
		target->ways[way].flow = *flow;
		target->expiry[way] = lb_flow_coarse(flow->expires_ns);
		__sync_lock_test_and_set(&target->tags[way], hash | LB_FLOW_TAG_LIVE);  /* publishes: an exchange */
		return;
	}
	lb_drop(LB_DROP_FLOW_TABLE_FULL);
}

#endif
