// SPDX-License-Identifier: GPL-2.0
/* Loader test program: counts packets at tcx ingress and egress of one interface, then lets them go on
 * (TCX_NEXT). Index 0 of tcx_counters is ingress, 1 is egress. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* tcx verdicts (include/uapi/linux/bpf.h, kernel 6.6); the distribution headers predate them. */
#define TCX_NEXT -1

#define DIRECTION_INGRESS 0
#define DIRECTION_EGRESS 1

/* Packets and bytes seen. */
struct pkt_counters {
	__u64 packets;
	__u64 bytes;
};

/* One counter per direction. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct pkt_counters);
} tcx_counters SEC(".maps");

static __always_inline int count(struct __sk_buff *skb, __u32 direction)
{
	struct pkt_counters *c = bpf_map_lookup_elem(&tcx_counters, &direction);

	if (c) {
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, skb->len);
	}
	return TCX_NEXT;
}

SEC("tcx/ingress")
int tcx_ingress_count(struct __sk_buff *skb)
{
	return count(skb, DIRECTION_INGRESS);
}

SEC("tcx/egress")
int tcx_egress_count(struct __sk_buff *skb)
{
	return count(skb, DIRECTION_EGRESS);
}

char LICENSE[] SEC("license") = "GPL";
