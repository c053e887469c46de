/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* lb_consts.h: constants of Minuteman's data plane; map sizes are overridable (-DLB_MAX_VIPS=...),
 * and the control plane overrides them again at load time from the host's memory. */
#ifndef NAVSTAR_LB_CONSTS_H
#define NAVSTAR_LB_CONSTS_H

#ifndef LB_MAX_VIPS
#define LB_MAX_VIPS 65536
#endif
#ifndef LB_MAX_BACKENDS
#define LB_MAX_BACKENDS 262144
#endif
#ifndef LB_MAX_FLOWS
#define LB_MAX_FLOWS 1048576
#endif
/* Cells of all Maglev tables together (one __u32 backend id per cell). */
#ifndef LB_MAGLEV_CELLS
#define LB_MAGLEV_CELLS (1 << 24)
#endif
#ifndef LB_SOCK_NAT_ENTRIES
#define LB_SOCK_NAT_ENTRIES 262144
#endif
#ifndef LB_EVENTS_BYTES
#define LB_EVENTS_BYTES (1 << 22)
#endif
/* Each multiple of this many unread event bytes wakes the consumer once (about 7,000 events; see lb_event_wakeup). */
#ifndef LB_EVENTS_WAKEUP_BYTES
#define LB_EVENTS_WAKEUP_BYTES (LB_EVENTS_BYTES / 8)
#endif

/* Defaults used when lb_config holds zeros (the control plane normally writes it). */
#define LB_DEFAULT_TCP_TIMEOUT_NS   (3600ull * 1000000000ull)
#define LB_DEFAULT_TCP_CLOSING_NS   (10ull * 1000000000ull)
#define LB_DEFAULT_UDP_TIMEOUT_NS   (60ull * 1000000000ull)
/* An entry's expiry is rewritten at most this often, to keep per-packet writes rare. */
#define LB_REFRESH_NS               (1000000000ull)

#define LB_NO_BACKEND 0xffffffffu

#define LB_EEXIST     17  /* errno-base.h: a BPF_NOEXIST update found the key */

#define ETH_ALEN      6
#define ETH_HLEN      14
#define ETH_P_IP      0x0800
#define ETH_P_IPV6    0x86DD
#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_  6
#define IPPROTO_UDP_  17
#define IPPROTO_ICMPV6_ 58

#define IP_MF         0x2000
#define IP_OFFSET     0x1FFF

#define LB_TCP_FIN  0x01
#define LB_TCP_SYN  0x02
#define LB_TCP_RST  0x04
#define LB_TCP_ACK  0x10

/* tc verdicts (linux/pkt_cls.h) */
#define TC_ACT_OK     0
#define TC_ACT_SHOT   2
#define TC_ACT_REDIRECT 7

/* Sizes of the refusal packets we build (Ethernet included). */
#define LB_RST4_LEN   (14 + 20 + 20)
#define LB_RST6_LEN   (14 + 40 + 20)
#define LB_ICMP4_LEN  (14 + 20 + 8 + 20 + 8)
#define LB_ICMP6_LEN  (14 + 40 + 8 + 40 + 8)
#define LB_REPLY_MAX  128

#endif
