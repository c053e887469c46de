/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel struct fields navstar's tc and XDP programs read, declared for CO-RE: the compiler records
 * each access as a relocation (preserve_access_index) and navstar's loader (io.navstar.loader.btf.CoreRelocator)
 * moves it to where the running kernel's BTF (/sys/kernel/btf/vmlinux) puts the field, so no vmlinux.h is
 * needed. Only the fields listed here exist for the program; their order and bit positions do not matter, their
 * names and kinds do (the ___navstar suffix is a "flavor": the loader matches it to the kernel's sk_buff).
 *
 * Reach the struct from a tc program's context with the kfunc bpf_cast_to_kern_ctx (kernel >= 6.3):
 *
 *	struct sk_buff___navstar *kskb = bpf_cast_to_kern_ctx(ctx);
 *	__u8 summed = BPF_CORE_READ_BITFIELD(kskb, ip_summed);   (bpf/bpf_core_read.h)
 *	__u32 len = kskb->len;
 *
 * See Documentation/bpf/kfuncs.rst (bpf_cast_to_kern_ctx) and Documentation/bpf/llvm_reflection.rst (CO-RE).
 */
#ifndef NAVSTAR_KERN_SKB_H
#define NAVSTAR_KERN_SKB_H

#include <linux/types.h>

#ifndef __ksym
#define __ksym __attribute__((section(".ksyms")))
#endif

/* skb->ip_summed values (include/linux/skbuff.h). */
#define CHECKSUM_NONE		0
#define CHECKSUM_UNNECESSARY	1
#define CHECKSUM_COMPLETE	2
#define CHECKSUM_PARTIAL	3

/* The kernel's struct sk_buff, reduced to what navstar reads; bitfields declared as the kernel does. */
struct sk_buff___navstar {
	unsigned int len;
	__u8 pkt_type:3;
	__u8 ip_summed:2;
	__u32 mark;
} __attribute__((preserve_access_index));

/*
 * What an XDP program on a veth needs to find the skb it runs on (drivers/net/veth.c runs XDP on skbs sent by the
 * peer, inside a struct veth_xdp_buff): the receiving device's link kind ("veth"), and the skb pointer beside the
 * xdp_buff. Read through bpf_cast_to_kern_ctx(xdp_md) with CO-RE; the skb pointer lies past struct xdp_buff, so it
 * and everything behind it are read with bpf_probe_read_kernel (BPF_CORE_READ_BITFIELD_PROBED).
 */
struct rtnl_link_ops___navstar {
	const char *kind;
} __attribute__((preserve_access_index));

struct net_device___navstar {
	const struct rtnl_link_ops___navstar *rtnl_link_ops;
} __attribute__((preserve_access_index));

struct xdp_rxq_info___navstar {
	struct net_device___navstar *dev;
} __attribute__((preserve_access_index));

struct xdp_buff___navstar {
	struct xdp_rxq_info___navstar *rxq;
} __attribute__((preserve_access_index));

struct veth_xdp_buff___navstar {
	struct xdp_buff___navstar xdp;
	struct sk_buff___navstar *skb;
} __attribute__((preserve_access_index));

/* The kernel's own struct sk_buff behind a program's context (kernel/bpf/helpers.c, kernel >= 6.3). */
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

#endif /* NAVSTAR_KERN_SKB_H */
