package io.navstar.dns.upstream;

import io.netty.channel.Channel;
import org.agrona.collections.IntHashSet;

/**
 * One UDP socket from an event loop to one upstream, connected to it, with the transaction IDs of the
 * attempts in flight on it. Connected, so the kernel reports the upstream's ICMP destination
 * unreachable on this socket (ECONNREFUSED on the next receive or send, RFC 1122 §4.1.3.3) and drops
 * datagrams from any other source; the error names no query, so it fails every attempt in flight here.
 * Each socket is bound to its own random ephemeral port (RFC 5452 §9.2).
 *
 * <p>Confined to the event loop of its {@link Forwarder}.
 */
final class UpstreamSocket {
    final Upstream upstream;
    final Channel channel;
    private final IntHashSet idsInFlight = new IntHashSet(16);

    UpstreamSocket(Upstream upstream, Channel channel) {
        this.upstream = upstream;
        this.channel = channel;
    }

    void sent(int id) {
        idsInFlight.add(id);
    }

    void finished(int id) {
        idsInFlight.remove(id);
    }

    /** Copies the IDs in flight into {@code out} (grown when too small); returns it, count in {@link #inFlight()}. */
    int[] copyIdsInFlight(int[] out) {
        int[] ids = out.length >= idsInFlight.size() ? out : new int[idsInFlight.size() * 2];
        int i = 0;
        IntHashSet.IntIterator it = idsInFlight.iterator();
        while (it.hasNext()) {
            ids[i++] = it.nextValue();
        }
        return ids;
    }

    int inFlight() {
        return idsInFlight.size();
    }
}
