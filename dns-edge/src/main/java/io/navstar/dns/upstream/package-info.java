/**
 * Forwarding to upstream resolvers: selection by fewest recent failures, parallel queries, RTT-adaptive
 * timeouts (RFC 6298 style), TCP after truncation (RFC 7766), forward zones per domain, connected UDP
 * sockets per upstream so ICMP unreachable ends an attempt at once, and resolution failures cached per
 * upstream and question with exponential backoff (RFC 9520).
 */
package io.navstar.dns.upstream;
