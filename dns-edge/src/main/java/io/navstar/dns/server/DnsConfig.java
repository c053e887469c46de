package io.navstar.dns.server;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the DNS server can be told, from named factories: {@link #defaults()} for a node (the
 * DC/OS layout), {@link #loopback} for tests and benchmarks. Immutable; change fields with
 * {@link #toBuilder()}.
 *
 * @param listenAddresses addresses to serve UDP and TCP on. In production a dummy interface (DC/OS
 *     called it {@code spartan}) holds 198.51.100.1, .2 and .3 (TEST-NET-2, RFC 5737), port 53, and
 *     containers list all three in resolv.conf; the control plane creates that interface
 *     ({@code ip link add spartan type dummy; ip addr add 198.51.100.1/32 dev spartan ...}).
 * @param eventLoops epoll event loops, and UDP sockets per listen address (SO_REUSEPORT spreads
 *     datagrams over them by flow hash); default: available processors
 * @param upstreams default upstream resolvers, queried for names outside local and forward zones
 * @param forwardZones per-domain upstreams (longest domain wins), e.g. {@code corp.example -> [10.0.0.2:53]}
 * @param upstreamMinTimeout lower clamp of each upstream's RTT-derived retry timeout (RFC 6298 style)
 * @param upstreamMaxTimeout upper clamp of that timeout; sub-second so a dead upstream costs little
 * @param upstreamInitialTimeout timeout before an upstream has answered once
 * @param overallTimeout bound on a forwarded query: then a stale answer or SERVFAIL
 * @param maxUdpPayload EDNS0 UDP payload size we advertise and the most we send (RFC 6891 §6.2.5;
 *     1232 avoids IP fragmentation, DNS Flag Day 2020)
 * @param recursionAllowedFrom client ranges (CIDR) allowed forwarding and the cache; others get REFUSED
 *     for names outside local zones. Default: loopback, RFC 1918, RFC 6598 shared space, the DC/OS
 *     DNS range 198.51.100.0/24, IPv6 loopback, ULA and link-local
 * @param tcpIdleTimeout idle TCP connections are closed after this (RFC 7766 §6.2.3)
 * @param maxTcpQuerySize largest TCP query length prefix accepted; larger closes the connection
 * @param maxTcpConnections concurrent TCP connections per server; more are closed at accept
 * @param tcpSendBuffer SO_SNDBUF of each TCP connection in bytes: a DNS answer is at most 64 KiB, so a
 *     small buffer bounds kernel memory per connection and lets back-pressure reach a client that
 *     pipelines queries without reading answers
 * @param maxPendingPerLoop forwarded queries in flight per event loop; more are answered SERVFAIL
 * @param cacheMaxEntries most cached answers
 * @param cacheMaxBytes most estimated heap bytes of cached answers
 * @param cacheMaxTtl cap on positive TTLs kept in the cache
 * @param cacheMaxNegativeTtl cap on negative TTLs (RFC 2308 §5)
 * @param staleWindow how long past expiry an answer may be served when every upstream fails (RFC 8767
 *     §5 suggests 1-3 days)
 * @param staleAnswerTtl TTL given to stale answers (RFC 8767 §4: 30 s)
 * @param prefetchMinHits hits after which an entry counts as popular and is refreshed near expiry
 * @param prefetchPercent refresh a popular entry once this percentage of its TTL remains
 * @param udpReceiveBatch datagrams read per recvmmsg(2) call, and answers sent per sendmmsg(2), by each
 *     UDP socket ({@link UdpQuerySocket}); 1 reads and answers one at a time
 */
public record DnsConfig(List<InetSocketAddress> listenAddresses, int eventLoops, List<InetSocketAddress> upstreams,
                        Map<String, List<InetSocketAddress>> forwardZones, Duration upstreamMinTimeout,
                        Duration upstreamMaxTimeout, Duration upstreamInitialTimeout, Duration overallTimeout,
                        int maxUdpPayload, List<String> recursionAllowedFrom, Duration tcpIdleTimeout,
                        int maxTcpQuerySize, int maxTcpConnections, int tcpSendBuffer, int maxPendingPerLoop, long cacheMaxEntries,
                        long cacheMaxBytes, Duration cacheMaxTtl, Duration cacheMaxNegativeTtl, Duration staleWindow,
                        Duration staleAnswerTtl, int prefetchMinHits, int prefetchPercent, int udpReceiveBatch) {

    /** The DC/OS default domain for cluster names, e.g. {@code web.marathon.l4lb.thisdcos.directory}. */
    public static final String DEFAULT_DOMAIN = "thisdcos.directory";

    /** The addresses of the production dummy interface (see {@link #listenAddresses}). */
    public static final List<String> PRODUCTION_LISTEN = List.of("198.51.100.1", "198.51.100.2", "198.51.100.3");

    public static final List<String> DEFAULT_RECURSION_SOURCES = List.of("127.0.0.0/8", "10.0.0.0/8",
            "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "198.51.100.0/24", "::1/128", "fc00::/7",
            "fe80::/10");

    public DnsConfig {
        listenAddresses = List.copyOf(listenAddresses);
        upstreams = List.copyOf(upstreams);
        forwardZones = Map.copyOf(forwardZones);
        recursionAllowedFrom = List.copyOf(recursionAllowedFrom);
        if (eventLoops < 1 || maxUdpPayload < 512 || udpReceiveBatch < 1 || prefetchPercent < 0
                || prefetchPercent > 100 || maxTcpQuerySize < 12) {
            throw new IllegalArgumentException("invalid DNS config: " + this);
        }
    }

    /** A node: listens on the three DC/OS addresses, port 53, with no upstreams until configured. */
    public static DnsConfig defaults() {
        return builder().build();
    }

    /** Tests and benchmarks: one loopback address and port (0 picks a free port), given upstreams. */
    public static DnsConfig loopback(String address, int port, List<InetSocketAddress> upstreams) {
        return builder().listen(List.of(new InetSocketAddress(address, port))).upstreams(upstreams).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.listenAddresses = listenAddresses;
        b.eventLoops = eventLoops;
        b.upstreams = upstreams;
        b.forwardZones = forwardZones;
        b.upstreamMinTimeout = upstreamMinTimeout;
        b.upstreamMaxTimeout = upstreamMaxTimeout;
        b.upstreamInitialTimeout = upstreamInitialTimeout;
        b.overallTimeout = overallTimeout;
        b.maxUdpPayload = maxUdpPayload;
        b.recursionAllowedFrom = recursionAllowedFrom;
        b.tcpIdleTimeout = tcpIdleTimeout;
        b.maxTcpQuerySize = maxTcpQuerySize;
        b.maxTcpConnections = maxTcpConnections;
        b.tcpSendBuffer = tcpSendBuffer;
        b.maxPendingPerLoop = maxPendingPerLoop;
        b.cacheMaxEntries = cacheMaxEntries;
        b.cacheMaxBytes = cacheMaxBytes;
        b.cacheMaxTtl = cacheMaxTtl;
        b.cacheMaxNegativeTtl = cacheMaxNegativeTtl;
        b.staleWindow = staleWindow;
        b.staleAnswerTtl = staleAnswerTtl;
        b.prefetchMinHits = prefetchMinHits;
        b.prefetchPercent = prefetchPercent;
        b.udpReceiveBatch = udpReceiveBatch;
        return b;
    }

    /** Mutable builder with the defaults documented on each record component. Not thread-safe. */
    public static final class Builder {
        private List<InetSocketAddress> listenAddresses = PRODUCTION_LISTEN.stream()
                .map(a -> new InetSocketAddress(a, 53)).toList();
        private int eventLoops = Runtime.getRuntime().availableProcessors();
        private List<InetSocketAddress> upstreams = List.of();
        private Map<String, List<InetSocketAddress>> forwardZones = new LinkedHashMap<>();
        private Duration upstreamMinTimeout = Duration.ofMillis(50);
        private Duration upstreamMaxTimeout = Duration.ofMillis(800);
        private Duration upstreamInitialTimeout = Duration.ofMillis(200);
        private Duration overallTimeout = Duration.ofMillis(1500);
        private int maxUdpPayload = 1232;
        private List<String> recursionAllowedFrom = DEFAULT_RECURSION_SOURCES;
        private Duration tcpIdleTimeout = Duration.ofSeconds(10);
        private int maxTcpQuerySize = 4096;
        private int maxTcpConnections = 1024;
        private int tcpSendBuffer = 128 << 10;
        private int maxPendingPerLoop = 16_384;
        private long cacheMaxEntries = 1_000_000;
        private long cacheMaxBytes = 512L << 20;
        private Duration cacheMaxTtl = Duration.ofDays(1);
        private Duration cacheMaxNegativeTtl = Duration.ofHours(1);
        private Duration staleWindow = Duration.ofDays(1);
        private Duration staleAnswerTtl = Duration.ofSeconds(30);
        private int prefetchMinHits = 3;
        private int prefetchPercent = 10;
        private int udpReceiveBatch = 16;

        public Builder listen(List<InetSocketAddress> v) { listenAddresses = v; return this; }
        public Builder eventLoops(int v) { eventLoops = v; return this; }
        public Builder upstreams(List<InetSocketAddress> v) { upstreams = v; return this; }
        public Builder forwardZone(String domain, List<InetSocketAddress> v) {
            Map<String, List<InetSocketAddress>> m = new LinkedHashMap<>(forwardZones);
            m.put(domain, v);
            forwardZones = m;
            return this;
        }
        public Builder upstreamMinTimeout(Duration v) { upstreamMinTimeout = v; return this; }
        public Builder upstreamMaxTimeout(Duration v) { upstreamMaxTimeout = v; return this; }
        public Builder upstreamInitialTimeout(Duration v) { upstreamInitialTimeout = v; return this; }
        public Builder overallTimeout(Duration v) { overallTimeout = v; return this; }
        public Builder maxUdpPayload(int v) { maxUdpPayload = v; return this; }
        public Builder recursionAllowedFrom(List<String> v) { recursionAllowedFrom = v; return this; }
        public Builder tcpIdleTimeout(Duration v) { tcpIdleTimeout = v; return this; }
        public Builder maxTcpQuerySize(int v) { maxTcpQuerySize = v; return this; }
        public Builder maxTcpConnections(int v) { maxTcpConnections = v; return this; }
        public Builder tcpSendBuffer(int v) { tcpSendBuffer = v; return this; }
        public Builder maxPendingPerLoop(int v) { maxPendingPerLoop = v; return this; }
        public Builder cacheMaxEntries(long v) { cacheMaxEntries = v; return this; }
        public Builder cacheMaxBytes(long v) { cacheMaxBytes = v; return this; }
        public Builder cacheMaxTtl(Duration v) { cacheMaxTtl = v; return this; }
        public Builder cacheMaxNegativeTtl(Duration v) { cacheMaxNegativeTtl = v; return this; }
        public Builder staleWindow(Duration v) { staleWindow = v; return this; }
        public Builder staleAnswerTtl(Duration v) { staleAnswerTtl = v; return this; }
        public Builder prefetchMinHits(int v) { prefetchMinHits = v; return this; }
        public Builder prefetchPercent(int v) { prefetchPercent = v; return this; }
        public Builder udpReceiveBatch(int v) { udpReceiveBatch = v; return this; }

        public DnsConfig build() {
            return new DnsConfig(listenAddresses, eventLoops, upstreams, forwardZones, upstreamMinTimeout,
                    upstreamMaxTimeout, upstreamInitialTimeout, overallTimeout, maxUdpPayload, recursionAllowedFrom,
                    tcpIdleTimeout, maxTcpQuerySize, maxTcpConnections, tcpSendBuffer, maxPendingPerLoop, cacheMaxEntries,
                    cacheMaxBytes, cacheMaxTtl, cacheMaxNegativeTtl, staleWindow, staleAnswerTtl, prefetchMinHits,
                    prefetchPercent, udpReceiveBatch);
        }
    }
}
