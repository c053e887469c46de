// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* lb_sock.bpf.c: sock mode entry points, attached to a cgroup v2 (connect, sendmsg, recvmsg,
 * getpeername; IPv4 and IPv6). The work is in lb_sock.h. */
#include "lb_sock.h"

SEC("cgroup/connect4")
int lb_connect4(struct bpf_sock_addr *ctx)
{
	return lb_sock_forward(ctx, LB_AF_INET);
}

SEC("cgroup/connect6")
int lb_connect6(struct bpf_sock_addr *ctx)
{
	return lb_sock_forward(ctx, LB_AF_INET6);
}

SEC("cgroup/sendmsg4")
int lb_sendmsg4(struct bpf_sock_addr *ctx)
{
	return lb_sock_forward(ctx, LB_AF_INET);
}

SEC("cgroup/sendmsg6")
int lb_sendmsg6(struct bpf_sock_addr *ctx)
{
	return lb_sock_forward(ctx, LB_AF_INET6);
}

SEC("cgroup/recvmsg4")
int lb_recvmsg4(struct bpf_sock_addr *ctx)
{
	return lb_sock_reverse(ctx, LB_AF_INET);
}

SEC("cgroup/recvmsg6")
int lb_recvmsg6(struct bpf_sock_addr *ctx)
{
	return lb_sock_reverse(ctx, LB_AF_INET6);
}

SEC("cgroup/getpeername4")
int lb_getpeername4(struct bpf_sock_addr *ctx)
{
	return lb_sock_reverse(ctx, LB_AF_INET);
}

SEC("cgroup/getpeername6")
int lb_getpeername6(struct bpf_sock_addr *ctx)
{
	return lb_sock_reverse(ctx, LB_AF_INET6);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
