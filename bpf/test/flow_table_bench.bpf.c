// SPDX-License-Identifier: GPL-2.0
/* Benchmark programs (jmh/scripts/lb-flow-table.sh): what one insert of a flow never seen, and one lookup of a live
 * flow, cost in each kind of table Minuteman's connection table could be, at the size and with the key and value of
 * lb_flows (struct lb_flow_key, struct lb_flow). Each program is run by BPF_PROG_TEST_RUN with a large repeat count;
 * the packet is ignored: a per-CPU counter makes a new key each run, scattered over the key space by a multiplicative
 * hash, so consecutive runs touch unrelated buckets as real clients do. Kinds of table:
 * - lru: BPF_MAP_TYPE_LRU_HASH with the common LRU list, as lb_flows is;
 * - lru_percpu: the same with BPF_F_NO_COMMON_LRU (a list per CPU, as Katran's per-CPU tables);
 * - hash: BPF_MAP_TYPE_HASH, preallocated; it cannot evict, so each insert deletes the flow inserted half a table
 *   earlier, as an agent reaping expired flows would;
 * - ways: a 4-way set-associative table in a BPF_MAP_TYPE_ARRAY of buckets, the flow's hash naming its bucket; an
 *   insert takes a free or expired way, else the one that expires first, claimed with a compare-and-swap on its tag so
 *   two CPUs never write the same way at once. A prototype to measure, not the data plane's table. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lb_structs.h"

#define FLOWS       262144
#define WAYS        4
#define BUCKETS     (FLOWS / WAYS)
#define TAG_FREE    0u
#define TAG_CLAIMED 1u  /* a writer owns the way; readers skip it */

struct lb_bench_way {
	struct lb_flow_key key;
	struct lb_flow flow;
};

struct lb_bench_bucket {
	__u32 tags[WAYS];     /* the flow hash with bit 1 set (never free or claimed), or TAG_* */
	__u32 expires[WAYS];  /* the way's flow's expiry, in the benchmark's own clock (its run count) */
	struct lb_bench_way ways[WAYS];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FLOWS);
	__type(key, struct lb_flow_key);
	__type(value, struct lb_flow);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FLOWS);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct lb_flow_key);
	__type(value, struct lb_flow);
} lru_percpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FLOWS);
	__type(key, struct lb_flow_key);
	__type(value, struct lb_flow);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BUCKETS);
	__type(key, __u32);
	__type(value, struct lb_bench_bucket);
} ways SEC(".maps");

/* Per table: runs of its insert program so far (slot 0), and of its lookup program (slot 1). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} runs SEC(".maps");

static __always_inline __u64 next_run(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&runs, &slot);

	return n ? (*n)++ : 0;
}

static __always_inline __u64 runs_so_far(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&runs, &slot);

	return n ? *n : 0;
}

/* The i-th client's flow to one VIP: the client address scattered by Knuth's multiplicative hash. */
static __always_inline void flow_key(struct lb_flow_key *k, __u64 i)
{
	k->src[0] = (__u32)i * 2654435761u;
	k->src[1] = (__u32)(i >> 32);
	k->dst[0] = 0x0100000b;  /* 11.0.0.1 */
	k->sport = 0x409c;       /* 40000 */
	k->dport = 0x5000;       /* 80 */
	k->proto = 6;
	k->family = 2;
}

/* A live flow for a lookup: one of the last FLOWS / 2 inserted, which every kind of table still holds. */
static __always_inline __u64 live_flow(__u32 insert_slot, __u32 lookup_slot)
{
	__u64 inserted = runs_so_far(insert_slot);
	__u64 back = next_run(lookup_slot) % (FLOWS / 2) + 1;

	return inserted > back ? inserted - back : 0;
}

static __always_inline int insert(void *map, __u32 slot, int delete_old)
{
	struct lb_flow_key k = {};
	struct lb_flow f = {};
	__u64 i = next_run(slot);

	flow_key(&k, i);
	f.backend_id = 1;
	f.expires_ns = i;
	if (delete_old && i >= FLOWS / 2) {
		struct lb_flow_key old = {};

		flow_key(&old, i - FLOWS / 2);
		bpf_map_delete_elem(map, &old);
	}
	bpf_map_update_elem(map, &k, &f, BPF_ANY);
	return 0;
}

