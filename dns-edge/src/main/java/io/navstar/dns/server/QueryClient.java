package io.navstar.dns.server;

import java.net.InetSocketAddress;

/**
 * The client a query came from, as its transport holds it: the UDP transport reads the kernel's
 * sockaddr in place and builds an {@link InetSocketAddress} only for a query that waits for an
 * upstream; TCP and the benchmarks hold an address already. Implementations are reused from query to
 * query by one event loop: read them before the next query arrives, never keep them.
 */
interface QueryClient {
    /** Whether {@code filter} allows this client (recursion and the cache); allocation-free. */
    boolean allowedBy(SourceFilter filter);

    /** The client's address; the UDP transport allocates it, so call it only on the forwarding path. */
    InetSocketAddress address();

    /** A client held as an {@link InetSocketAddress}; mutable so one loop can reuse it. */
    final class Inet implements QueryClient {
        private InetSocketAddress address;

        Inet set(InetSocketAddress client) {
            this.address = client;
            return this;
        }

        @Override
        public boolean allowedBy(SourceFilter filter) {
            return filter.allows(address);
        }

        @Override
        public InetSocketAddress address() {
            return address;
        }
    }
}
