/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* lb_sock.h: socket-level load balancing (sock mode). The destination is rewritten once, at connect()
 * or sendmsg(), so no packet of the flow is touched; getpeername() and recvmsg() are rewritten back to
 * the VIP through the socket's own storage (lb_sock_vips). */
#ifndef NAVSTAR_LB_SOCK_H
#define NAVSTAR_LB_SOCK_H

#include "lb_helpers.h"

/* 1 lets the call proceed, 0 makes it fail with EPERM (cgroup sock_addr return codes). */
#define LB_SOCK_ALLOW 1
#define LB_SOCK_REFUSE 0

static __always_inline void lb_sock_read_addr(struct bpf_sock_addr *ctx, __u8 family, __u32 *addr)
{
	if (family == LB_AF_INET) {
		addr[0] = ctx->user_ip4;
		addr[1] = 0;
		addr[2] = 0;
		addr[3] = 0;
	} else {
		addr[0] = ctx->user_ip6[0];
		addr[1] = ctx->user_ip6[1];
		addr[2] = ctx->user_ip6[2];
		addr[3] = ctx->user_ip6[3];
	}
}

static __always_inline void lb_sock_write_addr(struct bpf_sock_addr *ctx, __u8 family, const __u32 *addr)
{
	if (family == LB_AF_INET) {
		ctx->user_ip4 = addr[0];
	} else {
		ctx->user_ip6[0] = addr[0];
		ctx->user_ip6[1] = addr[1];
		ctx->user_ip6[2] = addr[2];
		ctx->user_ip6[3] = addr[3];
	}
}

/* The slot of vips that holds backend addr:port, or LB_SOCK_VIP_SLOTS when none does. */
static __always_inline __u32 lb_sock_find(const struct lb_sock_vips *vips, __u8 family, const __u32 *addr, __u16 port)
{
	__u32 i;

	for (i = 0; i < LB_SOCK_VIP_SLOTS; i++) {
		const struct lb_sock_vip *slot = &vips->slots[i];

		if (slot->family == family && slot->backend_port == port && slot->backend_addr[0] == addr[0] &&
		    slot->backend_addr[1] == addr[1] && slot->backend_addr[2] == addr[2] &&
		    slot->backend_addr[3] == addr[3])
			return i;
	}
	return LB_SOCK_VIP_SLOTS;
}

/*
 * Records in the socket's storage that backend stands for the VIP vip_key: in the backend's slot if it has one, else
 * in a free slot, else in the slots in turn (an unconnected UDP socket sending to more backends than there are
 * slots; the backend whose slot is taken shows its own address to recvmsg() from then on, counted). connect() and
 * sendmsg() run their programs under the socket's lock (BPF_CGROUP_RUN_SA_PROG_LOCK, include/linux/bpf-cgroup.h),
 * so two writers of one socket's slots never race.
 */
static __always_inline void lb_sock_remember(struct lb_sock_vips *vips, const struct lb_vip_key *vip_key,
					     const struct lb_backend *backend)
{
	struct lb_sock_vip *slot;
	__u32 at = lb_sock_find(vips, vip_key->family, backend->addr, backend->port);
	__u32 i;

	if (at < LB_SOCK_VIP_SLOTS) {
		slot = &vips->slots[at & (LB_SOCK_VIP_SLOTS - 1)];
		if (slot->vip_port == vip_key->port && slot->vip_addr[0] == vip_key->addr[0] &&
		    slot->vip_addr[1] == vip_key->addr[1] && slot->vip_addr[2] == vip_key->addr[2] &&
		    slot->vip_addr[3] == vip_key->addr[3])
			return;  /* as it was: a UDP socket sending to the same VIP again */
	} else {
		for (i = 0; i < LB_SOCK_VIP_SLOTS; i++) {
			if (vips->slots[i].family == 0) {
				at = i;
				break;
			}
		}
		if (at == LB_SOCK_VIP_SLOTS) {
			at = vips->next % LB_SOCK_VIP_SLOTS;
			vips->next = at + 1;
			lb_drop(LB_DROP_SOCK_NAT_FULL);
		}
	}
	slot = &vips->slots[at & (LB_SOCK_VIP_SLOTS - 1)];
	__builtin_memcpy(slot->backend_addr, backend->addr, 16);
	slot->backend_port = backend->port;
	__builtin_memcpy(slot->vip_addr, vip_key->addr, 16);
	slot->vip_port = vip_key->port;
	slot->family = vip_key->family;
}

