package io.navstar.dns.upstream;

import io.navstar.dns.cache.CacheEntry;
import io.navstar.dns.cache.CacheKey;
import io.navstar.dns.metrics.QueryCounters;
import io.netty.util.concurrent.Future;

import java.net.InetSocketAddress;

/**
 * One forwarded query in flight: the client to answer (or none, for a prefetch), the question, and
 * every attempt sent to an upstream (UDP with its own transaction ID, or TCP after a truncated answer).
 * Owned by the one event loop whose {@link Forwarder} created it; never shared between threads.
 */
public final class PendingQuery {
    /** Most attempts (first parallel queries, hedges after timeouts, TCP retries) per query. */
    static final int MAX_ATTEMPTS = 8;
    /** Most identical queries answered from one upstream exchange; more start their own. */
    static final int MAX_FOLLOWERS = 64;

    // question and client
    final byte[] nameOriginal;
    final int nameLength;
    final int qtype;
    final int qclass;
    final CacheKey key;
    final int clientId;
    final int clientFlags;
    final boolean clientEdns;
    final int clientUdpLimit;
    final boolean dnssecOk;
    final Object replyPath;
    final InetSocketAddress sender;
    final boolean prefetch;
    final UpstreamGroup group;
    final QueryCounters counters;
    final long startNanos;
    CacheEntry previous;

    // attempts
    final Upstream[] asked = new Upstream[MAX_ATTEMPTS];
    final long[] sentAt = new long[MAX_ATTEMPTS];
    final int[] ids = new int[MAX_ATTEMPTS];
    /** The socket a UDP attempt went out on; null for TCP and for one that could not be sent. */
    final UpstreamSocket[] sockets = new UpstreamSocket[MAX_ATTEMPTS];
    final boolean[] finished = new boolean[MAX_ATTEMPTS];
    /** The attempt's retry timeout expired (it stays open for a late answer). */
    final boolean[] timedOut = new boolean[MAX_ATTEMPTS];
    @SuppressWarnings("rawtypes")
    final Future[] timers = new Future[MAX_ATTEMPTS];
    Future<?> deadline;
    PendingQuery[] followers;
    int followerCount;
    int attempts;
    int inFlight;
    boolean done;

    PendingQuery(byte[] nameOriginal, int nameLength, int qtype, int qclass, CacheKey key, int clientId,
                 int clientFlags, boolean clientEdns, int clientUdpLimit, boolean dnssecOk, Object replyPath,
                 InetSocketAddress sender, boolean prefetch, UpstreamGroup group, QueryCounters counters,
                 CacheEntry previous, long startNanos) {
        this.nameOriginal = nameOriginal;
        this.nameLength = nameLength;
        this.qtype = qtype;
        this.qclass = qclass;
        this.key = key;
        this.clientId = clientId;
        this.clientFlags = clientFlags;
        this.clientEdns = clientEdns;
        this.clientUdpLimit = clientUdpLimit;
        this.dnssecOk = dnssecOk;
        this.replyPath = replyPath;
        this.sender = sender;
        this.prefetch = prefetch;
        this.group = group;
        this.counters = counters;
        this.previous = previous;
        this.startNanos = startNanos;
    }

    /** Whether an attempt of this query went to {@code upstream}. */
    boolean asked(Upstream upstream) {
        for (int i = 0; i < attempts; i++) {
            if (asked[i] == upstream) {
                return true;
            }
        }
        return false;
    }

    /** Adds a client asking the same question while this one is in flight; false when full or done. */
    boolean addFollower(PendingQuery follower) {
        if (done || followerCount == MAX_FOLLOWERS) {
            return false;
        }
        if (followers == null) {
            followers = new PendingQuery[4];
        } else if (followerCount == followers.length) {
            followers = java.util.Arrays.copyOf(followers, followers.length * 2);
        }
        followers[followerCount++] = follower;
        return true;
    }

    public byte[] nameOriginal() {
        return nameOriginal;
    }

    public int nameLength() {
        return nameLength;
    }

    public int qtype() {
        return qtype;
    }

    public int qclass() {
        return qclass;
    }

    public int clientId() {
        return clientId;
    }

    public int clientFlags() {
        return clientFlags;
    }

    public boolean clientEdns() {
        return clientEdns;
    }

    /** Largest response the client accepts (65535 over TCP). */
    public int clientLimit() {
        return clientUdpLimit;
    }

    public boolean dnssecOk() {
        return dnssecOk;
    }

    /**
     * Where the answer goes, opaque to the forwarder: the server's UDP socket or the client's TCP
     * channel the query came in on; null for a prefetch.
     */
    public Object replyPath() {
        return replyPath;
    }

    /** Client address for UDP; null over TCP. */
    public InetSocketAddress sender() {
        return sender;
    }

    public boolean prefetch() {
        return prefetch;
    }

    public QueryCounters counters() {
        return counters;
    }

    public long startNanos() {
        return startNanos;
    }
}
