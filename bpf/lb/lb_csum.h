/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* lb_csum.h: Internet checksum arithmetic (RFC 1071) and incremental update (RFC 1624). */
#ifndef NAVSTAR_LB_CSUM_H
#define NAVSTAR_LB_CSUM_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Folds a 32-bit one's-complement sum to 16 bits and complements it. */
static __always_inline __u16 lb_csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/*
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). diff is bpf_csum_diff(m, m') (the sum of ~m and m');
 * returns the new checksum field for an old field value old_check.
 */
static __always_inline __u16 lb_csum_apply(__u16 old_check, __s64 diff)
{
	__u64 sum = (__u16)~old_check;

	sum += (__u32)diff;
	return lb_csum_fold(sum);
}

/* A 16-bit word that may alias anything: checksums read structs and arrays of other types as words,
 * which strict aliasing would otherwise let the compiler reorder past the writes. */
typedef __u16 __attribute__((__may_alias__)) lb_word_t;

/* The 16-bit words of an object (an array or struct whose size is known here), for the functions below. */
#define LB_CSUM_WORDS(object) (sizeof(object) / (sizeof(lb_word_t)))

/* Sum of n 16-bit words (n constant), not folded: RFC 1071 section 4.1. */
static __always_inline __u32 lb_csum_words(const void *data, int n)
{
	const lb_word_t *words = data;
	__u32 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < n; i++)
		sum += words[i];
	return sum;
}

/*
 * The checksum difference of replacing n 16-bit words from by to: the sum of ~from and to (RFC 1624
 * eqn. 3), unfolded, as bpf_csum_diff() returns it but without a helper call. n is a constant.
 */
static __always_inline __u32 lb_csum_diff_words(const void *from, const void *to, int n)
{
	const lb_word_t *f = from;
	const lb_word_t *t = to;
	__u32 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < n; i++)
		sum += (__u16)~f[i] + (__u32)t[i];
	return sum;
}

/* Folds a one's-complement sum to 16 bits without complementing it. */
static __always_inline __u16 lb_csum_fold_sum(__u64 sum)
{
	return (__u16)~lb_csum_fold(sum);
}

#endif