/* connect() and sendmsg(): a destination that is a VIP becomes one of its backends. */
static __always_inline int lb_sock_forward(struct bpf_sock_addr *ctx, __u8 family)
{
	struct lb_vip_key vip_key = {};
	struct lb_sock_vips *vips;
	struct lb_vip_info *vip;
	struct lb_backend *backend;
	__u32 backend_id = LB_NO_BACKEND;
	__u64 cookie;
	__u8 proto = ctx->protocol;

	lb_sock_read_addr(ctx, family, vip_key.addr);
	/* No VIP has the address (most calls): one array read, as in tc mode, spares the hash lookup. */
	if (!lb_addr_maybe_in(&lb_vip_filter, vip_key.addr))
		return LB_SOCK_ALLOW;
	if (proto != IPPROTO_TCP_ && proto != IPPROTO_UDP_) {
		lb_drop(LB_DROP_UNSUPPORTED_PROTO);  /* a ping socket's connect() to a VIP, say */
		return LB_SOCK_ALLOW;
	}
	vip_key.port = (__u16)ctx->user_port;
	vip_key.proto = proto;
	vip_key.family = family;
	vip = bpf_map_lookup_elem(&lb_vips, &vip_key);
	if (!vip) {
		lb_drop(LB_DROP_NO_VIP);
		return LB_SOCK_ALLOW;
	}

	cookie = bpf_get_socket_cookie(ctx);
	backend = lb_pick_backend(vip, lb_mix32((__u32)cookie ^ lb_mix32((__u32)(cookie >> 32))), &backend_id);
	if (!backend || backend->family != family) {
		/* No usable backend: fail the call at once rather than let the client wait. */
		lb_count_vip(vip->vip_id, 0, 0, 1);
		lb_drop(LB_DROP_NO_BACKEND);
		return LB_SOCK_REFUSE;
	}

	vips = bpf_sk_storage_get(&lb_sock_vips, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (vips)
		lb_sock_remember(vips, &vip_key, backend);
	else
		lb_drop(LB_DROP_SOCK_NAT_FULL);  /* no memory for the storage */

	lb_sock_write_addr(ctx, family, backend->addr);
	ctx->user_port = backend->port;

	/* The agent reads flow rates from these counters; sock mode sees no replies, so no health rule reads them. */
	lb_count_vip(vip->vip_id, 0, 1, 0);
	lb_count_backend(backend_id, 0, 1, 0);
	return LB_SOCK_ALLOW;
}

/* recvmsg() and getpeername(): a backend's address seen by a socket we redirected shows as the VIP. */
static __always_inline int lb_sock_reverse(struct bpf_sock_addr *ctx, __u8 family)
{
	struct lb_sock_vips *vips = bpf_sk_storage_get(&lb_sock_vips, ctx->sk, 0, 0);
	__u32 backend_addr[4];
	__u32 at;

	if (!vips)
		return LB_SOCK_ALLOW;  /* a socket never sent to a VIP (most calls): one lookup in its own storage */
	lb_sock_read_addr(ctx, family, backend_addr);
	at = lb_sock_find(vips, family, backend_addr, (__u16)ctx->user_port);
	if (at >= LB_SOCK_VIP_SLOTS)
		return LB_SOCK_ALLOW;
	lb_sock_write_addr(ctx, family, vips->slots[at].vip_addr);
	ctx->user_port = vips->slots[at].vip_port;
	return LB_SOCK_ALLOW;
}

#endif