static __always_inline int lookup(void *map, __u32 insert_slot, __u32 lookup_slot)
{
	struct lb_flow_key k = {};
	struct lb_flow *f;

	flow_key(&k, live_flow(insert_slot, lookup_slot));
	f = bpf_map_lookup_elem(map, &k);
	return f ? f->backend_id : 0;
}

SEC("tc")
int floor_run(struct __sk_buff *skb)
{
	return 0;
}

SEC("tc")
int lru_insert(struct __sk_buff *skb)
{
	return insert(&lru, 0, 0);
}

SEC("tc")
int lru_lookup(struct __sk_buff *skb)
{
	return lookup(&lru, 0, 1);
}

SEC("tc")
int lru_percpu_insert(struct __sk_buff *skb)
{
	return insert(&lru_percpu, 2, 0);
}

SEC("tc")
int lru_percpu_lookup(struct __sk_buff *skb)
{
	return lookup(&lru_percpu, 2, 3);
}

SEC("tc")
int hash_insert(struct __sk_buff *skb)
{
	return insert(&hash, 4, 1);
}

SEC("tc")
int hash_lookup(struct __sk_buff *skb)
{
	return lookup(&hash, 4, 5);
}

static __always_inline __u32 mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x7feb352d;
	h ^= h >> 15;
	h *= 0x846ca68b;
	h ^= h >> 16;
	return h;
}

static __always_inline __u32 way_hash(const struct lb_flow_key *k)
{
	return mix32(k->src[0] ^ mix32(k->src[1] ^ k->dst[0]) ^ (((__u32)k->sport << 16) | k->dport));
}

static __always_inline int same_key(const struct lb_flow_key *a, const struct lb_flow_key *b)
{
	return a->src[0] == b->src[0] && a->src[1] == b->src[1] && a->src[2] == b->src[2] && a->src[3] == b->src[3] &&
	       a->dst[0] == b->dst[0] && a->dst[1] == b->dst[1] && a->dst[2] == b->dst[2] && a->dst[3] == b->dst[3] &&
	       a->sport == b->sport && a->dport == b->dport && a->proto == b->proto && a->family == b->family;
}

SEC("tc")
int ways_insert(struct __sk_buff *skb)
{
	struct lb_flow_key k = {};
	__u64 i = next_run(6);
	__u32 h, index, tag, victim = 0, oldest = 0xffffffffu;
	struct lb_bench_bucket *b;

	flow_key(&k, i);
	h = way_hash(&k);
	index = h % BUCKETS;
	tag = h | 2;
	b = bpf_map_lookup_elem(&ways, &index);
	if (!b)
		return 0;
	for (int w = 0; w < WAYS; w++) {
		__u32 t = b->tags[w];

		if (t == tag && same_key(&b->ways[w].key, &k)) {
			victim = w;
			break;
		}
		if (t == TAG_CLAIMED)
			continue;
		if (t == TAG_FREE || b->expires[w] < oldest) {
			oldest = t == TAG_FREE ? 0 : b->expires[w];
			victim = w;
		}
	}
	if (victim >= WAYS)
		return 0;
	{
		__u32 seen = b->tags[victim];

		if (seen == TAG_CLAIMED || __sync_val_compare_and_swap(&b->tags[victim], seen, TAG_CLAIMED) != seen)
			return 0;  /* another CPU writes this way: a real table would try the next */
	}
	b->ways[victim].key = k;
	b->ways[victim].flow.backend_id = 1;
	b->ways[victim].flow.expires_ns = i;
	b->expires[victim] = (__u32)i + FLOWS;
	__sync_lock_test_and_set(&b->tags[victim], tag);  /* publishes the way (a full barrier on x86: xchg) */
	return 0;
}

SEC("tc")
int ways_lookup(struct __sk_buff *skb)
{
	struct lb_flow_key k = {};
	struct lb_bench_bucket *b;
	__u32 h, index, tag;

	flow_key(&k, live_flow(6, 7));
	h = way_hash(&k);
	index = h % BUCKETS;
	tag = h | 2;
	b = bpf_map_lookup_elem(&ways, &index);
	if (!b)
		return 0;
	for (int w = 0; w < WAYS; w++) {
		if (b->tags[w] == tag && same_key(&b->ways[w].key, &k))
			return b->ways[w].flow.backend_id;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
