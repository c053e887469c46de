// SPDX-License-Identifier: GPL-2.0
/* Test object for the ELF/BTF reader: global data in .rodata, .data, .bss and a custom .data.*
 * section, read through ld_imm64 map-value relocations. Only parsed. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* .rodata: 4 + 4 + 8 = 16 bytes, in declaration order (clang may reorder; tests use BTF offsets). */
const volatile __u32 config_port = 8080;
const volatile __u32 config_mode = 3;
const volatile __u64 config_magic = 0x1122334455667788ULL;

/* .data */
__u32 packets_seen = 7;
__u16 data_pair[2] = {0xaaaa, 0xbbbb};

/* .bss */
__u64 drops;
__u32 last_len;

/* custom data section */
__u32 tuned_value SEC(".data.tuning") = 42;

/* .bss, for the BTF kinds clang emits only on request: a decl tag on a member, a type tag on a pointer,
 * and a float. 24 bytes: ratio@0 (float, 4), count@4 (tagged), where@8 (tagged pointer), scale@16. */
struct tagged {
	float ratio;
	__u32 count __attribute__((btf_decl_tag("navstar:counter")));
	int __attribute__((btf_type_tag("navstar:user"))) *where;
	double scale;
} tagged_sample;

/* Static and hidden variables: clang relocates statics against the section symbol with the offset in the
 * instruction's immediate; hidden ones become static (linkage 0) in the uploaded BTF. */
static volatile __u32 static_counter;
static const volatile __u64 static_limit = 1000;
__attribute__((visibility("hidden"))) __u32 hidden_flag = 5;

SEC("xdp")
int use_globals(struct xdp_md *ctx)
{
	static_counter += hidden_flag;
	if (static_counter > static_limit)
		return XDP_DROP;
	if (config_mode == 3 && ctx->rx_queue_index == config_port) {
		drops++;
		return XDP_DROP;
	}
	packets_seen += data_pair[1];
	last_len = ctx->data_end - ctx->data + tuned_value;
	return config_magic == 0 ? XDP_ABORTED : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
