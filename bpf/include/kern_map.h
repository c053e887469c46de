/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one field of the kernel's struct bpf_map that navstar's programs read, declared for CO-RE (see kern_skb.h for
 * how the loader relocates it): max_entries, read straight from a map pointer. The verifier allows a program to load
 * fields of a map through a map pointer, also one an outer map's lookup returned (kernel/bpf/verifier.c
 * check_ptr_to_map_access, needs CAP_PERFMON), and the load is of the inner map the program actually found, so a
 * table's size and its cells always come from the same map.
 */
#ifndef NAVSTAR_KERN_MAP_H
#define NAVSTAR_KERN_MAP_H

#include <linux/types.h>

struct bpf_map___navstar {
	__u32 max_entries;
} __attribute__((preserve_access_index));

/* The max_entries of the map behind a map pointer (a map's address, or an inner map a lookup returned). */
static __always_inline __u32 lb_map_max_entries(const void *map)
{
	return ((const struct bpf_map___navstar *)map)->max_entries;
}

#endif /* NAVSTAR_KERN_MAP_H */
