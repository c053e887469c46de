// SPDX-License-Identifier: GPL-2.0
/* Loader test program: __weak kfuncs guarded by bpf_ksym_exists, one the kernel has (bpf_cast_to_kern_ctx)
 * and one no kernel has. Returns 2 when the missing one is seen as missing, plus 4 when the present one is
 * seen as present and returned a pointer (8 if it returned NULL): 6 on a kernel >= 6.3. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifndef bpf_ksym_exists
/* As libbpf >= 1.2 defines it: the address of a __weak extern, 0 when the loader found no such symbol. */
#define bpf_ksym_exists(sym) ({ \
	_Static_assert(!__builtin_constant_p(!!sym), #sym " should be marked as __weak"); \
	!!sym; \
})
#endif

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym __weak;
/* Not a kernel function. */
extern int navstar_no_such_kfunc(struct __sk_buff *ctx) __ksym __weak;

SEC("tc")
int kfunc_weak(struct __sk_buff *ctx)
{
	int verdict = 0;

	if (bpf_ksym_exists(navstar_no_such_kfunc))
		verdict |= navstar_no_such_kfunc(ctx);
	else
		verdict |= 2;
	if (bpf_ksym_exists(bpf_cast_to_kern_ctx))
		verdict |= bpf_cast_to_kern_ctx(ctx) ? 4 : 8;
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";
