// SPDX-License-Identifier: GPL-2.0
/* Loader test program: publishes one event per packet to a ring buffer (the shape of Minuteman's
 * first-packet events). Driven by BPF_PROG_TEST_RUN with a repeat count; the Java test consumes. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* One event: a sequence number and the packet's length. */
struct packet_event {
	__u64 sequence;
	__u32 length;
	__u32 ingress_ifindex;
};

#ifndef EVENTS_BYTES
#define EVENTS_BYTES (64 * 1024)
#endif

/* Events to user space. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, EVENTS_BYTES);
} events SEC(".maps");

/* Next sequence number (.bss) and events lost to a full buffer. */
__u64 next_sequence = 0;
__u64 lost = 0;

SEC("xdp")
int ringbuf_publish(struct xdp_md *ctx)
{
	struct packet_event *event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);

	if (!event) {
		__sync_fetch_and_add(&lost, 1);
		return XDP_PASS;
	}
	event->sequence = __sync_fetch_and_add(&next_sequence, 1);
	event->length = ctx->data_end - ctx->data;
	event->ingress_ifindex = ctx->ingress_ifindex;
	bpf_ringbuf_submit(event, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
