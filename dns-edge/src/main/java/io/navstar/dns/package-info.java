/**
 * Spartan: the edge DNS server every navstar node runs (dcos-dns's role, DESIGN.md "Spartan").
 *
 * <p>Layout by responsibility: {@code wire} (RFC 1035 codec: reusable flyweight decoder, compressing
 * encoder, bounded name reader), {@code zone} (local zones the control plane publishes as immutable
 * snapshots through {@link io.navstar.dns.zone.LocalZones}), {@code cache} (forwarded answers with TTL
 * count-down, negative caching, stale serving, prefetch), {@code upstream} (parallel forwarding with
 * RTT-adaptive timeouts), {@code metrics}, and {@code server} (UDP sockets through FFM and TCP through
 * netty, both on netty epoll event loops, and the per-loop query engine).
 *
 * <p>Embedding: the control plane builds a {@link io.navstar.dns.server.DnsConfig} (see
 * {@link io.navstar.dns.server.DnsConfig#defaults()}), creates a {@link io.navstar.dns.zone.LocalZones},
 * starts a {@link io.navstar.dns.server.DnsServer} and publishes a new
 * {@link io.navstar.dns.zone.ZoneSnapshot} whenever VIPs, nodes or custom records change. In
 * production the server listens on 198.51.100.1-3:53 held by a dummy interface that the control plane
 * creates ({@code ip link add spartan type dummy}, {@code ip addr add 198.51.100.1/32 dev spartan}, ...,
 * {@code ip link set spartan up}), and containers get those three addresses as nameservers.
 */
package io.navstar.dns;
