/** The shared cache of forwarded answers (RFC 2308 negative caching, RFC 8767 stale answers). */
package io.navstar.dns.cache;
