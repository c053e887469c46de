/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* lb_sock.h: socket-level load balancing (sock mode). The destination is rewritten once, at connect()
 * or sendmsg(), so no packet of the flow is touched; getpeername() and recvmsg() are rewritten back to
 * the VIP through lb_sock_nat. */
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

/* connect() and sendmsg(): a destination that is a VIP becomes one of its backends. */
static __always_inline int lb_sock_forward(struct bpf_sock_addr *ctx, __u8 family)
{
	struct lb_vip_key vip_key = {};
	struct lb_sock_key sock_key = {};
	struct lb_sock_nat nat = {};
	struct lb_vip_info *vip;
	struct lb_backend *backend;
	__u32 backend_id = LB_NO_BACKEND;
	__u32 client[4] = {};
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
		lb_count(&lb_vip_stats, vip->vip_id, 0, 0, 1);
		lb_emit(lb_now(), LB_EVENT_NO_BACKEND, vip->vip_id, LB_NO_BACKEND, family, proto, client, 0,
			vip_key.addr, vip_key.port);
		lb_drop(LB_DROP_NO_BACKEND);
		return LB_SOCK_REFUSE;
	}

	sock_key.cookie = cookie;
	__builtin_memcpy(sock_key.backend_addr, backend->addr, 16);
	sock_key.backend_port = backend->port;
	sock_key.family = family;
	__builtin_memcpy(nat.vip_addr, vip_key.addr, 16);
	nat.vip_port = vip_key.port;
	if (bpf_map_update_elem(&lb_sock_nat, &sock_key, &nat, BPF_ANY))
		lb_drop(LB_DROP_SOCK_NAT_FULL);

	lb_sock_write_addr(ctx, family, backend->addr);
	ctx->user_port = backend->port;

	lb_count(&lb_vip_stats, vip->vip_id, 0, 1, 0);
	lb_count(&lb_backend_stats, backend_id, 0, 1, 0);
	lb_emit(lb_now(), LB_EVENT_NEW_FLOW, vip->vip_id, backend_id, family, proto, client, 0, vip_key.addr, vip_key.port);
	return LB_SOCK_ALLOW;
}

/* recvmsg() and getpeername(): a backend's address seen by a socket we redirected shows as the VIP. */
static __always_inline int lb_sock_reverse(struct bpf_sock_addr *ctx, __u8 family)
{
	struct lb_sock_key sock_key = {};
	struct lb_sock_nat *nat;

	sock_key.cookie = bpf_get_socket_cookie(ctx);
	lb_sock_read_addr(ctx, family, sock_key.backend_addr);
	sock_key.backend_port = (__u16)ctx->user_port;
	sock_key.family = family;
	nat = bpf_map_lookup_elem(&lb_sock_nat, &sock_key);
	if (!nat)
		return LB_SOCK_ALLOW;
	lb_sock_write_addr(ctx, family, nat->vip_addr);
	ctx->user_port = nat->vip_port;
	return LB_SOCK_ALLOW;
}

#endif
