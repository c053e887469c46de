/**
 * The DNS wire format (RFC 1035 §4, RFC 6891 EDNS0): {@link io.navstar.dns.wire.DnsQuery} decodes
 * queries into a reused flyweight, {@link io.navstar.dns.wire.ResponseScan} checks upstream answers,
 * {@link io.navstar.dns.wire.DnsWriter} encodes with name compression. Decoders return codes, never
 * throw on input, and bound every length ({@link io.navstar.dns.wire.DecodeError}).
 */
package io.navstar.dns.wire;
