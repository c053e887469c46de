/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* lb_maps.h: the maps every Minuteman program shares. All are pinned by name, so the sock, tc and
 * xdp objects loaded under one pin directory use the same maps, and a restarted agent finds them. */
#ifndef NAVSTAR_LB_MAPS_H
#define NAVSTAR_LB_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lb_structs.h"
#include "lb_consts.h"

/* Every shared map is pinned by name; -DLB_PINNING=LIBBPF_PIN_NONE builds an unpinned variant. */
#ifndef LB_PINNING
#define LB_PINNING LIBBPF_PIN_BY_NAME
#endif

/* VIP address:port:proto -> its id (the slot of its Maglev table in lb_maglev_tables, and of its counters). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_MAX_VIPS);
	__type(key, struct lb_vip_key);
	__type(value, struct lb_vip_info);
	__uint(pinning, LB_PINNING);
} lb_vips SEC(".maps");

/* One VIP's Maglev table: M cells of backend ids, M (a prime) being the map's max_entries, so a table and its size are
 * swapped as one. The control plane creates one per table; BPF_F_INNER_MAP lets tables of any M share the outer map. */
struct lb_maglev_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_INNER_MAP);
	__type(key, __u32);
	__type(value, __u32);
};

/* vip_id -> that VIP's Maglev table (an empty slot: no usable backend). The control plane fills a new table aside and
 * swaps it in with one update; the kernel frees the old one. Memory follows the VIPs that exist. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, LB_MAX_VIPS);
	__type(key, __u32);
	__uint(pinning, LB_PINNING);
	__array(values, struct lb_maglev_table); /* last: a flexible array */
} lb_maglev_tables SEC(".maps");

/* Backend id -> address and port. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct lb_backend);
	__uint(pinning, LB_PINNING);
} lb_backends SEC(".maps");

/* Connection table: client -> VIP tuple -> chosen backend (tc and xdp modes), LB_FLOW_WAYS flows a bucket, a power of
 * two of buckets (struct lb_flow_bucket; lb_flow_table.h). Replaced the LRU hash lb_flows, which the control plane
 * unpins as retired. */
_Static_assert((LB_FLOW_BUCKETS & (LB_FLOW_BUCKETS - 1)) == 0, "LB_FLOW_BUCKETS is no power of two");
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_FLOW_BUCKETS);
	__type(key, __u32);
	__type(value, struct lb_flow_bucket);
	__uint(pinning, LB_PINNING);
} lb_flow_buckets SEC(".maps");

/* Reverse NAT: backend -> client tuple -> the VIP the reply must come from (tc and xdp modes), for flows whose
 * backend lb_backend_vips cannot answer for (shared endpoints), and for flows made before it existed. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB_MAX_FLOWS);
	__type(key, struct lb_flow_key);
	__type(value, struct lb_reverse_nat);
	__uint(pinning, LB_PINNING);
} lb_reverse SEC(".maps");

/* Backend endpoint -> the VIP of its flows, so replies find their forward entry (tc and xdp modes). Filled by the
 * data plane once per endpoint; not preallocated (it holds about one entry per backend). When full, flows fall back
 * to reverse entries. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_MAX_BACKENDS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lb_vip_key);
	__type(value, struct lb_backend_vip);
	__uint(pinning, LB_PINNING);
} lb_backend_vips SEC(".maps");

/* A bit per hash of a VIP address (LB_ADDR_FILTER_WORDS in lb_structs.h): a packet whose destination's bit is clear
 * goes to no VIP, and ingress passes it after one array read instead of two hash lookups (on a node, half of all
 * packets that meet an ingress program are replies from backends). Written by the control plane. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_ADDR_FILTER_WORDS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LB_PINNING);
} lb_vip_filter SEC(".maps");

/* The same over backend addresses: a packet whose source's bit is clear is no backend's reply, and egress passes it
 * after one array read (a hash lookup keyed by the client's port lands in a cold bucket every time). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_ADDR_FILTER_WORDS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LB_PINNING);
} lb_backend_filter SEC(".maps");

/* Container-facing veths tc mode may hand a packet to directly (struct lb_peer_iface), written by the control plane. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_MAX_PEER_IFACES);
	__type(key, __u32);
	__type(value, struct lb_peer_iface);
	__uint(pinning, LB_PINNING);
} lb_peer_ifaces SEC(".maps");

/* LB_STATE_F_* flags (one element), set by the data plane: with none set, a packet whose source is not in
 * lb_backend_vips is no reply, and egress passes it without looking lb_reverse up. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LB_PINNING);
} lb_state SEC(".maps");

/* sock mode: per socket, the VIPs it asked for by the backends it got, for getpeername() and recvmsg(); socket-local
 * storage (Documentation/bpf/map_sk_storage.rst), so an entry costs nothing to look up, needs no size, and is freed
 * with its socket. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct lb_sock_vips);
	__uint(pinning, LB_PINNING);
} lb_sock_vips SEC(".maps");

/* Settings written by the control plane (one element). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_config);
	__uint(pinning, LB_PINNING);
} lb_config SEC(".maps");

/* Per-CPU counters per VIP id. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct lb_stats);
	__uint(pinning, LB_PINNING);
} lb_vip_stats SEC(".maps");

/* Per-CPU counters per backend id. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct lb_stats);
	__uint(pinning, LB_PINNING);
} lb_backend_stats SEC(".maps");

/* Per-CPU counters per enum lb_drop_reason (lb_drop), read by the control plane in one batch per scrape. */
_Static_assert(LB_DROP_REASONS <= LB_DROP_SLOTS, "lb_drops has no slot for every drop reason");
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_DROP_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LB_PINNING);
} lb_drops SEC(".maps");

/* Written by no program since per-flow events were retired (the health rule reads lb_backend_stats): defined and pinned
 * as before, so an agent finds the pin an earlier version made, and programs of that version still attached while the
 * new ones load find their ring. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, LB_EVENTS_BYTES);
	__uint(pinning, LB_PINNING);
} lb_events SEC(".maps");

/* lb_now()'s per-CPU cache: the coarse clock as last read, and the jiffies value it was read at. Private to each object
 * (not pinned, not seen by the control plane). */
struct lb_clock {
	__u64 jiffies;
	__u64 ns;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_clock);
} lb_clock SEC(".maps");

/* Scratch space for building refusal packets, a new flow's reverse-NAT entry and a route lookup's parameters (too big
 * for the stack). The union also names enum lb_drop_reason, which programs only use as a number, so that the object's
 * BTF carries it (for bpftool and for the Java mirrors' tests). */
struct lb_scratch {
	union {
		__u8 buf[LB_REPLY_MAX];
		struct {
			struct lb_flow_key key;
			struct lb_reverse_nat value;
		} reverse;
		struct bpf_fib_lookup fib;
		enum lb_drop_reason drop_reason;
	};
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_scratch);
} lb_scratch SEC(".maps");

#endif
