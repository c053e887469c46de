// SPDX-License-Identifier: GPL-2.0
/* Loader test program for BPF_PROG_TEST_RUN: reflects an IPv4 UDP packet to its sender by swapping the
 * Ethernet addresses, the IP addresses and the ports, and returns XDP_TX; anything else passes untouched.
 * Swapping keeps both checksums valid (the one's complement sum is commutative, RFC 1071). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* How many packets were reflected. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} reflected SEC(".maps");

SEC("xdp")
int udp_reflect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	struct udphdr *udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > data_end)
		return XDP_PASS;

	unsigned char mac[ETH_ALEN];
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);

	__u32 addr = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = addr;

	__u16 port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;

	__u32 zero = 0;
	__u64 *count = bpf_map_lookup_elem(&reflected, &zero);
	if (count)
		__sync_fetch_and_add(count, 1);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
