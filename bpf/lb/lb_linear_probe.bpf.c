// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* lb_linear_probe.bpf.c: a test probe, not part of the data plane (LbDataPlane never loads it). Attached at tcx
 * ingress before and after lb_tc_ingress, it counts the IPv4 TCP segments with payload that pass and how many of
 * them hold payload bytes in the skb's linear part, so LbTcPullTest can show that lb_tc pulls headers only. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* [0] segments with payload seen first, [1] of those with payload in the linear part; [2], [3] the same seen last */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} lb_probe_counts SEC(".maps");

static __always_inline void lb_probe(struct __sk_buff *skb, __u32 slot)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp;
	__u32 headers;
	__u64 *count;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != 6 /* TCP */)
		return;
	tcp = (void *)ip + ip->ihl * 4;
	if ((void *)(tcp + 1) > data_end)
		return;
	headers = ETH_HLEN + ip->ihl * 4 + tcp->doff * 4;
	if (skb->len <= headers)
		return;
	count = bpf_map_lookup_elem(&lb_probe_counts, &slot);
	if (count)
		__sync_fetch_and_add(count, 1);
	slot++;
	count = bpf_map_lookup_elem(&lb_probe_counts, &slot);
	if (count && data_end - data > headers)
		__sync_fetch_and_add(count, 1);
}

SEC("tcx/ingress")
int lb_probe_first(struct __sk_buff *skb)
{
	lb_probe(skb, 0);
	return -1;  /* TCX_NEXT */
}

SEC("tcx/ingress")
int lb_probe_last(struct __sk_buff *skb)
{
	lb_probe(skb, 2);
	return -1;  /* TCX_NEXT */
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
