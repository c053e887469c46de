/** Counters of the DNS server with a {@link io.navstar.dns.metrics.DnsMetrics#snapshot()} for export. */
package io.navstar.dns.metrics;
